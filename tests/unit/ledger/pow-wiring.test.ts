/**
 * Contract test between the ledger and the proof-of-work capsule: the capsule's own checker and
 * credit formula plug into `Minter` and `Ledger` without adapters. If either side changes shape,
 * this fails to compile or to pass.
 */
import { describe, expect, it } from 'vitest';
import { proofCredits, verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import {
  INVALID_PROOF_REASON,
  Minter,
  UNBOUND_PROOF_REASON,
  type ProofVerifier,
} from '../../../src/ledger/index.ts';
import { newFactory, openWallet } from './_fixtures.ts';
import { findFailingProof, findProof } from './_pow.ts';
import { BOUND_WORTH, boundProof } from './_bound.ts';

const verify: ProofVerifier = verifyBoundProof;

describe('pow capsule → ledger', () => {
  it('mints with the capsule’s verifyBoundProof and proofCredits', async () => {
    const w = await openWallet(newFactory(), { verifyProof: verify });
    const minter = new Minter(w.issuer, { verify, estimate: (p) => proofCredits(p.bits) });
    // 0x2000ffff is worth 256 hashes = 256 / 8192 credits = 31 250 micro-credits.
    expect(await minter.mint(boundProof(w.identity.nodeId, w.clock.now()))).toMatchObject({
      state: 'settled',
      credits: BOUND_WORTH,
    });
    // Valid arithmetic over a header bound to no one (random bytes) is no credit.
    expect(await minter.mint(findProof(11))).toMatchObject({
      state: 'rejected',
      reason: UNBOUND_PROOF_REASON,
    });
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
