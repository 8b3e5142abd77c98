/**
 * Escrow pledges: a requester that assigns a run signs a pledge from the job's hold; the
 * contributor may redeem it with its result hash after redeemAfter if the requester never pays
 * (it left). A pay naming the pledge settles or voids it instead, and a payee books a pledge once.
 */
import { describe, expect, it } from 'vitest';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import {
  PLEDGE_VOIDED_REASON,
  REQUESTER_LEFT_REASON,
  ReceiptRejectedError,
  entryHash,
  verifyHistory,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { clock, T0 } from './_fixtures.ts';
import { BOUND_WORTH, economyWallet } from './_bound.ts';

const RESULT = 'ab'.repeat(32);
const WHAT = { jobId: 'job-1', capsule: 'crypto', method: 'hash' };
const GRACE = 10 * 60_000;

async function expectRefused(p: Promise<unknown>, code: RejectionCode, detail: RegExp): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReceiptRejectedError)) throw new Error(`expected a refusal, got ${String(err)}`);
  expect(err.reason, err.message).toBe(code);
  expect(err.detail).toMatch(detail);
}

async function pair() {
  const c = clock(T0);
  const a = await economyWallet(31, c);
  const b = await economyWallet(32, c);
  const minted = await a.mint(4);
  const hold = await a.payments.hold('job-1', 2 * BOUND_WORTH);
  const bundle = await a.payments.pledge(hold.id, b.identity.nodeId, BOUND_WORTH, {
    ...WHAT,
    redeemAfter: T0 + GRACE,
  });
  return { c, a, b, minted, hold, bundle, hash: entryHash(bundle.pledge) };
}

const audit = (w: Awaited<ReturnType<typeof economyWallet>>, chains: Record<string, unknown[]>) =>
  w.ledger
    .history()
    .then((h) => verifyHistory(h, { owner: w.identity.nodeId, verifyProof: verifyBoundProof, chains }));

describe('escrow pledges for a requester that leaves', () => {
  it('a vanished requester still pays: the contributor redeems its pledge after the deadline, once', async () => {
    const { c, a, b, minted, hold, bundle } = await pair();
    expect(await b.payments.acceptPledge(bundle)).toMatchObject({ amount: BOUND_WORTH });
    await expectRefused(b.payments.redeem(bundle, RESULT), 'unbacked', /can be redeemed from/);
    c.set(T0 + GRACE + 1);
    const r = await b.payments.redeem(bundle, RESULT, { cpuMs: 7 });
    expect(r).toMatchObject({ state: 'settled', credits: BOUND_WORTH, reason: REQUESTER_LEFT_REASON });
    expect((await b.ledger.receipt(r.id))?.result).toBe(RESULT);
    expect(await b.ledger.totals()).toEqual({ balance: BOUND_WORTH, pending: 0 });
    // Redeemed again (the document and the background both try): the same receipt, booked once.
    expect(await b.payments.redeem(bundle, RESULT)).toEqual(r);
    expect(await b.ledger.totals()).toEqual({ balance: BOUND_WORTH, pending: 0 });
    expect((await b.payments.keptPledges()).map((k) => k.state)).toEqual(['redeemed']);
    // Anyone holding the payer's chain agrees; the payer's books: a release counts the open pledge as paid.
    expect(await audit(b, { [a.identity.nodeId]: await a.ledger.history() })).toMatchObject({
      ok: true,
      balance: BOUND_WORTH,
    });
    await a.payments.release(hold.id);
    expect(await a.ledger.totals()).toEqual({ balance: minted - BOUND_WORTH, pending: 0 });
    expect(await audit(a, {})).toMatchObject({ ok: true, balance: minted - BOUND_WORTH });
  });

  it('a requester that comes back pays costUsed through the pledge; the rest returns and it cannot be redeemed too', async () => {
    const { c, a, b, minted, hold, bundle, hash } = await pair();
    await b.payments.acceptPledge(bundle);
    const pay = await a.payments.pay(hold.id, b.identity.nodeId, 12_345, { ...WHAT, pledge: hash });
    expect(await b.payments.receive(pay)).toMatchObject({ state: 'settled', credits: 12_345 });
    c.set(T0 + GRACE + 1);
    await expectRefused(b.payments.redeem(bundle, RESULT), 'uncovered', /closed this pledge/);
    await a.payments.release(hold.id);
    expect(await a.ledger.totals()).toEqual({ balance: minted - 12_345, pending: 0 });
    expect(await b.ledger.totals()).toEqual({ balance: 12_345, pending: 0 });
    // A second pay through the same (now closed) pledge is refused in the payer's own chain.
    await expectRefused(
      a.payments.pay(hold.id, b.identity.nodeId, 1, { ...WHAT, pledge: hash }),
      'bad-transition',
      /released|no open pledge/,
    );
  });

  it('a void (pay 0) leaves a zero with its reason; a redemption hidden from the voiding payer fails any audit that sees the void', async () => {
    const { c, a, b, hold, bundle, hash } = await pair();
    await b.payments.acceptPledge(bundle);
    const voided = await a.payments.pay(hold.id, b.identity.nodeId, 0, { ...WHAT, pledge: hash });
    expect(await b.payments.receive(voided)).toMatchObject({
      state: 'settled',
      credits: 0,
      reason: PLEDGE_VOIDED_REASON,
    });
    c.set(T0 + GRACE + 1);
    await expectRefused(b.payments.redeem(bundle, RESULT), 'uncovered', /closed this pledge/);

    // A contributor that never got the void redeems; an auditor with the payer's chain refuses it.
    const d = await economyWallet(33, c);
    c.set(T0);
    const hold2 = await a.payments.hold('job-2', BOUND_WORTH);
    const toD = await a.payments.pledge(hold2.id, d.identity.nodeId, BOUND_WORTH, {
      ...WHAT,
      jobId: 'job-2',
      redeemAfter: T0 + GRACE,
    });
    await d.payments.acceptPledge(toD);
    await a.payments.pay(hold2.id, d.identity.nodeId, 0, {
      ...WHAT,
      jobId: 'job-2',
      pledge: entryHash(toD.pledge),
    });
    c.set(T0 + GRACE + 1);
    expect(await d.payments.redeem(toD, RESULT)).toMatchObject({ credits: BOUND_WORTH });
    const seen = await audit(d, { [a.identity.nodeId]: await a.ledger.history() });
    expect(seen).toMatchObject({ ok: false, code: 'uncovered' });
    if (!seen.ok) expect(seen.detail).toMatch(/closed this pledge/);
  });

  it('refuses pledges beyond the hold, to someone else, or from a payer that forked', async () => {
    const { c, a, b, hold, bundle, hash } = await pair();
    await expectRefused(
      a.payments.pledge(hold.id, b.identity.nodeId, BOUND_WORTH + 1, { ...WHAT, redeemAfter: T0 }),
      'uncovered',
      /would exceed hold/,
    );
    const e = await economyWallet(34, c);
    await expectRefused(e.payments.acceptPledge(bundle), 'unbacked', /not to this wallet/);
    await expectRefused(
      a.payments.pay(hold.id, e.identity.nodeId, 1, { ...WHAT, pledge: hash }),
      'bad-transition',
      /is to/,
    );
    await expectRefused(b.payments.acceptPledge({ pledge: { kind: 'pledge' } }), 'malformed', /pledge/);
    // The same identity signing another chain (a fork): the second pledge is caught as a double spend.
    await b.payments.acceptPledge(bundle);
    c.set(T0 + 1);
    const twin = await economyWallet(31, c);
    await twin.mint(4);
    const h = await twin.payments.hold('job-x', BOUND_WORTH);
    const forked = await twin.payments.pledge(h.id, b.identity.nodeId, BOUND_WORTH, {
      ...WHAT,
      redeemAfter: T0,
    });
    await expectRefused(b.payments.acceptPledge(forked), 'double-spend', /fork/);
    expect(await b.payments.isBanned(a.identity.nodeId)).toBe(true);
  });
});
