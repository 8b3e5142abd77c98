import { describe, expect, it } from 'vitest';
import { summarize, type ReceiptView, type RefusedRecord } from '../../../src/ledger/index.ts';
import { T0, backed, clock, newFactory, openWallet } from './_fixtures.ts';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2025-01-15T12:00:00Z'); // = T0; 14:00 local at UTC+2

interface Job {
  jobId: string;
  issuedAt: number;
  credits: number;
  cpuMs: number;
  /** Where the job ends up. */
  end: 'estimated' | 'verified' | 'settled' | 'rejected' | 'zero';
}

// cpuMs adds up to exactly one hour, so the energy is exactly wattsPerCore watt-hours.
const JOBS: Job[] = [
  { jobId: 'e', issuedAt: at('2025-01-08T21:59:00Z'), credits: 4000, cpuMs: 1_000_000, end: 'settled' }, // Jan 8 23:59 local: outside the 7 days
  { jobId: 'd', issuedAt: at('2025-01-09T10:00:00Z'), credits: 1000, cpuMs: 600_000, end: 'settled' }, // Jan 9, first day shown
  { jobId: 'c', issuedAt: at('2025-01-14T21:30:00Z'), credits: 200, cpuMs: 600_000, end: 'settled' }, // Jan 14 23:30 local
  { jobId: 'b', issuedAt: at('2025-01-14T22:30:00Z'), credits: 300, cpuMs: 600_000, end: 'settled' }, // Jan 15 00:30 local (Jan 14 in UTC)
  { jobId: 'a', issuedAt: at('2025-01-15T00:30:00Z'), credits: 500, cpuMs: 300_000, end: 'settled' },
  { jobId: 'f', issuedAt: at('2025-01-15T08:00:00Z'), credits: 70, cpuMs: 300_000, end: 'verified' },
  { jobId: 'g', issuedAt: at('2025-01-15T09:00:00Z'), credits: 30, cpuMs: 100_000, end: 'estimated' },
  { jobId: 'h', issuedAt: at('2025-01-15T10:00:00Z'), credits: 50, cpuMs: 100_000, end: 'rejected' },
  { jobId: 'i', issuedAt: at('2025-01-15T11:00:00Z'), credits: 0, cpuMs: 0, end: 'zero' },
];

/** Receipts with credits carry a proof, so their jobId is the proof's; this maps it back to the table's label. */
const LABELS = new Map<string, string>();

async function walletWithJobs() {
  const c = clock();
  const w = await openWallet(newFactory(), { clock: c });
  for (const j of JOBS) {
    c.set(j.issuedAt);
    if (j.end === 'zero') {
      await w.issuer.recordZero('no work available');
      continue;
    }
    const r = await w.issuer.issue({
      ...(j.credits > 0 ? backed() : { jobId: j.jobId }),
      capsule: 'blake3',
      method: 'hash',
      credits: j.credits,
      cpuMs: j.cpuMs,
    });
    LABELS.set(r.jobId, j.jobId);
    if (j.end === 'rejected')
      await w.issuer.transition(r.id, 'rejected', { reason: 'result rejected: mismatch' });
    if (j.end === 'verified' || j.end === 'settled') await w.issuer.transition(r.id, 'verified');
    if (j.end === 'settled') await w.issuer.transition(r.id, 'settled');
  }
  c.set(NOW);
  return w;
}

describe('Ledger.summary', () => {
  it('gives exact balance, today and 7-day numbers in local days (UTC+2)', async () => {
    const w = await walletWithJobs();
    const s = await w.ledger.summary(NOW, { utcOffsetMin: 120 });
    expect(s.balance).toBe(6000);
    expect(s.pending).toBe(100);
    expect(s.today).toBe(800);
    expect(s.todayPending).toBe(100);
    expect(s.last7Days).toEqual([
      { day: '2025-01-09', credits: 1000, pending: 0 },
      { day: '2025-01-10', credits: 0, pending: 0 },
      { day: '2025-01-11', credits: 0, pending: 0 },
      { day: '2025-01-12', credits: 0, pending: 0 },
      { day: '2025-01-13', credits: 0, pending: 0 },
      { day: '2025-01-14', credits: 200, pending: 0 },
      { day: '2025-01-15', credits: 800, pending: 100 },
    ]);
    expect(s.cpuMs).toBe(3_600_000);
    expect(s.energyWh).toBe(6);
    expect(s.wattsPerCore).toBe(6);
  });

  it('moves the day boundary with the offset (UTC)', async () => {
    const w = await walletWithJobs();
    const s = await w.ledger.summary(NOW, { utcOffsetMin: 0, wattsPerCore: 10 });
    expect(s.today).toBe(500);
    expect(s.last7Days.map((d) => d.credits)).toEqual([1000, 0, 0, 0, 0, 500, 500]);
    expect(s.energyWh).toBe(10);
    // At UTC-10, 12:00Z is 02:00 on Jan 15, and every job of Jan 15 UTC falls on Jan 14 local.
    const west = await w.ledger.summary(NOW, { utcOffsetMin: -600 });
    expect(west.last7Days.at(-1)).toEqual({ day: '2025-01-15', credits: 0, pending: 0 });
    expect(west.last7Days.at(-2)).toEqual({ day: '2025-01-14', credits: 1000, pending: 100 });
    expect(west.last7Days[0]).toEqual({ day: '2025-01-09', credits: 1000, pending: 0 });
  });

  it('lists recent jobs newest first, with state, reason and whether they count', async () => {
    const w = await walletWithJobs();
    const s = await w.ledger.summary(NOW, { utcOffsetMin: 120, recent: 5 });
    expect(
      s.recent.map((j) => [
        (LABELS.get(j.jobId) ?? j.jobId).replace(/^zero:.*/, 'zero:…'),
        j.state,
        j.credits,
        j.reason,
        j.counted,
      ]),
    ).toEqual([
      ['zero:…', 'settled', 0, 'no work available', true],
      ['h', 'rejected', 50, 'result rejected: mismatch', false],
      ['g', 'estimated', 30, '', false],
      ['f', 'verified', 70, '', false],
      ['a', 'settled', 500, '', true],
    ]);
    expect(s.recent[4]).toMatchObject({
      capsule: 'blake3',
      time: at('2025-01-15T00:30:00Z'),
      cpuMs: 300_000,
    });
  });
});

describe('summarize', () => {
  const view = (over: Partial<ReceiptView>): ReceiptView => ({
    id: 'x',
    ledger: 'l',
    issuer: 'l',
    jobId: 'j',
    capsule: 'c',
    method: 'm',
    credits: 0,
    cpuMs: 0,
    bytesMoved: 0,
    state: 'settled',
    reason: '',
    issuedAt: T0,
    updatedAt: T0,
    seq: 1,
    lastSeq: 1,
    ...over,
  });

  it('interleaves refused records by arrival time, with the popup’s wording', () => {
    const refused: RefusedRecord[] = [
      {
        n: 1,
        ledger: 'l',
        code: 'replay',
        detail: '',
        receivedAt: T0 + 2,
        id: 'dup',
        jobId: 'j1',
        capsule: 'c',
        credits: 9,
      },
      { n: 2, ledger: 'l', code: 'malformed', detail: '', receivedAt: T0 - 5 },
    ];
    const s = summarize(
      [view({ id: 'a', issuedAt: T0 }), view({ id: 'b', issuedAt: T0 + 1, seq: 2 })],
      refused,
      T0,
    );
    expect(s.recent.map((j) => [j.id, j.reason, j.refused])).toEqual([
      ['dup', 'rejected: replayed', 'replay'],
      ['b', '', undefined],
      ['a', '', undefined],
      [undefined, 'rejected: malformed receipt', 'malformed'],
    ]);
    expect(s.recent[0]).toMatchObject({ state: 'rejected', credits: 9, counted: false });
  });

  it('breaks equal times by chain order, newest first', () => {
    const s = summarize(
      [view({ id: 'one', seq: 1 }), view({ id: 'three', seq: 3 }), view({ id: 'two', seq: 2 })],
      [],
      T0,
    );
    expect(s.recent.map((j) => j.id)).toEqual(['three', 'two', 'one']);
  });

  it('gives seven empty days for an empty ledger', () => {
    const s = summarize([], [], T0);
    expect(s).toMatchObject({ balance: 0, pending: 0, today: 0, cpuMs: 0, energyWh: 0, recent: [] });
    expect(s.last7Days.map((d) => d.day)).toEqual([
      '2025-01-09',
      '2025-01-10',
      '2025-01-11',
      '2025-01-12',
      '2025-01-13',
      '2025-01-14',
      '2025-01-15',
    ]);
  });

  it.each([
    [{ utcOffsetMin: 30.5 }, /utcOffsetMin must be whole minutes/],
    [{ utcOffsetMin: 900 }, /\[-840, 840\]/],
    [{ recent: -1 }, /recent must be an integer/],
    [{ wattsPerCore: Number.NaN }, /wattsPerCore/],
  ])('rejects bad options %o', (opts, message) => {
    expect(() => summarize([], [], T0, opts)).toThrow(message);
  });
});
