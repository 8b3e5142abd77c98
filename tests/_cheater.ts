/**
 * Payers that run modified software, for the refusal tests (tests/e2e/refusals.e2e.test.ts and
 * tests/unit/ledger/refusal-text.test.ts): a ledger that counts any proof, so its owner signs
 * credits it never earned; an honest peer must refuse what it pays with.
 */
import { expect } from 'vitest';
import { BLOCK_VECTORS } from '../src/capsules/pow/vectors.ts';
import {
  Minter,
  Payments,
  type Ledger,
  type PowProofRecord,
  type ProofVerifier,
  type ReceiptIssuer,
} from '../src/ledger/index.ts';

/** Modified software that counts any proof: its own ledger accepts what an honest peer refuses. */
export const lenient: ProofVerifier = () => ({ valid: true, credits: 1 });

/** The Bitcoin genesis block as a proof record: real work, bound to no INOS identity. */
export function genesisProof(): PowProofRecord {
  const v = BLOCK_VECTORS[0]!;
  return { header: v.header, bits: v.bits, nonce: v.nonce, hash: v.hash };
}

/** Mints `proof` into a lenient ledger's chain (one credit) and returns payments from it. */
export async function cheaterPayments(
  w: { ledger: Ledger; issuer: ReceiptIssuer },
  proof: PowProofRecord,
): Promise<Payments> {
  const minted = await new Minter(w.issuer, { verify: lenient, estimate: () => 1 }).mint(proof);
  expect(minted).toMatchObject({ state: 'settled', credits: 1_000_000 });
  return new Payments(w.ledger, w.issuer);
}
