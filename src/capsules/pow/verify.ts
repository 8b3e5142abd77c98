/**
 * Verification costs one double-SHA256: hash the header as given (nonce included) and compare the
 * digest, read little-endian, with the target (hash ≤ target, as Bitcoin Core's CheckProofOfWork).
 */
import { HeaderHasher, digestDisplayHex } from './dsha256.ts';
import { headerNonce } from './header.ts';
import { parseVerifyParams, type PowVerifyJob, type PowVerifyResult } from './job.ts';
import { digestMeetsTarget } from './target.ts';

export function verifyJob(job: PowVerifyJob): PowVerifyResult {
  const digest = new HeaderHasher(job.header).hashNonce(headerNonce(job.header));
  return { valid: digestMeetsTarget(digest, job.targetWords), hash: digestDisplayHex(digest) };
}

/** The `verify` method: params `{header, bits}` (or `target`, or neither for the header's own bits). */
export function powVerify(params: unknown): PowVerifyResult {
  return verifyJob(parseVerifyParams(params));
}
