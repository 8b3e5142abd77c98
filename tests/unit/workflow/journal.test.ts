/**
 * The journals (a file per workflow for the CLI, IndexedDB for the extension, via fake-indexeddb)
 * and the metrics histogram. Seed: SEED=<n> (printed).
 */
import 'fake-indexeddb/auto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileJournal } from '../../../src/workflow/file-journal.ts';
import {
  IdbJournal,
  JournalCorruptError,
  Metrics,
  type Journal,
  type JournalRecord,
} from '../../../src/workflow/index.ts';
import { percentile } from '../../../src/workflow/metrics.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(0x10c4_2026);
console.log(`[journal.test] seed ${SEED}`);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'inos-journal-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const begin = (wf: string, at = 1): JournalRecord => ({
  type: 'begin',
  wf,
  at,
  def: { steps: [] },
  input: { kind: 'none' },
  meta: { n: 1 },
});
const start = (wf: string, step: number): JournalRecord => ({
  type: 'start',
  wf,
  at: 2,
  step,
  key: `${wf}/s${step}`,
  attempt: 1,
  budget: 10,
});
const end = (wf: string): JournalRecord => ({ type: 'end', wf, at: 3, status: 'committed', error: '' });

async function contract(make: () => Promise<Journal>) {
  const j = await make();
  await j.append(begin('wf-a', 1));
  await j.append(start('wf-a', 0));
  await j.append(begin('wf-b', 2));
  await j.append(end('wf-b'));
  await j.close();
  // A "restart": a new instance sees only the unfinished workflow, in order; the finished one is compacted.
  const k = await make();
  const open = await k.unfinished();
  expect(open.map((rs) => rs.map((r) => r.type))).toEqual([['begin', 'start']]);
  expect(open[0]![0]).toEqual(begin('wf-a', 1));
  await k.append({ type: 'done', wf: 'wf-a', at: 4, step: 0, key: 'wf-a/s0', costUsed: 3, outputBytes: 0 });
  await k.append(end('wf-a'));
  await k.compact('wf-a');
  expect(await k.unfinished()).toEqual([]);
  await k.close();
}

describe('FileJournal', () => {
  it('keeps unfinished workflows across instances and compacts finished ones', async () => {
    const dir = tmp();
    // Another process's pid (dead): its workflows are taken over on restart.
    let pid = 1_000_001;
    await contract(async () => new FileJournal(dir, pid++, () => false));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('drops a torn last line (a crash mid-append) and reports a bad line before it', async () => {
    const dir = tmp();
    const j = new FileJournal(dir, 7, () => false);
    await j.append(begin('wf-t'));
    await j.append(start('wf-t', 0));
    await j.close();
    appendFileSync(join(dir, 'wf-t.wal'), '{"type":"done","wf":"wf-t","at":5,"st');
    const again = new FileJournal(dir, 8, () => false);
    expect((await again.unfinished())[0]!.map((r) => r.type)).toEqual(['begin', 'start']);
    writeFileSync(
      join(dir, 'wf-t.wal'),
      `${JSON.stringify(begin('wf-t'))}\nnot json\n${JSON.stringify(start('wf-t', 0))}\n`,
    );
    await expect(new FileJournal(dir, 9, () => false).unfinished()).rejects.toThrow(JournalCorruptError);
  });

  it('leaves a workflow alone while the process running it is alive', async () => {
    const dir = tmp();
    const owner = new FileJournal(dir, 4242, () => true);
    await owner.append(begin('wf-live'));
    expect(await new FileJournal(dir, 4343, (pid) => pid === 4242).unfinished()).toEqual([]);
    expect(existsSync(join(dir, 'wf-live.wal'))).toBe(true);
    expect((await new FileJournal(dir, 4444, () => false).unfinished()).length).toBe(1);
  });

  it('refuses a workflow id that could name another file', async () => {
    const j = new FileJournal(tmp());
    await expect(j.append(begin('../escape'))).rejects.toThrow(RangeError);
  });
});

describe('IdbJournal (fake-indexeddb)', () => {
  it('keeps unfinished workflows across instances and compacts finished ones', async () => {
    const name = `journal-${SEED}`;
    const opened: IdbJournal[] = [];
    await contract(async () => {
      const j = await IdbJournal.open(name);
      opened.push(j);
      return j;
    });
  });
});

describe('Metrics', () => {
  it('percentiles are within one bucket (≤ 9.1 %) of the exact ones; snapshots merge', () => {
    const r = prng(SEED);
    const m = new Metrics();
    const samples: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const ms = Math.exp(r() * 8) * 0.05; // 0.05 ms to ~150 ms, log-uniform
      samples.push(ms);
      m.observeJob({
        library: 'x',
        method: 'y',
        ms,
        status: r() < 0.01 ? 'timeout' : 'ok',
        costUsed: 1,
        budget: 2,
        bytesCopied: 0,
        bytesIn: 0,
      });
    }
    samples.sort((a, b) => a - b);
    const snap = m.toJSON();
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = samples[Math.ceil(q * samples.length) - 1]!;
      const got = percentile(snap.methods['x.y']!, q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got / exact).toBeLessThanOrEqual(2 ** (1 / 8) + 1e-9);
    }
    const s = m.summary()[0]!;
    expect(s.sloViolations).toBe(samples.filter((x) => x > 100).length);
    expect(s.budgetUse).toBe(0.5);
    const both = new Metrics(snap);
    both.merge(snap);
    expect(both.summary()[0]!.count).toBe(10_000);
    expect(both.summary()[0]!.p95).toBe(s.p95);
    expect(Metrics.parse('{"nope":1}').problem).toMatch(/not a metrics snapshot/);
    expect(m.table()).toMatch(/x\.y\s+5000/);
  });
});
