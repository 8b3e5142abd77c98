/**
 * Incremental payer audits: a payee keeps, per payer, the state of the chain it last audited
 * (head, totals, open receipts and holds, ids seen), so the payer's next bundle carries only the
 * records after that head and the payee replays only those. A first-time payee still needs the
 * whole chain, and a payer that signs two chains from one audited head is caught with a proof.
 */
import { describe, expect, it } from 'vitest';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import {
  Payments,
  ReceiptRejectedError,
  verifyForkProof,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { clock, newFactory, openWallet, T0 } from './_fixtures.ts';
import { BOUND_WORTH, economyWallet } from './_bound.ts';

const WHAT = { jobId: 'job-1', capsule: 'crypto', method: 'hash' };

async function refusal(p: Promise<unknown>): Promise<ReceiptRejectedError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ReceiptRejectedError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

describe('incremental payer audits', { timeout: 90_000 }, () => {
  it('a second payment carries only the records after the payee’s audited head', async () => {
    const c = clock(T0);
    const payer = await economyWallet(61, c);
    const payee = await economyWallet(62, c);
    await payer.mint(6);
    const hold = await payer.payments.hold('job-1', 4 * BOUND_WORTH);
    const first = await payer.payments.pay(hold.id, payee.identity.nodeId, BOUND_WORTH, WHAT);
    expect(first.chains[payer.identity.nodeId]).toHaveLength(6 * 3 + 2);
    expect(await payee.payments.auditedHead(payer.identity.nodeId)).toBe(0);
    await payee.payments.receive(first);
    const since = await payee.payments.auditedHead(payer.identity.nodeId);
    expect(since).toBe(first.pay.seq);

    await payer.mint(2);
    const second = await payer.payments.pay(
      hold.id,
      payee.identity.nodeId,
      BOUND_WORTH,
      { ...WHAT, jobId: 'job-2' },
      { since },
    );
    const sent = second.chains[payer.identity.nodeId]!;
    expect(sent.map((e) => e.seq)).toEqual([21, 22, 23, 24, 25, 26, 27]);
    expect((await payee.payments.receive(second)).credits).toBe(BOUND_WORTH);
    expect(await payee.payments.auditedHead(payer.identity.nodeId)).toBe(second.pay.seq);
    expect((await payee.ledger.totals()).balance).toBe(2 * BOUND_WORTH);

    // A payee that never audited this payer needs the whole chain, and says from where.
    const stranger = await economyWallet(63, c);
    const third = await payer.payments.pay(
      hold.id,
      stranger.identity.nodeId,
      BOUND_WORTH,
      { ...WHAT, jobId: 'job-3' },
      { since: second.pay.seq },
    );
    const err = await refusal(stranger.payments.receive(third));
    expect(err.reason).toBe<RejectionCode>('uncovered');
    expect(err.detail).toMatch(/up to seq 0: send the records after it/);
    const whole = { ...third, chains: { [payer.identity.nodeId]: await payer.ledger.history() } };
    expect((await stranger.payments.receive(whole)).credits).toBe(BOUND_WORTH);
  });

  it('the audited state carries holds: a later pay on an audited hold is accepted, a replay refused', async () => {
    const c = clock(T0);
    const payer = await economyWallet(64, c);
    const payee = await economyWallet(65, c);
    await payer.mint(2);
    const hold = await payer.payments.hold('job-1', 2 * BOUND_WORTH);
    await payee.payments.receive(await payer.payments.pay(hold.id, payee.identity.nodeId, BOUND_WORTH, WHAT));
    const since = await payee.payments.auditedHead(payer.identity.nodeId);
    // Only the new pay is sent: its hold (opened before the audited head) comes from the stored
    // state. The hold is then spent, so the payer's own ledger refuses more.
    const again = await payer.payments.pay(
      hold.id,
      payee.identity.nodeId,
      BOUND_WORTH,
      { ...WHAT, jobId: 'job-2' },
      { since },
    );
    expect((await payee.payments.receive(again)).credits).toBe(BOUND_WORTH);
    expect((await refusal(payee.payments.receive(again))).reason).toBe<RejectionCode>('replay');
    await expect(
      payer.payments.pay(hold.id, payee.identity.nodeId, 1, { ...WHAT, jobId: 'job-3' }),
    ).rejects.toThrow(/exceed hold/);
  });

  it('two chains signed from one audited head are a fork, proven and refused from then on', async () => {
    const c = clock(T0);
    const payer = await economyWallet(66, c);
    const payee = await economyWallet(67, c);
    await payer.mint(3);
    const hold = await payer.payments.hold('job-1', 3 * BOUND_WORTH);
    await payee.payments.receive(await payer.payments.pay(hold.id, payee.identity.nodeId, BOUND_WORTH, WHAT));
    const since = await payee.payments.auditedHead(payer.identity.nodeId);

    // The same key in a second database, restored from the same chain: a second branch.
    const twin = await openWallet(newFactory(), {
      seed: 66,
      clock: c,
      verifyProof: verifyBoundProof,
      ids: 'twin',
    });
    expect(twin.identity.nodeId).toBe(payer.identity.nodeId);
    await twin.ledger.restore(await payer.ledger.history());
    const twinPayments = new Payments(twin.ledger, twin.issuer);

    const a = await payer.payments.pay(
      hold.id,
      payee.identity.nodeId,
      BOUND_WORTH,
      { ...WHAT, jobId: 'a' },
      { since },
    );
    expect((await payee.payments.receive(a)).credits).toBe(BOUND_WORTH);
    const b = await twinPayments.pay(
      hold.id,
      payee.identity.nodeId,
      BOUND_WORTH,
      { ...WHAT, jobId: 'b' },
      { since },
    );
    expect(b.pay.seq).toBe(a.pay.seq);
    const err = await refusal(payee.payments.receive(b));
    expect(err.reason).toBe<RejectionCode>('double-spend');
    const proof = await payee.payments.forkProof(payer.identity.nodeId);
    expect(proof).toBeDefined();
    expect(verifyForkProof(proof).ok).toBe(true);
    expect(await payee.payments.isBanned(payer.identity.nodeId)).toBe(true);
  });
});
