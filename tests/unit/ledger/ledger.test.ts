import { describe, expect, it } from 'vitest';
import { serializeError } from '../../../src/messaging/errors.ts';
import {
  Ledger,
  ReceiptIssuer,
  ReceiptRejectedError,
  ZERO_HASH,
  verifyHistory,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import {
  T0,
  backed,
  counterIds,
  forge,
  identity,
  newFactory,
  openWallet,
  receiptAt,
  transitionAt,
} from './_fixtures.ts';
import { testVerify } from './_pow.ts';

async function rejection(p: Promise<unknown>): Promise<ReceiptRejectedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ReceiptRejectedError) return err;
    throw err;
  }
  throw new Error('expected the ledger to refuse the record');
}

async function expectRefused(p: Promise<unknown>, code: RejectionCode, detail: RegExp = /./): Promise<void> {
  const err = await rejection(p);
  expect(err.reason, err.message).toBe(code);
  expect(err.detail).toMatch(detail);
}

/** A wallet with one receipt of 100 estimated, 100 verified and 100 settled (balance 100, pending 200). */
async function walletWithThree() {
  const w = await openWallet(newFactory());
  const a = await w.issuer.issue({ ...backed(), capsule: 'blake3', method: 'hash', credits: 100 });
  const b = await w.issuer.issue({ ...backed(), capsule: 'blake3', method: 'hash', credits: 100 });
  const c = await w.issuer.issue({ ...backed(), capsule: 'blake3', method: 'hash', credits: 100 });
  await w.issuer.transition(b.id, 'verified');
  await w.issuer.transition(c.id, 'verified');
  await w.issuer.transition(c.id, 'settled');
  return { ...w, a, b, c };
}

describe('Ledger: accepting a valid chain', () => {
  it('chains receipts and transitions, counting only settled credits', async () => {
    const w = await walletWithThree();
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 200 });
    expect((await w.ledger.head()).seq).toBe(6);
    expect((await w.ledger.receipt(w.c.id))?.state).toBe('settled');
    const history = await w.ledger.history();
    expect(history.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(history[0]?.prev).toBe(ZERO_HASH);
    const audit = verifyHistory(history, { owner: w.identity.nodeId, verifyProof: testVerify });
    expect(audit).toMatchObject({ ok: true, balance: 100, pending: 200, head: await w.ledger.head() });
    expect(await w.ledger.refused()).toEqual([]);
  });

  it('lets a verifier restate the credits, and settles exactly what was verified', async () => {
    const w = await openWallet(newFactory());
    const r = await w.issuer.issue({ ...backed(), capsule: 'blake3', method: 'hash', credits: 900 });
    await w.issuer.transition(r.id, 'verified', { credits: 750 });
    await expectRefused(
      w.issuer.transition(r.id, 'settled', { credits: 900 }),
      'bad-transition',
      /verified 750/,
    );
    expect(await w.issuer.transition(r.id, 'settled')).toMatchObject({ state: 'settled', credits: 750 });
    expect((await w.ledger.totals()).balance).toBe(750);
  });

  it('records zeros with their reason, counted as nothing', async () => {
    const w = await openWallet(newFactory());
    const z = await w.issuer.recordZero('on battery');
    expect(z).toMatchObject({ state: 'settled', credits: 0, reason: 'on battery' });
    const rej = await w.issuer.issue({
      jobId: 'k',
      capsule: 'blake3',
      method: 'hash',
      credits: 0,
      state: 'rejected',
      reason: 'result rejected: mismatch',
    });
    expect(rej.state).toBe('rejected');
    expect(await w.ledger.totals()).toEqual({ balance: 0, pending: 0 });
  });

  it('serialises concurrent issues from one issuer into one chain', async () => {
    const w = await openWallet(newFactory());
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        w.issuer.issue({ ...backed(), capsule: 'c', method: 'm', credits: i + 1 }),
      ),
    );
    expect((await w.ledger.history()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await w.ledger.totals()).pending).toBe(55);
  });

  it('lets only one of two records built on the same head extend the chain', async () => {
    const w = await openWallet(newFactory());
    const other = new Ledger(w.db, { owner: w.identity.nodeId });
    const head = await w.ledger.head();
    const results = await Promise.allSettled([
      w.ledger.append(receiptAt(head, w.identity)),
      other.append(receiptAt(head, w.identity)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = results.find((r) => r.status === 'rejected');
    expect((failed as PromiseRejectedResult).reason).toMatchObject({ reason: 'broken-chain' });
  });
});

describe('Ledger: refusing records', () => {
  it('refuses a forged signature, stores it with its reason and leaves the balance alone', async () => {
    const w = await walletWithThree();
    const forged = forge(receiptAt(await w.ledger.head(), w.identity, { credits: 10 ** 9 }), identity(666));
    await expectRefused(w.ledger.append(forged), 'bad-signature', /forged or altered/);
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 200 });
    const [refused] = await w.ledger.refused();
    expect(refused).toMatchObject({
      code: 'bad-signature',
      id: forged.id,
      jobId: forged.jobId,
      capsule: 'blake3',
      credits: 10 ** 9,
      receivedAt: T0,
    });
    const summary = await w.ledger.summary(T0);
    expect(summary.recent.find((j) => j.id === forged.id)).toMatchObject({
      state: 'rejected',
      reason: 'rejected: bad signature',
      counted: false,
    });
    expect(summary.balance).toBe(100);
  });

  it('refuses a receipt whose credits were changed after signing', async () => {
    const w = await walletWithThree();
    const genuine = receiptAt(await w.ledger.head(), w.identity, { credits: 5 });
    await expectRefused(w.ledger.append({ ...genuine, credits: 5_000_000 }), 'bad-signature');
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 200 });
  });

  it('refuses records signed by an issuer it does not trust', async () => {
    const w = await openWallet(newFactory());
    const stranger = identity(9);
    await expectRefused(
      w.ledger.append(receiptAt(await w.ledger.head(), stranger)),
      'bad-signature',
      /not trusted/,
    );
  });

  it('refuses a transition by a trusted issuer other than the receipt’s', async () => {
    const w = await openWallet(newFactory());
    const verifier = identity(9);
    const ledger = new Ledger(w.db, {
      owner: w.identity.nodeId,
      trusts: (k) => k === w.identity.nodeId || k === verifier.nodeId,
    });
    const r = await ledger.append(receiptAt(await ledger.head(), w.identity));
    await expectRefused(
      ledger.append(transitionAt(await ledger.head(), verifier, r.id, 'estimated', 'verified')),
      'bad-signature',
      /only be moved by its issuer/,
    );
    // The trusted verifier may issue receipts of its own into the chain.
    await ledger.append(receiptAt(await ledger.head(), verifier));
  });

  it('refuses a replayed receipt, jobId or transition', async () => {
    const w = await walletWithThree();
    const history = await w.ledger.history();
    await expectRefused(w.ledger.append(history[0]), 'replay', /id r-1 was already accepted/);
    await expectRefused(w.ledger.append(history[4]), 'replay');
    const head = await w.ledger.head();
    // The same job under a fresh id, properly chained and signed, is still a second payment.
    await expectRefused(
      w.ledger.append(receiptAt(head, w.identity, { jobId: w.a.jobId, proof: w.a.proof })),
      'replay',
      /already has a receipt/,
    );
    // A re-signed copy under the old id at the right place in the chain, too.
    await expectRefused(w.ledger.append(receiptAt(head, w.identity, { id: w.a.id })), 'replay');
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 200 });
    expect((await w.ledger.refused()).map((r) => r.code)).toEqual(['replay', 'replay', 'replay', 'replay']);
    const recent = (await w.ledger.summary(T0)).recent.filter((j) => j.refused);
    expect(recent.map((j) => j.reason)).toEqual(Array(4).fill('rejected: replayed'));
  });

  it('refuses records that do not extend the chain', async () => {
    const w = await walletWithThree();
    const head = await w.ledger.head();
    await expectRefused(
      w.ledger.append(receiptAt({ ...head, hash: '1'.repeat(64) }, w.identity)),
      'broken-chain',
      /expected seq 7/,
    );
    await expectRefused(
      w.ledger.append(receiptAt({ ...head, seq: head.seq + 1 }, w.identity)),
      'broken-chain',
      /got seq 8/,
    );
    await expectRefused(
      w.ledger.append(receiptAt({ ...head, seq: head.seq - 1 }, w.identity)),
      'broken-chain',
    );
    await expectRefused(
      w.ledger.append(receiptAt({ ...head, ledger: identity(9).nodeId }, w.identity)),
      'broken-chain',
      /belongs to ledger/,
    );
    expect((await w.ledger.head()).seq).toBe(6);
  });

  it('refuses state changes outside estimated → verified → settled | rejected', async () => {
    const w = await walletWithThree();
    const at = async (
      id: string,
      from: Parameters<typeof transitionAt>[3],
      to: Parameters<typeof transitionAt>[4],
    ) => w.ledger.append(transitionAt(await w.ledger.head(), w.identity, id, from, to));
    await expectRefused(
      at(w.c.id, 'settled', 'estimated'),
      'bad-transition',
      /settled → estimated is not allowed/,
    );
    await expectRefused(at(w.c.id, 'settled', 'rejected'), 'bad-transition');
    await expectRefused(
      at(w.a.id, 'estimated', 'settled'),
      'bad-transition',
      /estimated → settled is not allowed/,
    );
    await expectRefused(at(w.a.id, 'verified', 'settled'), 'bad-transition', /is estimated, not verified/);
    await expectRefused(at('no-such', 'estimated', 'verified'), 'bad-transition', /no receipt no-such/);
    const head = await w.ledger.head();
    await expectRefused(
      w.ledger.append(receiptAt(head, w.identity, { state: 'verified' })),
      'bad-transition',
      /starts as estimated/,
    );
    await expectRefused(
      w.ledger.append(receiptAt(head, w.identity, { state: 'settled', credits: 5 })),
      'bad-transition',
    );
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 200 });
    // The refused transition is listed under its receipt's capsule and job.
    expect((await w.ledger.refused())[0]).toMatchObject({
      code: 'bad-transition',
      kind: 'transition',
      jobId: w.c.jobId,
      capsule: 'blake3',
    });
  });

  it('moves to rejected from estimated or verified, and a rejected receipt stays uncounted', async () => {
    const w = await walletWithThree();
    await w.issuer.transition(w.a.id, 'rejected', { reason: 'result rejected: mismatch' });
    await w.issuer.transition(w.b.id, 'rejected', { reason: 'result rejected: mismatch' });
    await expectRefused(w.issuer.transition(w.b.id, 'settled'), 'bad-transition');
    expect(await w.ledger.totals()).toEqual({ balance: 100, pending: 0 });
  });

  it('stores malformed input with whatever could be read', async () => {
    const w = await openWallet(newFactory());
    await expectRefused(w.ledger.append(null), 'malformed');
    await expectRefused(
      w.ledger.append({ id: 'x1', kind: 'receipt', capsule: 'blake3', credits: 7 }),
      'malformed',
    );
    const refused = await w.ledger.refused();
    expect(refused.map((r) => r.code)).toEqual(['malformed', 'malformed']);
    expect(refused[1]).toMatchObject({ id: 'x1', kind: 'receipt', capsule: 'blake3', credits: 7 });
  });

  it('does not let a refused forgery block the genuine record with the same id', async () => {
    const w = await openWallet(newFactory());
    const genuine = receiptAt(await w.ledger.head(), w.identity, { credits: 10 });
    await expectRefused(w.ledger.append(forge({ ...genuine, credits: 99 }, identity(666))), 'bad-signature');
    await w.ledger.append(genuine);
    expect((await w.ledger.totals()).pending).toBe(10);
  });

  it('keeps only the newest refused records', async () => {
    const w = await openWallet(newFactory(), { maxRefused: 3 });
    for (let i = 0; i < 5; i++) await expectRefused(w.ledger.append({ id: `bad-${i}` }), 'malformed');
    expect((await w.ledger.refused()).map((r) => r.id)).toEqual(['bad-2', 'bad-3', 'bad-4']);
  });

  it('carries its code across contexts', async () => {
    const w = await openWallet(newFactory());
    const err = await rejection(w.ledger.append({}));
    expect(serializeError(err)).toMatchObject({ name: 'ReceiptRejectedError', code: 'malformed' });
  });
});

describe('Ledger: a browser restart', () => {
  it('keeps identity, chain, states, refusals and summary, and carries on the chain', async () => {
    const factory = newFactory();
    const w1 = await openWallet(factory, { ids: 's1' });
    const r = await w1.issuer.issue({
      ...backed(),
      capsule: 'blake3',
      method: 'hash',
      credits: 40,
      cpuMs: 500,
    });
    await w1.issuer.transition(r.id, 'verified');
    const open = await w1.issuer.issue({ ...backed(), capsule: 'blake3', method: 'hash', credits: 60 });
    await expectRefused(
      w1.ledger.append(forge(receiptAt(await w1.ledger.head(), w1.identity), identity(3))),
      'bad-signature',
    );
    const before = {
      head: await w1.ledger.head(),
      summary: await w1.ledger.summary(T0),
      history: await w1.ledger.history(),
    };
    w1.db.close();

    const w2 = await openWallet(factory, { ids: 's2', seed: 999 });
    expect(w2.identity.nodeId).toBe(w1.identity.nodeId);
    expect(await w2.ledger.head()).toEqual(before.head);
    expect(await w2.ledger.summary(T0)).toEqual(before.summary);
    expect(await w2.ledger.history()).toEqual(before.history);
    await w2.issuer.transition(r.id, 'settled');
    await w2.issuer.transition(open.id, 'verified');
    expect(await w2.ledger.totals()).toEqual({ balance: 40, pending: 60 });
    // A record from before the restart is still a replay after it.
    await expectRefused(w2.ledger.append(before.history[0]), 'replay');
    expect(
      verifyHistory(await w2.ledger.history(), { owner: w2.identity.nodeId, verifyProof: testVerify }),
    ).toMatchObject({
      ok: true,
      balance: 40,
    });
    w2.db.close();
  });

  it('keeps separate chains when a different identity is imported', async () => {
    const w = await openWallet(newFactory());
    await w.issuer.issue({ ...backed(), capsule: 'c', method: 'm', credits: 5 });
    const other = identity(77);
    const ledger = new Ledger(w.db, { owner: other.nodeId });
    const issuer = new ReceiptIssuer(ledger, other, { newId: counterIds('o') });
    expect(await ledger.head()).toEqual({ ledger: other.nodeId, seq: 0, hash: ZERO_HASH });
    await issuer.issue({ ...backed(), capsule: 'c', method: 'm', credits: 7 });
    expect((await ledger.totals()).pending).toBe(7);
    expect((await w.ledger.totals()).pending).toBe(5);
    expect(await ledger.receipt('r-1')).toBeUndefined();
  });
});

describe('verifyHistory', () => {
  it('finds the first bad record of an edited history', async () => {
    const w = await walletWithThree();
    const history = await w.ledger.history();
    const owner = w.identity.nodeId;
    const edited = history.map((e, i) => (i === 3 ? { ...e, credits: 1000 } : e));
    expect(verifyHistory(edited, { owner, verifyProof: testVerify })).toMatchObject({
      ok: false,
      index: 3,
      code: 'bad-signature',
    });
    expect(
      verifyHistory([...history.slice(0, 2), ...history.slice(3)], { owner, verifyProof: testVerify }),
    ).toMatchObject({
      ok: false,
      index: 2,
      code: 'broken-chain',
    });
    expect(verifyHistory([...history, history[1]], { owner, verifyProof: testVerify })).toMatchObject({
      ok: false,
      index: 6,
      code: 'replay',
    });
    expect(verifyHistory(history, { owner: identity(4).nodeId, verifyProof: testVerify })).toMatchObject({
      ok: false,
      index: 0,
      code: 'bad-signature',
    });
    expect(verifyHistory([{ nonsense: true }], { owner, verifyProof: testVerify })).toMatchObject({
      ok: false,
      index: 0,
      code: 'malformed',
    });
    expect(verifyHistory([], { owner, verifyProof: testVerify })).toMatchObject({
      ok: true,
      balance: 0,
      head: { seq: 0, hash: ZERO_HASH },
    });
  });
});
