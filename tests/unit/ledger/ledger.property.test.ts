/**
 * Property: over any sequence of genuine, forged, tampered, replayed, misordered and illegal
 * records, the balance equals the settled credits of the genuine ones — after every step, in an
 * offline audit of the history, and after a restart. Seeded; set SEED=n to replay one sequence.
 */
import { describe, expect, it } from 'vitest';
import {
  ReceiptRejectedError,
  verifyHistory,
  type LedgerEntry,
  type ReceiptState,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import {
  backed,
  clock,
  forge,
  identity,
  newFactory,
  openWallet,
  receiptAt,
  transitionAt,
} from './_fixtures.ts';
import { testVerify } from './_pow.ts';

const STEPS = 80;
const SEEDS = process.env.SEED === undefined ? [1, 2, 3, 4] : [seedFromEnv(1)];

interface ModelReceipt {
  state: ReceiptState;
  credits: number;
}

const settled = (model: Map<string, ModelReceipt>) =>
  [...model.values()].filter((r) => r.state === 'settled').reduce((s, r) => s + r.credits, 0);

describe.each(SEEDS)('ledger property (seed %i)', (seed) => {
  it('balance = settled credits of genuine records, whatever else arrives', async () => {
    const rand = prng(seed);
    const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
    const c = clock();
    const factory = newFactory();
    const w = await openWallet(factory, { clock: c, ids: `s${seed}` });
    const attacker = identity(1000 + seed);
    const model = new Map<string, ModelReceipt>();
    const accepted: LedgerEntry[] = [];
    const log: string[] = [];

    const refusedWith = async (p: Promise<unknown>, code: RejectionCode, what: string) => {
      const err: unknown = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `seed ${seed}: ${what} was accepted\n${log.join('\n')}`).toBeInstanceOf(
        ReceiptRejectedError,
      );
      expect((err as ReceiptRejectedError).reason, `seed ${seed}: ${what}: ${String(err)}`).toBe(code);
    };
    const open = (states: readonly ReceiptState[]) =>
      [...model.entries()].filter(([, r]) => states.includes(r.state)).map(([id]) => id);
    const recordLast = async () => {
      const last = (await w.ledger.history()).at(-1);
      if (last) accepted.push(last);
    };

    for (let step = 0; step < STEPS; step++) {
      c.set(c.now() + Math.floor(rand() * 3_600_000));
      const head = await w.ledger.head();
      const roll = rand();
      if (roll < 0.3) {
        const credits = rand() < 0.15 ? 0 : Math.floor(rand() * 5000) + 1;
        const r = await w.issuer.issue({
          ...(credits > 0 ? backed() : { jobId: `job-${step}` }),
          capsule: 'blake3',
          method: 'hash',
          credits,
          reason: credits === 0 ? 'no work available' : '',
        });
        model.set(r.id, { state: 'estimated', credits });
        log.push(`${step}: issue ${r.id} ${credits}`);
        await recordLast();
      } else if (roll < 0.55) {
        const id = pick(open(['estimated', 'verified']));
        if (id === undefined) continue;
        const m = model.get(id)!;
        const to: ReceiptState = rand() < 0.2 ? 'rejected' : m.state === 'estimated' ? 'verified' : 'settled';
        const credits = to === 'verified' ? Math.floor(m.credits * rand()) : m.credits;
        const reason =
          to === 'rejected' ? 'result rejected: mismatch' : credits === 0 ? 'nothing verified' : '';
        await w.issuer.transition(id, to, { credits, reason });
        model.set(id, { state: to, credits });
        log.push(`${step}: ${id} → ${to} ${credits}`);
        await recordLast();
      } else if (roll < 0.65) {
        log.push(`${step}: forged receipt`);
        await refusedWith(
          w.ledger.append(forge(receiptAt(head, w.identity, { credits: 10 ** 6 }), attacker)),
          'bad-signature',
          'forged receipt',
        );
      } else if (roll < 0.7) {
        const id = pick(open(['verified']));
        if (id === undefined) continue;
        log.push(`${step}: forged settle of ${id}`);
        const t = transitionAt(head, w.identity, id, 'verified', 'settled', {
          credits: model.get(id)!.credits,
          reason: 'settled',
        });
        await refusedWith(w.ledger.append(forge(t, attacker)), 'bad-signature', 'forged settle');
      } else if (roll < 0.8) {
        const old = pick(accepted);
        if (old === undefined) continue;
        log.push(`${step}: replay ${old.id}`);
        await refusedWith(w.ledger.append(old), 'replay', `replay of ${old.id}`);
      } else if (roll < 0.85) {
        log.push(`${step}: tampered credits`);
        const r = receiptAt(head, w.identity, { credits: 10 });
        await refusedWith(w.ledger.append({ ...r, credits: 10 ** 7 }), 'bad-signature', 'tampered credits');
      } else if (roll < 0.9) {
        log.push(`${step}: broken chain`);
        const skip = { ...head, seq: head.seq + 1 + Math.floor(rand() * 3) };
        await refusedWith(w.ledger.append(receiptAt(skip, w.identity)), 'broken-chain', 'skipped seq');
      } else if (roll < 0.95) {
        const id = pick(open(['settled', 'rejected', 'estimated']));
        if (id === undefined) continue;
        const from = model.get(id)!.state;
        const to: ReceiptState = from === 'estimated' ? 'settled' : 'estimated';
        log.push(`${step}: illegal ${id} ${from} → ${to}`);
        await refusedWith(
          w.ledger.append(transitionAt(head, w.identity, id, from, to)),
          'bad-transition',
          `${from} → ${to}`,
        );
      } else {
        log.push(`${step}: untrusted issuer`);
        await refusedWith(w.ledger.append(receiptAt(head, attacker)), 'bad-signature', 'untrusted issuer');
      }
      expect((await w.ledger.totals()).balance, `seed ${seed} step ${step}\n${log.join('\n')}`).toBe(
        settled(model),
      );
    }

    const expected = settled(model);
    const audit = verifyHistory(await w.ledger.history(), {
      owner: w.identity.nodeId,
      verifyProof: testVerify,
    });
    expect(audit, `seed ${seed}`).toMatchObject({ ok: true, balance: expected });
    const summary = await w.ledger.summary(c.now());
    expect(summary.balance).toBe(expected);
    expect(summary.recent.filter((j) => j.counted).every((j) => !j.refused)).toBe(true);
    w.db.close();

    const again = await openWallet(factory, { clock: c, ids: `s${seed}-after` });
    expect((await again.ledger.totals()).balance, `seed ${seed} after restart`).toBe(expected);
    expect(await again.ledger.summary(c.now())).toEqual(summary);
    again.db.close();
  });
});
