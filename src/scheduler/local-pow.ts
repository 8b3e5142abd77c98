import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { boundHeader, boundTo, epochOf } from '../capsules/pow/proof';
import { expectedHashes, targetToCompact } from '../capsules/pow/target';
import { powSearchMaxPrice, RATES } from '../capsules/price';

/**
 * The work a contributor always has: a proof-of-work slice over a BOUND work item
 * (src/capsules/pow/proof.ts: the header commits to this node's key and the current epoch, so a
 * proof cannot be claimed by anyone else or later) salted with a per-slice counter (so no two
 * slices search the same space). Never a cryptocurrency: the header is ours, not a block of any chain.
 *
 * salt = sha256(nodeId + ":" + seq); header = boundHeader(nodeId, epochOf(now), salt, bits)
 */

/** Expected double-SHA256 evaluations per proof: ~3 s of one SIMD worker at the rate measured here. */
export const LOCAL_POW_EXPECTED_HASHES = 2n ** 24n;
export const LOCAL_POW_BITS = targetToCompact(2n ** 256n / LOCAL_POW_EXPECTED_HASHES - 1n);
/** A slice aims at this much CPU time (PRODUCT.md: slices of 10–120 s). */
export const SLICE_TARGET_MS = 10_000;
/** Before any slice has been measured: a conservative rate, hashes per CPU ms. */
export const INITIAL_HASHES_PER_MS = 1_000;

export function localPowHeader(nodeId: string, seq: number, nowMs: number, bits = LOCAL_POW_BITS): string {
  return boundHeader(nodeId, epochOf(nowMs), sha256(utf8ToBytes(`${nodeId}:${seq}`)), bits);
}

/** The pow capsule's cost cap (src/capsules/pow/capsule.ts; not imported: it loads the kernel). */
export const POW_COST_CAP = 120_000;

/**
 * The most nonces one slice may search: its whole range's price (src/capsules/price.ts, pow.search)
 * stays within the capsule's cost cap, the largest budget a job can have. A GPU worker measured at a
 * rate that would pass it gets shorter slices than SLICE_TARGET_MS.
 */
export const MAX_SLICE_HASHES = (POW_COST_CAP - 1) * RATES.powHashesPerCredit;

/** Search params for one slice sized to SLICE_TARGET_MS of CPU at the measured rate (hashes per ms). */
export function localPowParams(
  nodeId: string,
  seq: number,
  nowMs: number,
  hashesPerMs: number,
  bits = LOCAL_POW_BITS,
): string {
  const count = Math.max(1 << 16, Math.min(MAX_SLICE_HASHES, Math.round(hashesPerMs * SLICE_TARGET_MS)));
  return JSON.stringify({ header: localPowHeader(nodeId, seq, nowMs, bits), nonceStart: 0, count, bits });
}

/** A slice's budget: the price of its whole range, so it ends on a proof or at its count, never for its budget. */
export function localPowBudget(params: string): number {
  return powSearchMaxPrice((JSON.parse(params) as { count: number }).count);
}

/** The header a proof must carry to count as this node's own local work (checked before minting). */
export function isOwnLocalHeader(nodeId: string, headerHex: string): boolean {
  if (!/^[0-9a-f]{160}$/i.test(headerHex)) return false;
  return boundTo(headerHex.toLowerCase(), nodeId)?.mine === true;
}

export function expectedLocalHashes(): bigint {
  return expectedHashes(2n ** 256n / LOCAL_POW_EXPECTED_HASHES - 1n);
}
