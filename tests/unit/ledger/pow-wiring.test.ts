/**
 * Contract test between the ledger and the proof-of-work capsule: the capsule's own checker and
 * credit formula plug into `Minter` and `Ledger` without adapters. If either side changes shape,
 * this fails to compile or to pass.
 */
import { describe, expect, it } from 'vitest';
import { proofCredits, verifyProof } from '../../../src/capsules/pow/proof.ts';
import { INVALID_PROOF_REASON, Minter, type ProofVerifier } from '../../../src/ledger/index.ts';
import { newFactory, openWallet } from './_fixtures.ts';
import { findFailingProof, findProof } from './_pow.ts';

const verify: ProofVerifier = verifyProof;

describe('pow capsule → ledger', () => {
  it('mints with the capsule’s verifyProof and proofCredits', async () => {
    const w = await openWallet(newFactory(), { verifyProof: verify });
    const minter = new Minter(w.issuer, { verify, estimate: (p) => proofCredits(p.bits) });
    // 0x207fffff is worth 2 hashes = 2 / 8192 credits = 244 micro-credits.
    expect(await minter.mint(findProof(11))).toMatchObject({ state: 'settled', credits: 244 });
    expect(await minter.mint(findFailingProof(12))).toMatchObject({
      state: 'rejected',
      reason: INVALID_PROOF_REASON,
    });
  });

  it('prices proofs at one credit per 8192 expected hashes (one native-core millisecond)', () => {
    // Bitcoin difficulty 1 (0x1d00ffff) takes ≈ 1.0000153 × 2^32 hashes = 524,296 credits.
    expect(Math.floor(proofCredits(0x1d00ffff))).toBe(524_296);
    expect(proofCredits(0x207fffff)).toBe(2 / 8192);
  });
});
