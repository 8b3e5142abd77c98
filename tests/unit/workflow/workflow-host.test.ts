/**
 * The extension's workflow path (src/offscreen/workflow-host.ts + the background's WorkflowRelay) on
 * the real engine (worker threads) with the IndexedDB journal (fake-indexeddb). A document "closed"
 * mid-workflow is a journal that stops answering at a chosen record: nothing after it is written, as
 * when the document goes away; a second host over the same database then recovers.
 */
import 'fake-indexeddb/auto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import type { NodeEngine } from '../../../src/cli/node-engine.ts';
import { WorkflowRelay } from '../../../src/background/workflows.ts';
import { WorkflowHost } from '../../../src/offscreen/workflow-host.ts';
import {
  IdbJournal,
  progressOf,
  WorkflowStateStore,
  type Journal,
  type JournalRecord,
  type WorkflowProgress,
} from '../../../src/workflow/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { startWfEngine, WF_CAPSULES } from './_engine.ts';

const SEED = seedFromEnv(0x0ff5_2026);
console.log(`[workflow-host.test] seed ${SEED}`);

let work: string;
let e: NodeEngine;
let registry: CapsuleRegistry;
let dbn = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-wfhost-'));
  e = await startWfEngine(join(work, 'store'));
  registry = new CapsuleRegistry(WF_CAPSULES);
}, 60_000);

afterAll(async () => {
  await e?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** A journal that goes silent (never resolves again) once `stopAt` matches a record it was asked to append. */
function dyingJournal(inner: Journal, stopAt: (r: JournalRecord) => boolean) {
  let died!: () => void;
  const dead = new Promise<void>((r) => (died = r));
  let gone = false;
  const journal: Journal = {
    append(record, durable) {
      if (gone || stopAt(record)) {
        gone = true;
        died();
        return new Promise(() => {});
      }
      return inner.append(record, durable);
    },
    unfinished: () => inner.unfinished(),
    compact: (wf) => inner.compact(wf),
    close: () => inner.close(),
  };
  return { journal, dead };
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

function names() {
  dbn++;
  return { journal: `j-${SEED}-${dbn}`, state: `s-${SEED}-${dbn}` };
}

function definition(file: string, recovery: 'resume' | 'rollback') {
  return JSON.stringify({
    name: 'effects',
    steps: [
      { name: 'first', library: 'wftest', method: 'append', params: { file, line: 'first' } },
      { name: 'hash', library: 'crypto', method: 'sha256' },
      { name: 'second', library: 'wftest', method: 'append', params: { file, line: 'second' } },
      { name: 'digest', library: 'crypto', method: 'sha256' },
    ],
    onError: 'rollback',
    recovery,
    budget: 100_000,
  });
}

async function crashAfterFirstStep(recovery: 'resume' | 'rollback') {
  const n = names();
  const file = join(work, `effects-${n.journal}.txt`);
  const openState = () => WorkflowStateStore.open(n.state);
  let dead!: Promise<void>;
  const first = new WorkflowHost({
    openJournal: async () => {
      const d = dyingJournal(await IdbJournal.open(n.journal), (r) => r.type === 'start' && r.step === 1);
      dead = d.dead;
      return d.journal;
    },
    openState,
  });
  await first.attach(e.engine, registry);
  const { id } = await first.start({ definition: definition(file, recovery) });
  await dead;
  first.close(); // the document is gone (its run never ends: its journal stopped answering)
  // The background's view while no document runs it: one unfinished workflow, step 0 done.
  const relay = new WorkflowRelay({
    ensureHost: async () => undefined,
    toOffscreen: () => Promise.reject(new Error('no document')),
    unfinished: async () =>
      (await IdbJournal.peek(n.journal)).map(progressOf).filter((p): p is WorkflowProgress => !!p),
    openState,
  });
  const during = await relay.status();
  expect(during.unfinished.map((u) => [u.id, u.done, u.steps, u.recovery])).toEqual([[id, [0], 4, recovery]]);
  expect(await relay.resumeIfUnfinished()).toBe(1);
  expect(lines(file)).toEqual(['first']);

  const second = new WorkflowHost({ openJournal: () => IdbJournal.open(n.journal), openState });
  await second.attach(e.engine, registry);
  const results = await second.recovered;
  const after = await relay.status(id);
  second.close();
  return { id, file, results, after, relay };
}

describe('WorkflowHost (offscreen) with the IndexedDB journal', () => {
  it('a document gone after a step with an effect: the next one resumes, every effect once', async () => {
    const { id, file, results, after, relay } = await crashAfterFirstStep('resume');
    expect(results.map((r) => [r.id, r.status, r.recovered])).toEqual([[id, 'committed', 'resumed']]);
    expect(results[0]!.steps.map((s) => s.status)).toEqual(['reused', 'ok', 'ok', 'ok']);
    expect(lines(file)).toEqual(['first', 'second']);
    expect(after.unfinished).toEqual([]);
    expect(after.finished.map((f) => [f.id, f.status, f.recovered, f.outputBytes])).toEqual([
      [id, 'committed', 'resumed', 32],
    ]);
    expect(after.finished[0]!.outputHex).toMatch(/^[0-9a-f]{64}$/);
    expect(await relay.resumeIfUnfinished()).toBe(0);
  }, 60_000);

  it('recovery "rollback": the next document undoes the finished step', async () => {
    const { id, file, results, after } = await crashAfterFirstStep('rollback');
    expect(results.map((r) => [r.id, r.status, r.recovered])).toEqual([[id, 'rolledBack', 'rolledBack']]);
    expect(results[0]!.steps[0]!.status).toBe('compensated');
    expect(lines(file)).toEqual([]);
    expect(after.finished.map((f) => f.status)).toEqual(['rolledBack']);
  }, 60_000);

  it('refuses a bad definition or input with the reason, and keeps working', async () => {
    const n = names();
    const host = new WorkflowHost({
      openJournal: () => IdbJournal.open(n.journal),
      openState: () => WorkflowStateStore.open(n.state),
    });
    await host.attach(e.engine, registry);
    await expect(
      host.start({ definition: '{"steps": [{"library": "nope", "method": "x"}]}' }),
    ).rejects.toThrow(/nope/);
    await expect(host.start({ definition: '{' })).rejects.toThrow(/definition/);
    await expect(host.start({ definition: '{"steps":[]}', inputHex: 'zz' })).rejects.toThrow(/hex/);
    await expect(host.start({ definition: 42 as unknown as string })).rejects.toThrow(/JSON text/);
    const { id } = await host.start({
      definition: JSON.stringify({ steps: [{ library: 'crypto', method: 'sha256' }] }),
      inputHex: '616263',
    });
    const r = await host.wait(id)!;
    expect(r.status).toBe('committed');
    // sha256("abc"), FIPS 180-2 appendix B.1
    expect(Buffer.from(r.output).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    host.close();
  }, 60_000);

  it('metrics: scheduler jobs and workflow steps in one model, kept across documents', async () => {
    const n = names();
    const openState = () => WorkflowStateStore.open(n.state);
    const host = new WorkflowHost({ openJournal: () => IdbJournal.open(n.journal), openState });
    await host.attach(e.engine, registry);
    host.observeJob({
      library: 'pow',
      method: 'search',
      ms: 250,
      status: 'ok',
      costUsed: 7,
      budget: 10,
      bytesCopied: 0,
      bytesIn: 0,
    });
    const { id } = await host.start({
      definition: JSON.stringify({ steps: [{ library: 'crypto', method: 'sha256' }] }),
      inputHex: '00',
    });
    await host.wait(id);
    const m = host.metricsExport();
    expect(Object.keys(m.methods).sort()).toEqual(['crypto.sha256', 'pow.search']);
    expect(m.methods['pow.search']!.sloViolations).toBe(1);
    expect(m.workflows.byOutcome).toEqual({ committed: 1 });
    expect(m.summary.map((s) => s.key)).toEqual(['crypto.sha256', 'pow.search']);
    host.close();
    const next = new WorkflowHost({ openJournal: () => IdbJournal.open(n.journal), openState });
    await next.attach(e.engine, registry);
    expect(next.metricsExport().methods['pow.search']!.count).toBe(1);
    expect(next.metricsExport().workflows.count).toBe(1);
    next.close();
  }, 60_000);
  it("steps go before the scheduler's queued slice and no slice starts between two steps", async () => {
    // One active worker, as in the extension on a 2-core machine: a slice runs, the next is queued.
    e.pool.setThrottle(1, 100);
    const n = names();
    const file = join(work, `order-${n.journal}`);
    const append = (line: string) => ({ library: 'wftest', method: 'append', params: { file, line } });
    const stop = new AbortController();
    const slice = e.engine.submit({
      library: 'wftest',
      method: 'work',
      params: JSON.stringify({ ms: 10_000 }),
      signal: stop.signal,
    });
    const next = e.engine.submit({ ...append('slice'), params: JSON.stringify(append('slice').params) });
    const host = new WorkflowHost({
      openJournal: () => IdbJournal.open(n.journal),
      openState: () => WorkflowStateStore.open(n.state),
    });
    try {
      while (e.engine.inFlight < 1) await new Promise((r) => setTimeout(r, 5));
      await host.attach(e.engine, registry);
      const { id } = await host.start({
        definition: JSON.stringify({ steps: ['a', 'b', 'c'].map((x) => ({ name: x, ...append(x) })) }),
      });
      // The first step is queued behind the running slice too: let the slice go.
      while (e.engine.queued < 2) await new Promise((r) => setTimeout(r, 5));
      stop.abort();
      expect((await slice).status).toBe('cancelled');
      expect((await host.wait(id)!).status).toBe('committed');
      expect((await next).status).toBe('ok');
      expect(lines(file)).toEqual(['a', 'b', 'c', 'slice']);
    } finally {
      stop.abort();
      e.pool.setThrottle(2, 100);
      host.close();
    }
  }, 60_000);
});
