/**
 * `inos run workflow --params @workflow.json --in FILE`: several jobs as one transaction on this
 * machine's engine (src/workflow). The definition is checked before any thread starts; the input file
 * is read straight into shared memory and the output written straight from it (no copy of the bulk
 * bytes on the way); every transition goes to a journal file first, and the next `inos run workflow`
 * (or `--recover`) finishes what a killed process left: resumes or rolls back, per the workflow.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Capsule } from '../../capsules/capsule.ts';
import type { ArenaInput } from '../../engine/job-engine.ts';
import { CapsuleRegistry } from '../../engine/registry.ts';
import { hexToBytes } from '../../capsules/crypto/hex.ts';
import { FileJournal } from '../../workflow/file-journal.ts';
import {
  Metrics,
  Orchestrator,
  parseWorkflowJson,
  WorkflowDefinitionError,
  planWorkflow,
  type InputDescriptor,
  type Workflow,
  type WorkflowEngine,
  type WorkflowResult,
} from '../../workflow/index.ts';
import { CliInputError, EXIT_FAILURE, EXIT_OK } from '../cli-error.ts';
import { defaultJournalDir, defaultMetricsFile } from '../data-dir.ts';
import type { CliIo } from '../io.ts';
import { recordMetrics } from '../metrics-file.ts';
import { defaultStoreDir, type NodeEngine } from '../node-engine.ts';

export type StartWorkflowEngine = (opts: {
  storeDir: string;
  workers?: number;
}) =>
  | Pick<NodeEngine, 'engine' | 'ready' | 'dispose'>
  | Promise<Pick<NodeEngine, 'engine' | 'ready' | 'dispose'>>;

export const WORKFLOW_USAGE = `Usage: inos run workflow --params JSON|@FILE [--in FILE] [options]

Runs a workflow: capsule jobs as steps, sequential, parallel or conditional, whose outputs feed later
steps by reference. The definition (JSON; docs/ARCHITECTURE.md "Workflows", schemas/workflow.capnp):

  {"steps": [{"name": "c", "library": "storage", "method": "compress", "params": {"quality": 5}},
             {"name": "p", "library": "storage", "method": "put"},
             {"library": "crypto", "method": "sha256", "input": "steps.c",
              "conditional": {"field": "steps.c.length", "operator": ">", "value": 0}}],
   "onError": "abort|skip|retry|rollback", "retry": {"attempts": 3, "backoffMs": 50},
   "budget": 500, "recovery": "resume|rollback", "vars": {"key": "…"}}

  params strings may hold \${previous.FIELD}, \${steps.NAME.FIELD}, \${vars.NAME}; FIELD is length, byte0,
  hex, text or a key of a JSON output. A step's "input" is previous (default), workflow, none or
  steps.NAME. Steps marked "parallel": {} next to each other run at once.

Options:
  --params JSON|@FILE  the workflow definition (required)
  --in FILE            the workflow's input (default: none); read straight into shared memory
  --out FILE|-         where the last step's output goes (default -: stdout), only when it commits
  --format raw|hex|json  raw output bytes (default), hex, or a JSON report of every step
  --store DIR          the chunk store (default: $INOS_STORE, else ~/.local/share/inos/chunks)
  --journal DIR        the write-ahead journal (default: $INOS_HOME/journal)
  --metrics FILE       where measurements are added (default: $INOS_HOME/metrics.json; see inos metrics)
  --workers N          worker threads (default 2; parallel steps need more than one to overlap)
  --recover            only finish workflows a killed process left in the journal, then exit

Before it starts, every run finishes the journal's unfinished workflows (printed on stderr).
Exit status: 0 committed; 1 aborted, rolled back or failed; 2 bad definition or arguments.`;

export const SUBMIT_WORKFLOW_USAGE = `Usage: inos submit workflow --params JSON|@FILE [--in FILE] [--bootstrap MULTIADDR] [--budget N]
         [--redundancy K] [--deadline 60s] [--mint] [--wait SECONDS] [run workflow's options]

The same workflow definition as \`inos run workflow\`, but each step is a market job on the mesh
(offered to contributors, verified by K identities, paid from this machine's wallet), except the
steps that use a chunk store (storage.put, get, has, delete): those run on this machine's engine
and store, so a rollback deletes what was stored where it was stored.

  --bootstrap ADDR   an \`inos node\` to join; repeatable; default $INOS_BOOTSTRAP
  --budget N         credits the whole workflow may spend (default: the definition's budget, else the
                     sum of its steps' cost caps); each mesh step escrows its share of what is left
  --redundancy K     identities that must agree on each mesh step's output, 1 to 5 (default 2)
  --deadline D       how long one run may take before it goes to another contributor (default 60s)
  --mint             first mint what the budget needs if the wallet holds less
  --wait SECONDS     how long to look for contributors before giving up (default 10)
  --journal DIR      the write-ahead journal (default: $INOS_HOME/journal/mesh); the next
                     \`inos submit workflow\` (or --recover) finishes what a killed one left
  --workers N        this machine's worker threads for the store-bound steps (default 1)
  --params, --in, --out, --format, --store, --metrics, --recover: as \`inos run workflow\`

Exit status: 0 committed; 1 aborted, rolled back or failed (or no contributor); 2 bad definition,
arguments, or not enough credits without --mint.`;

/** What `inos submit workflow` adds: the mesh behind the orchestrator (src/cli/commands/submit.ts). */
export type OpenMesh = (
  local: WorkflowEngine,
  o: MeshArgs,
  registry: CapsuleRegistry,
  io: CliIo,
) => Promise<{ engine: WorkflowEngine; close(): Promise<void> } | number>;

export interface MeshArgs {
  bootstrap: string[];
  redundancy: number;
  deadlineMs: number;
  mint: boolean;
  waitMs: number;
  /** The workflow to run (null with --recover): its budget and the libraries its mesh steps need. */
  workflow: Workflow | null;
}

interface Options {
  params?: string;
  /** `inos submit workflow` only. */
  bootstrap: string[];
  budget?: number;
  redundancy: number;
  deadlineMs: number;
  mint: boolean;
  waitMs: number;
  in?: string;
  out?: string;
  format: 'raw' | 'hex' | 'json';
  store?: string;
  journal?: string;
  metrics?: string;
  workers: number;
  recover: boolean;
}

const MESH_FLAGS = ['--bootstrap', '--budget', '--redundancy', '--deadline', '--wait'];

function parse(args: readonly string[], mesh: boolean, env: NodeJS.ProcessEnv = process.env): Options {
  const o: Options = {
    format: 'raw',
    workers: mesh ? 1 : 2,
    recover: false,
    bootstrap: [],
    redundancy: 2,
    deadlineMs: 60_000,
    mint: false,
    waitMs: 10_000,
  };
  const usage = mesh ? SUBMIT_WORKFLOW_USAGE : WORKFLOW_USAGE;
  const fail = (m: string): never => {
    throw new CliInputError(`${m}\n\n${usage}`);
  };
  const whole = (flag: string, v: string, min: number, max: number): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      fail(`${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--recover') {
      o.recover = true;
      continue;
    }
    if (mesh && a === '--mint') {
      o.mint = true;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : args[++i];
    if (
      !['--params', '--in', '--out', '--format', '--store', '--journal', '--metrics', '--workers'].includes(
        flag,
      ) &&
      !(mesh && MESH_FLAGS.includes(flag))
    )
      fail(`unknown argument ${JSON.stringify(a)}`);
    if (seen.has(flag) && flag !== '--bootstrap') fail(`${flag} given twice`);
    seen.add(flag);
    if (value === undefined) fail(`${flag} needs a value`);
    const v = value as string;
    if (flag === '--bootstrap') o.bootstrap.push(v);
    else if (flag === '--budget') o.budget = whole(flag, v, 1, 1_000_000);
    else if (flag === '--redundancy') o.redundancy = whole(flag, v, 1, 5);
    else if (flag === '--wait') o.waitMs = whole(flag, v, 0, 600) * 1000;
    else if (flag === '--deadline') {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
      const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
      if (!(ms >= 100 && ms <= 3_600_000))
        fail(
          `--deadline must be a duration from 100ms to 60m such as 60s, 500ms or 2m; got ${JSON.stringify(v)}`,
        );
      o.deadlineMs = Math.round(ms);
    } else if (flag === '--format') {
      if (v !== 'raw' && v !== 'hex' && v !== 'json') fail('--format must be raw, hex or json');
      o.format = v as Options['format'];
    } else if (flag === '--workers') {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 16) fail('--workers must be a whole number 1-16');
      o.workers = Number(v);
    } else o[flag.slice(2) as 'params' | 'in' | 'out' | 'store' | 'journal' | 'metrics'] = v;
  }
  if (!o.recover && o.params === undefined) fail('--params is required (the workflow definition)');
  if (mesh && o.bootstrap.length === 0 && env['INOS_BOOTSTRAP'])
    o.bootstrap.push(...env['INOS_BOOTSTRAP'].split(/\s+/).filter(Boolean));
  return o;
}

function readDefinition(params: string): string {
  if (!params.startsWith('@')) return params;
  const file = params.slice(1);
  try {
    if (statSync(file).size > 1 << 20)
      throw new CliInputError(`${file} is over 1 MiB; a definition is at most 1 MiB`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    throw new CliInputError(`cannot read --params ${params}: ${(err as Error).message}`);
  }
}

/** Reads a file straight into an arena block (no intermediate buffer); checks it did not change. */
function readIntoArena(
  engine: Pick<NodeEngine, 'engine'>,
  path: string,
  expect?: { size: number; mtimeMs: number },
): { block: ArenaInput; descriptor: InputDescriptor } {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (expect && (st.size !== expect.size || st.mtimeMs !== expect.mtimeMs))
      throw new Error('the file changed since the workflow began');
    const block = engine.engine.allocInput(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, block.view, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return { block, descriptor: { kind: 'file', path: resolve(path), size: st.size, mtimeMs: st.mtimeMs } };
  } finally {
    closeSync(fd);
  }
}

/** The JSON report's copy of the output (hex, up to 1 MiB). */
let reportOutput = '';

function sinkFor(out: string | undefined, format: Options['format'], io: CliIo) {
  return (view: Uint8Array) => {
    if (format === 'json') {
      reportOutput =
        view.length <= 1 << 20 ? Buffer.from(view).toString('hex') : `(${view.length} bytes, not shown)`;
      return;
    }
    if (format === 'hex') return write(out, io, `${Buffer.from(view).toString('hex')}\n`);
    if (out === undefined || out === '-') return io.writeStdout(view.slice());
    const fd = openSync(out, 'w');
    try {
      for (let at = 0; at < view.length;) at += writeSync(fd, view, at, view.length - at);
    } finally {
      closeSync(fd);
    }
  };
}

function write(out: string | undefined, io: CliIo, text: string): void {
  if (out === undefined || out === '-') io.writeStdout(text);
  else {
    const fd = openSync(out, 'w');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
}

function summary(r: WorkflowResult): string {
  const steps = r.steps
    .map((s) => `${s.name} ${s.status}${s.attempts > 1 ? ` ×${s.attempts}` : ''}`)
    .join(', ');
  return `workflow ${r.id}: ${r.status}${r.error ? ` (${r.error})` : ''}; steps: ${steps}; ${r.costUsed}/${r.budget} credits; ${r.bytesCopied} bytes copied; ${r.ms.toFixed(0)} ms`;
}

export async function runWorkflowCommand(
  args: readonly string[],
  io: CliIo,
  start: StartWorkflowEngine,
  capsules: readonly Capsule[],
  mesh?: OpenMesh,
): Promise<number> {
  const o = parse(args, mesh !== undefined);
  const name = mesh ? 'inos submit workflow' : 'inos run workflow';
  const registry = new CapsuleRegistry(capsules);
  let workflow: Workflow | null = null;
  if (!o.recover) {
    try {
      workflow = parseWorkflowJson(readDefinition(o.params!));
      if (o.budget !== undefined) workflow = { ...workflow, budget: o.budget };
      planWorkflow(workflow, registry); // before any thread starts: a typo costs nothing
    } catch (err) {
      if (err instanceof WorkflowDefinitionError) throw new CliInputError(err.message);
      throw err;
    }
    if (o.in !== undefined) {
      try {
        if (!statSync(o.in).isFile()) throw new Error('not a regular file');
      } catch (err) {
        throw new CliInputError(`cannot read --in ${o.in}: ${(err as Error).message}`);
      }
    }
  }
  // Each command recovers only its own workflows: a mesh workflow's steps must not rerun locally.
  const journal = new FileJournal(
    o.journal ?? (mesh ? join(defaultJournalDir(), 'mesh') : defaultJournalDir()),
  );
  const metrics = new Metrics();
  const engine = await start({ storeDir: o.store ?? defaultStoreDir(), workers: o.workers });
  let result: WorkflowResult | null = null;
  let market: { engine: WorkflowEngine; close(): Promise<void> } | null = null;
  try {
    await engine.ready();
    if (mesh) {
      const opened = await mesh(engine.engine, { ...o, workflow }, registry, io);
      if (typeof opened === 'number') return opened;
      market = opened;
    }
    const orch = new Orchestrator(market?.engine ?? engine.engine, registry, { journal, metrics });
    const recovered = await orch.recover(
      async (input) => {
        if (input.kind === 'none') return null;
        if (input.kind === 'inline') return hexToBytes(input.hex);
        return readIntoArena(engine, input.path, input).block;
      },
      {
        sink: (meta) =>
          sinkFor(
            typeof meta['out'] === 'string' ? meta['out'] : undefined,
            meta['format'] === 'hex' ? 'hex' : 'raw',
            io,
          ),
      },
    );
    for (const r of recovered) io.writeStderr(`${name}: recovered: ${summary(r)}\n`);
    if (o.recover) {
      if (recovered.length === 0) io.writeStderr(`${name}: nothing to recover\n`);
      return recovered.every((r) => r.status === 'committed' || r.status === 'rolledBack')
        ? EXIT_OK
        : EXIT_FAILURE;
    }
    let input: { block: ArenaInput; descriptor: InputDescriptor } | null = null;
    try {
      if (o.in !== undefined) input = readIntoArena(engine, o.in);
    } catch (err) {
      throw new CliInputError(`cannot read --in ${o.in}: ${(err as Error).message}`);
    }
    try {
      result = await orch.run(workflow!, {
        ...(input ? { input: input.block, inputDescriptor: input.descriptor } : {}),
        meta: { out: o.out ?? '-', format: o.format },
        sink: sinkFor(o.out, o.format, io),
      });
    } finally {
      if (input) engine.engine.release(input.block);
    }
  } finally {
    await market?.close();
    await engine.dispose();
    await journal.close();
    const problem = recordMetrics(o.metrics ?? defaultMetricsFile(), metrics);
    if (problem) io.writeStderr(`${name}: metrics not saved: ${problem}\n`);
  }
  if (!result) return EXIT_FAILURE;
  io.writeStderr(`${name}: ${summary(result)}\n`);
  if (o.format === 'json') {
    const { output: _output, meta: _meta, ...report } = result;
    write(o.out, io, `${JSON.stringify({ ...report, output: reportOutput })}\n`);
  }
  return result.status === 'committed' ? EXIT_OK : EXIT_FAILURE;
}
