import { describe, expect, it } from 'vitest';
import {
  INVALID_PROOF_REASON,
  Minter,
  ReceiptRejectedError,
  TINY_PROOF_REASON,
  proofJobId,
  toMicroCredits,
  verifyHistory,
  type PowProofRecord,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { T0, newFactory, openWallet, transitionAt } from './_fixtures.ts';
import { EASY_BITS, TEST_CREDITS, findFailingProof, findProof, testVerify } from './_pow.ts';

async function expectRefused(p: Promise<unknown>, code: RejectionCode, detail: RegExp = /./): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReceiptRejectedError);
  expect((err as ReceiptRejectedError).reason).toBe(code);
  expect((err as ReceiptRejectedError).detail).toMatch(detail);
}

async function minting(opts: { ledgerChecksProofs?: boolean } = {}) {
  const w = await openWallet(newFactory(), {
    verifyProof: opts.ledgerChecksProofs === false ? undefined : testVerify,
  });
  const minter = new Minter(w.issuer, { verify: testVerify, estimate: () => TEST_CREDITS });
  return { ...w, minter };
}

const WORTH = 1_500_000; // TEST_CREDITS in micro-credits

describe('Minter', () => {
  it('settles a valid proof through estimated → verified → settled', async () => {
    const w = await minting();
    const proof = findProof(1);
    const r = await w.minter.mint(proof, { cpuMs: 250 });
    expect(r).toMatchObject({
      state: 'settled',
      credits: WORTH,
      capsule: 'pow',
      method: 'search',
      cpuMs: 250,
      proof,
      jobId: proofJobId(proof),
    });
    expect(await w.ledger.totals()).toEqual({ balance: WORTH, pending: 0 });
    const history = await w.ledger.history();
    expect(
      history.map((e) =>
        e.kind === 'receipt' ? e.state : e.kind === 'transition' ? `${e.from}→${e.to}` : e.kind,
      ),
    ).toEqual(['estimated', 'estimated→verified', 'verified→settled']);
    expect(verifyHistory(history, { owner: w.identity.nodeId, verifyProof: testVerify })).toMatchObject({
      ok: true,
      balance: WORTH,
    });
  });

  it('rejects a proof that fails verification, with the popup’s reason and no credits', async () => {
    const w = await minting();
    const r = await w.minter.mint(findFailingProof(2));
    expect(r).toMatchObject({ state: 'rejected', credits: 0, reason: INVALID_PROOF_REASON });
    const forged = { ...findProof(3), hash: 'ab'.repeat(32) };
    expect(await w.minter.mint(forged)).toMatchObject({ state: 'rejected', reason: INVALID_PROOF_REASON });
    expect(await w.ledger.totals()).toEqual({ balance: 0, pending: 0 });
    const recent = (await w.ledger.summary(T0)).recent;
    expect(recent.map((j) => j.reason)).toEqual([INVALID_PROOF_REASON, INVALID_PROOF_REASON]);
  });

  it('refuses the same proof twice as a replay, however it is dressed up', async () => {
    const w = await minting();
    const proof = findProof(4);
    await w.minter.mint(proof);
    await expectRefused(w.minter.mint(proof), 'replay', /already has a receipt/);
    // Same header and nonce: the same work whatever `bits` claims or the hex case.
    await expectRefused(w.minter.mint({ ...proof, bits: 0x1d00ffff }), 'replay');
    await expectRefused(w.minter.mint({ ...proof, header: proof.header.toUpperCase() }), 'replay');
    // Stale nonce bytes in the header do not make it new work: the verifier writes `nonce` over them.
    const stale = `${proof.header.slice(0, 152)}ffffffff`;
    await expectRefused(w.minter.mint({ ...proof, header: stale }), 'replay');
    expect(await w.ledger.totals()).toEqual({ balance: WORTH, pending: 0 });
    expect((await w.ledger.summary(T0)).recent.filter((j) => j.refused).map((j) => j.reason)).toEqual(
      Array(4).fill('rejected: replayed'),
    );
  });

  it('refuses a replay of a rejected proof too', async () => {
    const w = await minting();
    const bad = findFailingProof(5);
    await w.minter.mint(bad);
    await expectRefused(w.minter.mint(bad), 'replay');
  });

  it('refuses a malformed proof as bad-proof and stores the refusal', async () => {
    const w = await minting();
    const bad: PowProofRecord = { header: 'abc', bits: EASY_BITS, nonce: 1, hash: '00'.repeat(32) };
    await expectRefused(w.minter.mint(bad), 'bad-proof', /proof\.header/);
    expect((await w.ledger.refused()).map((r) => r.code)).toEqual(['bad-proof']);
    const weird = { header: 12, bits: EASY_BITS, nonce: 1, hash: 'x' } as unknown as PowProofRecord;
    await expectRefused(w.minter.mint(weird), 'bad-proof');
  });

  it('records a proof worth under a micro-credit as a settled zero with its reason', async () => {
    const w = await openWallet(newFactory());
    const tiny = new Minter(w.issuer, {
      verify: (p, c) => ({ ...testVerify(p, c), credits: 1e-9 }),
      estimate: () => 1e-9,
    });
    expect(await tiny.mint(findProof(6))).toMatchObject({
      state: 'settled',
      credits: 0,
      reason: TINY_PROOF_REASON,
    });
  });

  it('survives an estimate or a verifier that throws', async () => {
    const w = await openWallet(newFactory());
    const flaky = new Minter(w.issuer, {
      verify: () => {
        throw new Error('boom');
      },
      estimate: () => {
        throw new RangeError('bits');
      },
    });
    expect(await flaky.mint(findProof(7))).toMatchObject({ state: 'rejected', reason: INVALID_PROOF_REASON });
  });
});

describe('the ledger’s own proof check', () => {
  it('refuses a signed move to verified when the proof does not verify', async () => {
    const w = await minting();
    const bad = findFailingProof(8);
    const r = await w.issuer.issue({
      jobId: proofJobId(bad),
      capsule: 'pow',
      method: 'search',
      credits: WORTH,
      proof: bad,
    });
    const head = await w.ledger.head();
    await expectRefused(
      w.ledger.append(transitionAt(head, w.identity, r.id, 'estimated', 'verified', { credits: WORTH })),
      'bad-proof',
      /does not count for this wallet: hash is above the target/,
    );
  });

  it('refuses credits beyond what the proof is worth', async () => {
    const w = await minting();
    const proof = findProof(9);
    const r = await w.issuer.issue({
      jobId: proofJobId(proof),
      capsule: 'pow',
      method: 'search',
      credits: WORTH,
      proof,
    });
    await expectRefused(
      w.issuer.transition(r.id, 'verified', { credits: WORTH + 1 }),
      'bad-proof',
      /1500001 micro-credits claimed, the proof is worth 1500000/,
    );
    expect(await w.issuer.transition(r.id, 'verified', { credits: WORTH })).toMatchObject({
      state: 'verified',
    });
  });

  it('counts no proof-of-work when no verifier is configured (a signature alone is not a proof)', async () => {
    const w = await minting({ ledgerChecksProofs: false });
    const bad = findFailingProof(10);
    const r = await w.issuer.issue({
      jobId: proofJobId(bad),
      capsule: 'pow',
      method: 'search',
      credits: 1,
      proof: bad,
    });
    await expectRefused(w.issuer.transition(r.id, 'verified'), 'bad-proof', /no proof checker/);
  });
});

describe('toMicroCredits', () => {
  it('floors to whole micro-credits and never goes negative', () => {
    expect(toMicroCredits(1.0000153)).toBe(1_000_015);
    expect(toMicroCredits(2)).toBe(2_000_000);
    expect(toMicroCredits(4.7e-10)).toBe(0);
    expect(toMicroCredits(-1)).toBe(0);
    expect(toMicroCredits(Number.NaN)).toBe(0);
    expect(toMicroCredits(Number.POSITIVE_INFINITY)).toBe(0);
  });
});
