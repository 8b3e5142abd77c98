/**
 * MeshWorkflowEngine (the engine of `inos submit workflow`) under the real orchestrator and the CLI's
 * engine: which steps go to the market and which stay on this machine, the escrow each market step
 * asks for (its share of what is left of the workflow's budget, split over `redundancy` runs), a
 * workflow never charged more than its budget, and a rollback's compensation run where the effect
 * happened. The market here is a stand-in for the Requester that runs each job `redundancy` times
 * on the same engine and pays each run what it used, capped at the run's budget, as the real
 * requester does (src/trade/requester.ts); the real market with processes is
 * tests/slow/market/workflow.slow.test.ts. Seed: SEED=<n> (printed).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshWorkflowEngine, runsHere, type MarketSubmitter } from '../../../src/cli/mesh-workflow-engine.ts';
import type { NodeEngine } from '../../../src/cli/node-engine.ts';
import type { SubmitJob, SubmitOptions } from '../../../src/cli/requester.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../../src/ledger/index.ts';
import type { JobDone } from '../../../src/trade/index.ts';
import { FileJournal } from '../../../src/workflow/file-journal.ts';
import {
  Orchestrator,
  parseWorkflowJson,
  type Journal,
  type JournalRecord,
} from '../../../src/workflow/index.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { startWfEngine, WF_CAPSULES } from './_engine.ts';

const SEED = seedFromEnv(0x13_0013);
console.log(`[mesh-engine.test] seed ${SEED}`);
const rand = prng(SEED);
const registry = new CapsuleRegistry(WF_CAPSULES);
let work: string;
let e: NodeEngine;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-meshwf-'));
  e = await startWfEngine(join(work, 'store'));
}, 60_000);
afterAll(async () => {
  await e?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Runs each job `redundancy` times on the engine; each run is paid min(costUsed, budget). */
class EngineMarket implements MarketSubmitter {
  readonly jobs: { job: SubmitJob; budget: number; redundancy: number; shared: boolean }[] = [];
  paid = 0;
  async submit(jobs: readonly SubmitJob[], o: SubmitOptions): Promise<(JobDone | Error)[]> {
    const job = jobs[0]!;
    const budget = o.budget!;
    const redundancy = o.redundancy!;
    this.jobs.push({
      job,
      budget,
      redundancy,
      shared: job.input !== undefined && !(job.input.buffer instanceof ArrayBuffer),
    });
    const paid: Record<string, number> = {};
    let last = null as Awaited<ReturnType<NodeEngine['engine']['submit']>> | null;
    for (let k = 0; k < redundancy; k++) {
      last = await e.engine.submit({
        library: job.capsule,
        method: job.method,
        params: typeof job.params === 'string' ? job.params : JSON.stringify(job.params ?? {}),
        ...(job.input ? { input: job.input } : {}),
        budget,
      });
      paid[`c${k}`] = Math.min(last.costUsed, budget) * MICRO_CREDITS_PER_CREDIT;
      this.paid += Math.min(last.costUsed, budget);
    }
    return [
      {
        jobId: `j${this.jobs.length}`,
        status: last!.status,
        output: last!.output,
        error: last!.error,
        outputHash: '',
        paid,
        penalised: [],
        runs: redundancy,
        unchecked: false,
      },
    ];
  }
}

const text = (n: number) => Uint8Array.from({ length: n }, () => 97 + Math.floor(rand() * 6));

describe('MeshWorkflowEngine', () => {
  it('sends pure steps to the market and store-bound ones to this engine; round trip equals the input', async () => {
    expect(runsHere(registry, 'storage', 'put')).toBe(true);
    expect(runsHere(registry, 'storage', 'get')).toBe(true);
    expect(runsHere(registry, 'storage', 'delete')).toBe(true);
    expect(runsHere(registry, 'storage', 'compress')).toBe(false);
    expect(runsHere(registry, 'crypto', 'sha256')).toBe(false);
    const market = new EngineMarket();
    const mesh = new MeshWorkflowEngine(e.engine, market, registry, { redundancy: 2, deadlineMs: 60_000 });
    const w = parseWorkflowJson(
      JSON.stringify({
        steps: [
          { name: 'c', library: 'storage', method: 'compress', params: { quality: 4 } },
          { name: 'p', library: 'storage', method: 'put' },
          {
            name: 'g',
            library: 'storage',
            method: 'get',
            params: { address: '${steps.p.hex}' },
            input: 'none',
          },
          { name: 'd', library: 'storage', method: 'decompress' },
        ],
        budget: 5000,
      }),
    );
    const input = text(50_000);
    const r = await new Orchestrator(mesh, registry).run(w, { input });
    expect([r.status, r.error]).toEqual(['committed', '']);
    expect(Buffer.from(r.output).equals(Buffer.from(input))).toBe(true);
    expect(market.jobs.map((j) => j.job.method)).toEqual(['compress', 'decompress']);
    expect(mesh.stats).toMatchObject({ marketJobs: 2, localJobs: 2 });
    // The workflow's input sits in shared memory: the market got a copy of it, counted; the local
    // get's output too (an arena block) before decompress went to the market.
    expect(market.jobs.every((j) => !j.shared)).toBe(true);
    expect(r.bytesCopied).toBeGreaterThanOrEqual(input.length);
    // Steps cost what the market paid for them (the local ones their engine cost).
    expect(r.costUsed).toBeLessThanOrEqual(5000);
  }, 60_000);

  it('each market step escrows its share of what is left; the workflow is never charged more than its budget', async () => {
    for (const [budget, redundancy] of [
      [200, 2],
      [12, 3],
      [3, 2],
    ] as const) {
      const market = new EngineMarket();
      const mesh = new MeshWorkflowEngine(e.engine, market, registry, { redundancy, deadlineMs: 60_000 });
      const w = parseWorkflowJson(
        JSON.stringify({
          // Proof-of-work searches that find nothing: each costs the milliseconds it searched.
          steps: Array.from({ length: 4 }, (_, i) => ({
            name: `s${i}`,
            library: 'pow',
            method: 'search',
            params: { header: '00'.repeat(80), nonceStart: i * 5_000, count: 5_000, bits: 0x1b0404cb },
            input: 'none',
          })),
          budget,
        }),
      );
      const r = await new Orchestrator(mesh, registry).run(w);
      expect(r.costUsed, `budget ${budget} × ${redundancy}`).toBeLessThanOrEqual(budget);
      expect(market.paid).toBe(r.costUsed);
      let left = budget;
      for (const j of market.jobs) {
        expect(j.budget).toBe(Math.floor(left / redundancy));
        expect(j.budget * j.redundancy).toBeLessThanOrEqual(left);
        left -= r.steps[market.jobs.indexOf(j)]!.costUsed;
      }
      if (r.status !== 'committed') {
        expect(r.error).toMatch(/budget/);
      }
    }
  }, 60_000);

  it('rollback: the put is undone on this machine’s store (its delete runs here, not on the mesh)', async () => {
    const market = new EngineMarket();
    const mesh = new MeshWorkflowEngine(e.engine, market, registry, { redundancy: 2, deadlineMs: 60_000 });
    const input = text(20_000);
    const w = parseWorkflowJson(
      JSON.stringify({
        steps: [
          { name: 'p', library: 'storage', method: 'put' },
          { name: 'h', library: 'crypto', method: 'sha256' },
          { name: 'bad', library: 'storage', method: 'decompress', input: 'steps.h' },
        ],
        onError: 'rollback',
        budget: 5000,
      }),
    );
    const records: JournalRecord[] = [];
    const journal: Journal = {
      append: async (rec) => void records.push(rec),
      unfinished: async () => [],
      compact: async () => {},
      close: async () => {},
    };
    const r = await new Orchestrator(mesh, registry, { journal }).run(w, { input });
    expect(r.status).toBe('rolledBack');
    expect(r.steps.map((s) => s.status)).toEqual(['compensated', 'ok', 'failed']);
    expect(market.jobs.map((j) => j.job.method)).toEqual(['sha256', 'decompress']);
    expect(mesh.stats.localJobs).toBe(2); // the put and its compensating delete
    const done = records.find((x) => x.type === 'done' && x.step === 0);
    const address = done?.type === 'done' ? (done.output ?? '') : '';
    expect(address).toMatch(/^[0-9a-f]{64}$/);
    const has = async () =>
      (await e.engine.submit({ library: 'storage', method: 'has', params: JSON.stringify({ address }) }))
        .output[0];
    expect(await has()).toBe(0); // gone from this machine's store
    await e.engine.submit({ library: 'storage', method: 'put', input });
    expect(await has()).toBe(1); // and `has` does see a stored blob
  }, 60_000);

  it('a share below one credit per run is refused as budgetExhausted, before anything is offered', async () => {
    const market = new EngineMarket();
    const mesh = new MeshWorkflowEngine(e.engine, market, registry, { redundancy: 3, deadlineMs: 60_000 });
    const o = await mesh.submit({ library: 'crypto', method: 'sha256', budget: 2 });
    expect(o.status).toBe('budgetExhausted');
    expect(o.error).toMatch(/less than 1 credit for each of 3 runs/);
    expect(market.jobs).toEqual([]);
  });
  it('a step left in flight by a killed process: its escrow is settled from the journal and the run resumes', async () => {
    // A market of its own: each job's two runs are paid 1 credit each (sha256 of the input, computed
    // here); the wallet's escrow is kept per job id as micro-credits paid from it.
    const holds = new Map<string, number>();
    let stalled!: () => void;
    const midStep = new Promise<void>((r) => (stalled = r));
    const done = (job: SubmitJob): JobDone => ({
      jobId: job.jobId!,
      status: 'ok',
      output: createHash('sha256')
        .update(job.input ?? new Uint8Array(0))
        .digest(),
      error: '',
      outputHash: '',
      paid: { c0: MICRO_CREDITS_PER_CREDIT, c1: MICRO_CREDITS_PER_CREDIT },
      penalised: [],
      runs: 2,
      unchecked: false,
    });
    let submitted = 0;
    const killed: MarketSubmitter = {
      async submit(jobs) {
        const job = jobs[0]!;
        expect(job.jobId).toMatch(/^[0-9a-f]{32}$/);
        if (++submitted === 2) {
          // The second step: one run paid 1 credit, then the process is killed (it never answers).
          holds.set(job.jobId!, MICRO_CREDITS_PER_CREDIT);
          stalled();
          return new Promise(() => {});
        }
        holds.set(job.jobId!, 2 * MICRO_CREDITS_PER_CREDIT);
        return [done(job)];
      },
    };
    const settled: string[] = [];
    const restarted: MarketSubmitter = {
      submit: async (jobs) => [done(jobs[0]!)],
      settle: async (jobId) => {
        settled.push(jobId);
        return holds.get(jobId) ?? 0;
      },
    };
    const dir = join(work, 'journal-killed');
    const w = parseWorkflowJson(
      JSON.stringify({
        steps: ['h1', 'h2', 'h3'].map((name) => ({ name, library: 'crypto', method: 'sha256' })),
        budget: 12,
        onError: 'rollback',
      }),
    );
    const input = text(64);
    const opts = { redundancy: 2, deadlineMs: 60_000 };
    void new Orchestrator(new MeshWorkflowEngine(e.engine, killed, registry, opts), registry, {
      journal: new FileJournal(dir, 1_000_001, () => false),
    }).run(w, { input });
    await midStep;

    // The restarted process (the killed pid is gone): recovery settles h2's hold, then resumes.
    // Counted whole, h2's share (10 of the 10 left) would leave nothing: it rolled back before.
    const journal = new FileJournal(dir, 1_000_002, (pid) => pid === 1_000_002);
    const [r] = await new Orchestrator(
      new MeshWorkflowEngine(e.engine, restarted, registry, opts),
      registry,
      {
        journal,
      },
    ).recover(async (d) => (d.kind === 'inline' ? Buffer.from(d.hex, 'hex') : null));
    expect(settled).toHaveLength(1);
    expect(holds.get(settled[0]!)).toBe(MICRO_CREDITS_PER_CREDIT);
    expect([r!.status, r!.recovered, r!.error]).toEqual(['committed', 'resumed', '']);
    expect(r!.steps.map((x) => x.status)).toEqual(['ok', 'ok', 'ok']);
    // h1 (2) and the killed attempt of h2 (1) before; h1 (pure: recomputed), h2 and h3 (2 each) after.
    expect(r!.costUsed).toBe(2 + 1 + 2 + 2 + 2);
    expect(r!.costUsed).toBeLessThanOrEqual(12);
    const hash = (b: Uint8Array) => createHash('sha256').update(b).digest();
    expect(Buffer.from(r!.output)).toEqual(hash(hash(hash(input))));
    await journal.close();
  }, 60_000);
});
