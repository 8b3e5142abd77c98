/**
 * `npm run bench:workflow`: what running steps as a workflow costs over running the same steps as
 * single jobs, in the same run, on the CLI's engine (node-engine.ts: worker threads, one
 * SharedArrayBuffer), written to bench/results/workflow.json.
 *
 *  - steps: STEPS sequential jobs of `wftest.work {ms: 10}` (10 ms of checkpointed busy work, then the
 *    input written to the output in place; the workflow test capsule, loaded by the test worker) on a
 *    4 KiB input;
 *  - single jobs: the same jobs submitted one after another by hand, each output copied back and
 *    passed as the next input (what a caller without workflows does);
 *  - workflow: the same steps as one workflow, without a journal, with the CLI's file journal (every
 *    transition written before it takes effect: begin, start/done per step, end, then compaction;
 *    these steps are pure, so none is forced to disk: orchestrator.ts `journal`), and with every
 *    transition forced to disk (fdatasync), the cost a workflow of steps with effects pays;
 *  - rounds interleave the four so machine load hits all alike;
 *    each figure is the median over rounds; overhead per step = (workflow − single) / STEPS;
 *  - journal: FileJournal.append of a `start`-sized record, JOURNAL_N times: median and p99 (this
 *    machine's disk and fdatasync; IndexedDB's cost is the browser's and is not measured here).
 *
 * Env: WORKFLOW_BENCH_ROUNDS (default 15).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapsuleRegistry } from '../../src/engine/registry.ts';
import { FileJournal } from '../../src/workflow/file-journal.ts';
import { Orchestrator, workflowFromJson } from '../../src/workflow/index.ts';
import { startWfEngine, WF_CAPSULES } from '../../tests/unit/workflow/_engine.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', 'results', 'workflow.json');
const ROUNDS = Math.max(3, Number(process.env['WORKFLOW_BENCH_ROUNDS'] ?? 15));
const STEPS = 10;
const STEP_MS = 10;
const JOURNAL_N = 500;
const GOAL_OVERHEAD_RATIO = 0.05;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const work = mkdtempSync(join(tmpdir(), 'inos-bench-wf-'));
const e = await startWfEngine(join(work, 'store'), 1);
try {
  const registry = new CapsuleRegistry(WF_CAPSULES);
  const input = new Uint8Array(4096).map((_, i) => i & 0xff);
  const wf = workflowFromJson({
    steps: Array.from({ length: STEPS }, (_, i) => ({
      name: `s${i}`,
      library: 'wftest',
      method: 'work',
      params: { ms: STEP_MS },
    })),
  });
  const plain = new Orchestrator(e.engine, registry);
  const journalDir = join(work, 'journal');
  const journaled = new Orchestrator(e.engine, registry, { journal: new FileJournal(journalDir) });
  const flushing = new FileJournal(join(work, 'journal-flush'));
  const flushed = new Orchestrator(e.engine, registry, {
    journal: {
      append: (r) => flushing.append(r, true),
      unfinished: () => flushing.unfinished(),
      compact: (wf) => flushing.compact(wf),
      close: () => flushing.close(),
    },
  });

  const single = async () => {
    let data: Uint8Array = input;
    for (let i = 0; i < STEPS; i++) {
      const o = await e.engine.submit({
        library: 'wftest',
        method: 'work',
        params: JSON.stringify({ ms: STEP_MS }),
        input: data,
      });
      if (o.status !== 'ok') throw new Error(`single job failed: ${o.error}`);
      data = o.output;
    }
    return data;
  };
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const runWf = (o: Orchestrator) => async () => {
    const r = await o.run(wf, { input });
    if (r.status !== 'committed') throw new Error(`workflow failed: ${r.error}`);
  };

  // Warm-up: JIT, the worker's first jobs, the journal directory.
  await single();
  await runWf(plain)();
  await runWf(journaled)();
  await runWf(flushed)();

  const samples = {
    single: [] as number[],
    workflow: [] as number[],
    journaled: [] as number[],
    flushed: [] as number[],
  };
  for (let r = 0; r < ROUNDS; r++) {
    samples.single.push(await time(single));
    samples.workflow.push(await time(runWf(plain)));
    samples.journaled.push(await time(runWf(journaled)));
    samples.flushed.push(await time(runWf(flushed)));
  }
  const s = median(samples.single);
  const w = median(samples.workflow);
  const j = median(samples.journaled);
  const f = median(samples.flushed);

  const jdir = join(work, 'journal-bench');
  const journal = new FileJournal(jdir);
  await journal.append({
    type: 'begin',
    wf: 'wf-bench',
    at: Date.now(),
    def: {},
    input: { kind: 'none' },
    meta: {},
  });
  const appends: number[] = [];
  for (let i = 0; i < JOURNAL_N; i++) {
    const t = performance.now();
    await journal.append({
      type: 'start',
      wf: 'wf-bench',
      at: Date.now(),
      step: i,
      key: `wf-bench/s${i}`,
      attempt: 1,
      budget: 100,
    });
    appends.push(performance.now() - t);
  }
  await journal.compact('wf-bench');

  const result = {
    overhead_ratio: round(w / s - 1, 4),
    overhead_per_step_ms: round((w - s) / STEPS, 4),
    overhead_ratio_with_journal: round(j / s - 1, 4),
    overhead_per_step_ms_with_journal: round((j - s) / STEPS, 4),
    overhead_ratio_with_journal_all_flushed: round(f / s - 1, 4),
    overhead_per_step_ms_with_journal_all_flushed: round((f - s) / STEPS, 4),
    minimum_ratio: round(Math.min(...samples.workflow) / Math.min(...samples.single) - 1, 4),
    journal_append_p50_ms: round(median(appends), 4),
    journal_append_p99_ms: round(pct(appends, 0.99), 4),
    goal: { overhead_ratio: GOAL_OVERHEAD_RATIO, met: w / s - 1 <= GOAL_OVERHEAD_RATIO },
    meta: {
      steps: STEPS,
      step_ms: STEP_MS,
      input_bytes: input.length,
      rounds: ROUNDS,
      median_ms: {
        single_jobs: round(s),
        workflow: round(w),
        workflow_journaled: round(j),
        workflow_all_flushed: round(f),
      },
      samples_ms: {
        single_jobs: samples.single.map((x) => round(x, 2)),
        workflow: samples.workflow.map((x) => round(x, 2)),
        workflow_journaled: samples.journaled.map((x) => round(x, 2)),
        workflow_all_flushed: samples.flushed.map((x) => round(x, 2)),
      },
      journal: { appends: JOURNAL_N, transitions_per_workflow: 2 + 2 * STEPS, dir: 'os.tmpdir()' },
      workers: 1,
      machine: {
        cpus: availableParallelism(),
        model: cpus()[0]?.model ?? '',
        loadavg: loadavg().map((x) => round(x, 2)),
      },
      node: process.version,
      date: new Date().toISOString(),
    },
  };
  writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.table({
    'single jobs': { median_ms: round(s, 2) },
    workflow: {
      median_ms: round(w, 2),
      overhead_per_step_ms: result.overhead_per_step_ms,
      overhead_ratio: result.overhead_ratio,
    },
    'workflow + journal': {
      median_ms: round(j, 2),
      overhead_per_step_ms: result.overhead_per_step_ms_with_journal,
      overhead_ratio: result.overhead_ratio_with_journal,
    },
    'workflow + journal, all flushed': {
      median_ms: round(f, 2),
      overhead_per_step_ms: result.overhead_per_step_ms_with_journal_all_flushed,
      overhead_ratio: result.overhead_ratio_with_journal_all_flushed,
    },
  });
  console.log(
    `journal append (fdatasync): p50 ${result.journal_append_p50_ms} ms, p99 ${result.journal_append_p99_ms} ms`,
  );
  console.log(
    `goal: overhead ≤ ${GOAL_OVERHEAD_RATIO * 100} % for ${STEP_MS} ms steps: ${result.goal.met ? 'met' : 'NOT met'}`,
  );
  console.log(`[bench:workflow] ${resultsFile}`);
} finally {
  await e.dispose();
  rmSync(work, { recursive: true, force: true });
}
