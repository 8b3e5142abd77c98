/** Bound proof-of-work for the economy tests: real searches (the pow capsule's CPU path) over bound work items. */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { parseSearchParams } from '../../../src/capsules/pow/job.ts';
import {
  boundHeader,
  epochOf,
  proofCredits,
  proofFromSearch,
  verifyBoundProof,
} from '../../../src/capsules/pow/proof.ts';
import { searchCpu } from '../../../src/capsules/pow/search-cpu.ts';
import { Minter, Payments, type PowProofRecord } from '../../../src/ledger/index.ts';
import { openWallet, newFactory, type Clock } from './_fixtures.ts';

/** 2^8 expected hashes: 256 / 8192 credits = 31 250 micro-credits a proof, found in well under a millisecond. */
export const BOUND_BITS = 0x2000ffff;
export const BOUND_WORTH = 31_250;

let salt = 0;

/** A proof of work bound to `minter` in the epoch of `atMs`. */
export function boundProof(minter: string, atMs: number, bits = BOUND_BITS): PowProofRecord {
  const header = boundHeader(minter, epochOf(atMs), sha256(utf8ToBytes(`test-salt-${++salt}`)), bits);
  const job = parseSearchParams({ header, nonceStart: 0, count: 1 << 20, bits });
  const p = proofFromSearch(job, searchCpu(job));
  return { header: p.header, bits: p.bits, nonce: p.nonce, hash: p.hash };
}

/** A wallet whose ledger checks proofs as the extension does (verifyBoundProof), with payments. */
export async function economyWallet(seed: number, clock?: Clock) {
  const w = await openWallet(newFactory(), {
    seed,
    verifyProof: verifyBoundProof,
    ids: `w${seed}`,
    ...(clock ? { clock } : {}),
  });
  const minter = new Minter(w.issuer, { verify: verifyBoundProof, estimate: (p) => proofCredits(p.bits) });
  const payments = new Payments(w.ledger, w.issuer);
  /** Mints `n` bound proofs now; returns the micro-credits gained. */
  const mint = async (n: number) => {
    let gained = 0;
    for (let i = 0; i < n; i++)
      gained += (await minter.mint(boundProof(w.identity.nodeId, w.clock.now()))).credits;
    return gained;
  };
  return { ...w, minter, payments, mint };
}
