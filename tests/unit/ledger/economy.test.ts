/**
 * Credits nobody can forge: each way of making credits out of nothing is refused with its reason.
 * New credits come only from proof-of-work bound to the minter and a recent epoch; peer credits
 * only from payments signed by a payer whose own chain covers them; a double spend is a fork
 * that anyone can prove.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { EPOCH_MS } from '../../../src/capsules/pow/proof.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';
import {
  ReceiptRejectedError,
  STALE_PROOF_REASON,
  UNBOUND_PROOF_REASON,
  entryDigest,
  proofJobId,
  signEntry,
  verifyForkProof,
  verifyHistory,
  type Pay,
  type PaymentBundle,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import { T0, clock, identity } from './_fixtures.ts';
import { BOUND_WORTH, boundProof, economyWallet } from './_bound.ts';

async function refusal(p: Promise<unknown>): Promise<ReceiptRejectedError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReceiptRejectedError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

async function expectRefused(p: Promise<unknown>, code: RejectionCode, detail: RegExp): Promise<void> {
  const err = await refusal(p);
  expect(err.reason, err.message).toBe(code);
  expect(err.detail).toMatch(detail);
}

const blockProof = (i: number) => {
  const v = BLOCK_VECTORS[i]!;
  return { header: v.header, bits: v.bits, nonce: v.nonce, hash: v.hash };
};

describe('minting: only proof-of-work bound to the minter and a recent epoch', () => {
  it('mints a bound proof and an offline audit agrees', async () => {
    const w = await economyWallet(1);
    expect(await w.mint(2)).toBe(2 * BOUND_WORTH);
    expect(await w.ledger.totals()).toEqual({ balance: 2 * BOUND_WORTH, pending: 0 });
    const audit = verifyHistory(await w.ledger.history(), {
      owner: w.identity.nodeId,
      verifyProof: verifyBoundProof,
    });
    expect(audit).toMatchObject({ ok: true, balance: 2 * BOUND_WORTH });
  });

  it.each(BLOCK_VECTORS.map((v, i) => [v.height, i]))(
    'refuses public Bitcoin block %i as a proof, though its work is real',
    async (_h, i) => {
      const w = await economyWallet(2);
      const r = await w.minter.mint(blockProof(i));
      expect(r).toMatchObject({ state: 'rejected', credits: 0, reason: UNBOUND_PROOF_REASON });
      expect(await w.ledger.totals()).toEqual({ balance: 0, pending: 0 });
      // Signing the move to verified by hand does not help: the ledger re-checks the binding.
      const proof = blockProof((i + 1) % BLOCK_VECTORS.length);
      const e = await w.issuer.issue({
        jobId: proofJobId(proof),
        capsule: 'pow',
        method: 'search',
        credits: 1_000_000,
        proof,
      });
      await expectRefused(
        w.issuer.transition(e.id, 'verified'),
        'unbound-proof',
        /commits to no INOS identity/,
      );
      expect(await w.ledger.totals()).toEqual({ balance: 0, pending: 1_000_000 });
    },
  );

  it("refuses another node's proof", async () => {
    const w = await economyWallet(3);
    const other = identity(33);
    const r = await w.minter.mint(boundProof(other.nodeId, w.clock.now()));
    expect(r).toMatchObject({ state: 'rejected', credits: 0, reason: UNBOUND_PROOF_REASON });
    expect(
      verifyBoundProof(boundProof(other.nodeId, T0), { minter: w.identity.nodeId, now: T0 }),
    ).toMatchObject({
      valid: false,
      code: 'unbound',
      reason: expect.stringMatching(/bound to another identity/) as unknown,
    });
  });

  it('refuses a proof from an old epoch, and one from the future', async () => {
    const c = clock();
    const w = await economyWallet(4, c);
    const old = boundProof(w.identity.nodeId, T0 - 2 * EPOCH_MS);
    expect(await w.minter.mint(old)).toMatchObject({ state: 'rejected', reason: STALE_PROOF_REASON });
    const ahead = boundProof(w.identity.nodeId, T0 + 2 * EPOCH_MS);
    expect(await w.minter.mint(ahead)).toMatchObject({ state: 'rejected', reason: STALE_PROOF_REASON });
    // The previous epoch is still inside the window.
    expect(await w.minter.mint(boundProof(w.identity.nodeId, T0 - EPOCH_MS))).toMatchObject({
      state: 'settled',
    });
    // A proof kept back and submitted two epochs later is worth nothing.
    const kept = boundProof(w.identity.nodeId, T0);
    c.set(T0 + 2 * EPOCH_MS + 1);
    expect(await w.minter.mint(kept)).toMatchObject({ state: 'rejected', reason: STALE_PROOF_REASON });
    expect(verifyBoundProof(kept, { minter: w.identity.nodeId, now: c.now() }).reason).toMatch(/too old/);
  });

  it('refuses a receipt with credits but neither a proof nor a payment (a forged receipt)', async () => {
    const w = await economyWallet(5);
    const r = await w.issuer.issue({
      jobId: 'forged',
      capsule: 'blake3',
      method: 'hash',
      credits: 5_000_000,
    });
    await expectRefused(
      w.issuer.transition(r.id, 'verified'),
      'unbacked',
      /neither a bound proof nor a payer-signed payment/,
    );
    expect(await w.ledger.totals()).toEqual({ balance: 0, pending: 5_000_000 });
    expect((await w.ledger.refused()).map((f) => f.code)).toEqual(['unbacked']);
  });
});

/** Requester A with minted credits, contributor B; A holds a budget for a job. */
async function market() {
  const a = await economyWallet(10);
  const b = await economyWallet(11);
  const c = await economyWallet(12);
  await a.mint(4); // 125 000 micro-credits
  return { a, b, c };
}

describe('escrow and payments signed by the payer', () => {
  it('holds the budget, pays costUsed per verified result, returns the rest', async () => {
    const { a, b, c } = await market();
    const hold = await a.payments.hold('job-1', 100_000);
    expect(await a.ledger.runningTotals()).toMatchObject({ balance: 125_000, held: 100_000 });
    // Only what is not held can back another hold.
    await expectRefused(a.payments.hold('job-2', 30_000), 'uncovered', /exceeds the 25000 available/);
    const toB = await a.payments.pay(hold.id, b.identity.nodeId, 40_000, {
      jobId: 'job-1/0',
      capsule: 'crypto',
      method: 'blake3',
    });
    const toC = await a.payments.pay(hold.id, c.identity.nodeId, 50_000, {
      jobId: 'job-1/1',
      capsule: 'crypto',
      method: 'blake3',
    });
    await expectRefused(
      a.payments.pay(hold.id, c.identity.nodeId, 20_000, {
        jobId: 'job-1/2',
        capsule: 'crypto',
        method: 'blake3',
      }),
      'uncovered',
      /exceed hold/,
    );
    await a.payments.release(hold.id);
    expect(await a.ledger.runningTotals()).toMatchObject({ balance: 35_000, held: 0, spent: 90_000 });

    expect(await b.payments.receive(toB)).toMatchObject({
      state: 'settled',
      credits: 40_000,
      capsule: 'crypto',
    });
    expect(await c.payments.receive(toC)).toMatchObject({ state: 'settled', credits: 50_000 });
    const sb = await b.ledger.summary();
    expect(sb).toMatchObject({ balance: 40_000, paidByPeers: 40_000, proofOfWork: 0 });
    // B can spend what A paid it, and D can check it through both chains.
    const d = await economyWallet(13);
    const h2 = await b.payments.hold('job-9', 40_000);
    const toD = await b.payments.pay(h2.id, d.identity.nodeId, 40_000, {
      jobId: 'job-9/0',
      capsule: 'c',
      method: 'm',
    });
    expect(Object.keys(toD.chains).sort()).toEqual([a.identity.nodeId, b.identity.nodeId].sort());
    expect(await d.payments.receive(toD)).toMatchObject({ state: 'settled', credits: 40_000 });
    // An offline audit of D's chain, given the payers' chains, agrees.
    const audit = verifyHistory(await d.ledger.history(), {
      owner: d.identity.nodeId,
      verifyProof: verifyBoundProof,
      chains: toD.chains,
    });
    expect(audit).toMatchObject({ ok: true, balance: 40_000 });
    // Without them, the payment cannot be checked and does not count.
    expect(
      verifyHistory(await d.ledger.history(), { owner: d.identity.nodeId, verifyProof: verifyBoundProof }),
    ).toMatchObject({
      ok: false,
      code: 'uncovered',
    });
  });

  it('refuses a forged payment (not signed by the payer)', async () => {
    const { a, b } = await market();
    const hold = await a.payments.hold('job-1', 50_000);
    const bundle = await a.payments.pay(hold.id, b.identity.nodeId, 50_000, {
      jobId: 'j',
      capsule: 'c',
      method: 'm',
    });
    const mallory = identity(66);
    const raised: Pay = { ...bundle.pay, amount: 5_000_000 };
    const forged = { ...raised, sig: bytesToHex(mallory.sign(entryDigest(raised))) };
    await expectRefused(
      b.payments.receive({ ...bundle, pay: forged }),
      'uncovered',
      /does not contain this payment/,
    );
    // Signed into the receipt directly, the ledger checks the payer's signature itself.
    await expectRefused(
      b.issuer.issue({ jobId: 'x', capsule: 'c', method: 'm', credits: 5_000_000, payment: forged }),
      'bad-signature',
      /not signed by its payer/,
    );
    expect(await b.ledger.totals()).toEqual({ balance: 0, pending: 0 });
  });

  it('refuses a payment the payer cannot cover (its chain has no such credits)', async () => {
    const poor = await economyWallet(20);
    const b = await economyWallet(21);
    // A payer with no credits signs a pay outside any hold: its own chain refuses it, so it fabricates one.
    const head = await poor.ledger.head();
    const pay = signEntry(
      {
        v: 1,
        kind: 'pay',
        id: 'fake-pay',
        ledger: poor.identity.nodeId,
        seq: head.seq + 1,
        prev: head.hash,
        issuer: poor.identity.nodeId,
        issuedAt: T0,
        holdId: 'no-hold',
        payee: b.identity.nodeId,
        amount: 9_000_000,
        jobId: 'j',
        capsule: 'c',
        method: 'm',
      },
      poor.identity,
    );
    const bundle: PaymentBundle = {
      pay,
      chains: { [poor.identity.nodeId]: [...(await poor.ledger.history()), pay] },
    };
    await expectRefused(b.payments.receive(bundle), 'uncovered', /no hold no-hold/);
    expect(await b.ledger.totals()).toEqual({ balance: 0, pending: 0 });
  });

  it('refuses a replayed payment', async () => {
    const { a, b } = await market();
    const hold = await a.payments.hold('job-1', 50_000);
    const bundle = await a.payments.pay(hold.id, b.identity.nodeId, 30_000, {
      jobId: 'j',
      capsule: 'c',
      method: 'm',
    });
    await b.payments.receive(bundle);
    await expectRefused(b.payments.receive(bundle), 'replay', /already has a receipt/);
    expect(await b.ledger.totals()).toEqual({ balance: 30_000, pending: 0 });
  });

  it('refuses a payment meant for someone else', async () => {
    const { a, b, c } = await market();
    const hold = await a.payments.hold('job-1', 50_000);
    const toB = await a.payments.pay(hold.id, b.identity.nodeId, 30_000, {
      jobId: 'j',
      capsule: 'c',
      method: 'm',
    });
    await expectRefused(c.payments.receive(toB), 'unbacked', /not to this wallet/);
  });

  it('catches a double spend (a fork), proves it to anyone, and refuses that payer from then on', async () => {
    const { a, b, c } = await market();
    // A signs a hold and a pay to B, then — from a copy of its chain before the pay — a different pay to C
    // at the same seq: the same credits spent twice.
    const hold = await a.payments.hold('job-1', 100_000);
    const before = await a.ledger.history();
    const toB = await a.payments.pay(hold.id, b.identity.nodeId, 100_000, {
      jobId: 'j',
      capsule: 'c',
      method: 'm',
    });
    const payC = signEntry({ ...toB.pay, id: 'second-spend', payee: c.identity.nodeId }, a.identity);
    const toC: PaymentBundle = { pay: payC, chains: { [a.identity.nodeId]: [...before, payC] } };
    expect(await c.payments.receive(toC)).toMatchObject({ state: 'settled', credits: 100_000 });
    // B has the first version; when it later sees the second (C re-spends, or gossip), it has a fork.
    await b.payments.receive(toB);
    const h = await c.payments.hold('job-c', 100_000);
    const fromC = await c.payments.pay(h.id, b.identity.nodeId, 100_000, {
      jobId: 'k',
      capsule: 'c',
      method: 'm',
    });
    await expectRefused(b.payments.receive(fromC), 'double-spend', /signed two records at seq/);
    const proof = await b.payments.forkProof(a.identity.nodeId);
    expect(proof).toBeDefined();
    // Any peer checks the proof with no other context, and refuses A from then on.
    expect(verifyForkProof(JSON.parse(JSON.stringify(proof)))).toMatchObject({ ok: true });
    const d = await economyWallet(14);
    await d.payments.reportFork(proof);
    // A genuine, covered payment from A's real chain is still refused by D: A is a proven double spender.
    const h3 = await a.payments.hold('job-3', 20_000);
    const toD = await a.payments.pay(h3.id, d.identity.nodeId, 20_000, {
      jobId: 'l',
      capsule: 'c',
      method: 'm',
    });
    await expectRefused(d.payments.receive(toD), 'double-spend', /signed a fork earlier/);
    expect(await d.ledger.totals()).toEqual({ balance: 0, pending: 0 });
    // A bogus fork proof is refused with its reason.
    expect(
      verifyForkProof({ ledger: a.identity.nodeId, seq: toB.pay.seq, a: toB.pay, b: toB.pay }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/the same/) as unknown,
    });
    expect(verifyForkProof({ ...proof, b: { ...proof!.b, amount: 1 } })).toMatchObject({ ok: false });
  });
});
