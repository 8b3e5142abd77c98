/**
 * The popup tells refusals apart: each way issue #14 names of making credits out of nothing is
 * produced through the real ledger and payment paths, and the recent-jobs row of each reads
 * differently. The finer wording (summary.ts `refusalText`) matches the ledger's and the pow
 * checker's own details, so a change of their wording fails here rather than silently in the popup.
 */
import { describe, expect, it } from 'vitest';
import {
  REJECTION_CODES,
  REJECTION_TEXT,
  ReceiptRejectedError,
  proofJobId,
  signEntry,
  type LedgerEntry,
  type PaymentBundle,
  type PowProofRecord,
  type RejectionCode,
} from '../../../src/ledger/index.ts';
import { refusalText } from '../../../src/ledger/summary.ts';
import { T0, identity, newFactory, openWallet } from './_fixtures.ts';
import { boundProof, economyWallet } from './_bound.ts';
import { cheaterPayments, genesisProof, lenient } from '../../_cheater.ts';

/** A payer whose chain mints `proof` (accepted only by its own lenient ledger) and can pay from it. */
async function cheater(seed: number, proof: PowProofRecord) {
  const w = await openWallet(newFactory(), { seed, verifyProof: lenient, ids: `m${seed}` });
  return { ...w, payments: await cheaterPayments(w, proof) };
}

async function refused(p: Promise<unknown>, code: RejectionCode): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, String(err)).toBeInstanceOf(ReceiptRejectedError);
  expect((err as ReceiptRejectedError).reason, (err as Error).message).toBe(code);
}

const what = (jobId: string) => ({ jobId, capsule: 'crypto', method: 'blake3' });

describe('refusal wording in the popup', () => {
  it('reads differently for each of the five refusals (and their variants), produced for real', async () => {
    const b = await economyWallet(41); // the contributor whose popup shows them
    const honest = await economyWallet(42);
    await honest.mint(8);

    // A genuine payment, so there are genuine records to forge and replay.
    const h1 = await honest.payments.hold('job-h', 200_000);
    const genuine = await honest.payments.pay(h1.id, b.identity.nodeId, 50_000, what('a1'));
    await b.payments.receive(genuine);
    const receipt = (await b.ledger.history()).find((e) => e.kind === 'receipt')!;

    // Forged: credits raised, signature kept; and a payment the payer never signed into its chain.
    await refused(
      b.ledger.append({ ...receipt, credits: receipt.kind === 'receipt' ? 9e9 : 0 }),
      'bad-signature',
    );
    const raised = { ...genuine.pay, amount: 150_000 };
    await refused(b.payments.receive({ ...genuine, pay: raised }), 'uncovered');
    // Replayed: the receipt itself, and the payment bundle once more.
    await refused(b.ledger.append(receipt), 'replay');
    await refused(b.payments.receive(genuine), 'replay');

    // A public Bitcoin block header as a proof, and another node's bound proof: in this wallet's own
    // chain (signed by its key, refused when moved to verified) and behind a payer's credits.
    for (const proof of [genesisProof(), boundProof(identity(77).nodeId, T0)]) {
      const r = await b.issuer.issue({
        jobId: proofJobId(proof),
        capsule: 'pow',
        method: 'search',
        credits: 1,
        proof,
      });
      await refused(b.issuer.transition(r.id, 'verified'), 'unbound-proof');
    }
    const stolen = (await honest.ledger.history()).find((e) => e.kind === 'receipt' && e.proof !== undefined);
    if (stolen?.kind !== 'receipt' || stolen.proof === undefined) throw new Error('the honest payer minted');
    for (const [seed, proof] of [
      [43, genesisProof()],
      [44, stolen.proof],
    ] as const) {
      const m = await cheater(seed, proof);
      const hold = await m.payments.hold(`job-${seed}`, 100_000);
      await refused(
        b.payments.receive(await m.payments.pay(hold.id, b.identity.nodeId, 100_000, what(`m${seed}`))),
        'uncovered',
      );
    }

    // A double spend: a second record at the pay's seq, then a later payment from the same payer.
    const forker = await economyWallet(45);
    await forker.mint(8);
    const fh = await forker.payments.hold('job-f', 200_000);
    const before: LedgerEntry[] = await forker.ledger.history();
    const first = await forker.payments.pay(fh.id, b.identity.nodeId, 50_000, what('f1'));
    await b.payments.receive(first);
    const twin = signEntry({ ...first.pay, id: 'twin-pay', jobId: 'f2' }, forker.identity);
    const fork: PaymentBundle = { pay: twin, chains: { [forker.identity.nodeId]: [...before, twin] } };
    await refused(b.payments.receive(fork), 'double-spend');
    const later = await forker.payments.pay(fh.id, b.identity.nodeId, 50_000, what('f3'));
    await refused(b.payments.receive(later), 'double-spend');

    const s = await b.ledger.summary(T0);
    const rows = s.recent.filter((j) => j.refused !== undefined).reverse();
    expect(rows.map((j) => [j.refused, j.reason])).toEqual([
      ['bad-signature', 'rejected: bad signature'],
      ['uncovered', "rejected: forged payment, not in the payer's signed chain"],
      ['replay', 'rejected: replayed'],
      ['replay', 'rejected: replayed'],
      ['unbound-proof', 'rejected: a public block header, not work bound to this wallet'],
      ['unbound-proof', "rejected: another node's proof, not bound to this wallet"],
      ['uncovered', "rejected: the payer's credits come from a public block header"],
      ['uncovered', "rejected: the payer's credits come from another node's proof"],
      ['double-spend', 'rejected: payer double-spent (signed a fork)'],
      ['double-spend', 'rejected: payer double-spent earlier, refused from then on'],
    ]);
    // Apart from the two replays, no two refusals read the same; each keeps the ledger's detail.
    expect(new Set(rows.map((j) => j.reason)).size).toBe(rows.length - 1);
    for (const j of rows) expect(j.detail).toMatch(/\S/);
    expect(s.balance).toBe(100_000);
  });

  it('falls back to the code’s text when the detail names nothing finer', () => {
    for (const code of REJECTION_CODES) expect(refusalText(code, '')).toBe(REJECTION_TEXT[code]);
    expect(refusalText('uncovered', 'a hold of 5 micro-credits exceeds the 0 available')).toBe(
      REJECTION_TEXT.uncovered,
    );
    // A detail's words under another code do not borrow its wording.
    expect(refusalText('replay', 'signed two records at seq 4 (a fork)')).toBe('rejected: replayed');
  });
});
