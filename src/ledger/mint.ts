/**
 * Proof-of-work minting: a proof becomes credits only through the receipt life cycle.
 *
 *   1. an 'estimated' receipt for what the proof claims (`estimate`, e.g. pow's `proofCredits(bits)`),
 *      job id = `proofJobId(proof)`, so the same work submitted twice is refused as a replay;
 *   2. one call to the injected verifier (one double hash for pow):
 *        valid   → 'verified' at the verifier's worth, then 'settled' (a proof needs no quorum:
 *                  anyone can re-check it, so there is nothing left to wait for);
 *        invalid → 'rejected', 0 credits, reason "result rejected: invalid proof" (or: not bound
 *                  to this wallet, from an expired epoch).
 * The verifier gets the minter (this issuer's node id) and the clock: only bound work counts.
 * Fractional credits are floored to micro-credits (`toMicroCredits`).
 */
import type { ReceiptView } from './ledger-db.ts';
import { proofJobId, toMicroCredits, type ProofVerdict, type ProofVerifier } from './proof-verifier.ts';
import type { PowProofRecord } from './receipt.ts';
import type { ReceiptIssuer } from './receipt-issuer.ts';

export const INVALID_PROOF_REASON = 'result rejected: invalid proof';
export const TINY_PROOF_REASON = 'proof worth less than one micro-credit';
export const UNBOUND_PROOF_REASON = 'result rejected: work not bound to this wallet';
export const STALE_PROOF_REASON = 'result rejected: work from an expired epoch';

export interface MinterOptions {
  /** Checks a proof; must not throw (pow's `verifyProof` fits as is). */
  verify: ProofVerifier;
  /** Whole credits the proof claims before checking (pow: `(p) => proofCredits(p.bits)`). May throw on bad input. */
  estimate: (proof: PowProofRecord) => number;
  /** Labels on the receipts; default 'pow' / 'search'. */
  capsule?: string;
  method?: string;
}

export interface MintWork {
  cpuMs?: number;
  bytesMoved?: number;
}

export class Minter {
  readonly #issuer: ReceiptIssuer;
  readonly #opts: MinterOptions;

  constructor(issuer: ReceiptIssuer, opts: MinterOptions) {
    this.#issuer = issuer;
    this.#opts = opts;
  }

  /**
   * Runs a proof through estimate → verify → settle (or → rejected) and returns the receipt's
   * final state. Throws `ReceiptRejectedError` when the ledger refuses a step ('replay' for a
   * proof already minted, 'bad-proof' for a malformed one); the refusal is stored either way.
   */
  async mint(proof: PowProofRecord, work: MintWork = {}): Promise<ReceiptView> {
    const p = normalise(proof);
    const estimate = toMicroCredits(attempt(() => this.#opts.estimate(p), 0));
    const receipt = await this.#issuer.issue({
      jobId: proofJobId(p),
      capsule: this.#opts.capsule ?? 'pow',
      method: this.#opts.method ?? 'search',
      credits: estimate,
      cpuMs: work.cpuMs ?? 0,
      bytesMoved: work.bytesMoved ?? 0,
      state: 'estimated',
      reason: estimate === 0 ? TINY_PROOF_REASON : '',
      proof: p,
    });

    const verdict = attempt<ProofVerdict>(
      () => this.#opts.verify(p, { minter: this.#issuer.nodeId, now: this.#issuer.now() }),
      { valid: false, credits: 0 },
    );
    if (!verdict.valid) {
      const reason =
        verdict.code === 'unbound'
          ? UNBOUND_PROOF_REASON
          : verdict.code === 'stale'
            ? STALE_PROOF_REASON
            : INVALID_PROOF_REASON;
      return this.#issuer.transition(receipt.id, 'rejected', { credits: 0, reason });
    }
    const credits = toMicroCredits(verdict.credits);
    const reason = credits === 0 ? TINY_PROOF_REASON : '';
    await this.#issuer.transition(receipt.id, 'verified', { credits, reason });
    return this.#issuer.transition(receipt.id, 'settled', { credits, reason });
  }
}

/**
 * Lowercase hex, so one proof has one spelling (receipts are signed over exact strings). Proofs
 * come from workers and peers, so non-strings are passed through for the ledger to refuse.
 */
function normalise(proof: PowProofRecord): PowProofRecord {
  const { header, hash } = proof;
  return {
    header: typeof header === 'string' ? header.toLowerCase() : header,
    bits: proof.bits,
    nonce: proof.nonce,
    hash: typeof hash === 'string' ? hash.toLowerCase() : hash,
  };
}

function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
