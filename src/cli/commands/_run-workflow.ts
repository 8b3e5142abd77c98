/**
 * `inos run workflow --params @workflow.json --in FILE`: several jobs as one transaction on this
 * machine's engine (src/workflow). The definition is checked before any thread starts; the input file
 * is read straight into shared memory and the output written straight from it (no copy of the bulk
 * bytes on the way); every transition goes to a journal file first, and the next `inos run workflow`
 * (or `--recover`) finishes what a killed process left: resumes or rolls back, per the workflow.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
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

interface Options {
  params?: string;
  in?: string;
  out?: string;
  format: 'raw' | 'hex' | 'json';
  store?: string;
  journal?: string;
  metrics?: string;
  workers: number;
  recover: boolean;
}

function parse(args: readonly string[]): Options {
  const o: Options = { format: 'raw', workers: 2, recover: false };
  const fail = (m: string): never => {
    throw new CliInputError(`${m}\n\n${WORKFLOW_USAGE}`);
  };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--recover') {
      o.recover = true;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : args[++i];
    if (
      !['--params', '--in', '--out', '--format', '--store', '--journal', '--metrics', '--workers'].includes(
        flag,
      )
    )
      fail(`unknown argument ${JSON.stringify(a)}`);
    if (seen.has(flag)) fail(`${flag} given twice`);
    seen.add(flag);
    if (value === undefined) fail(`${flag} needs a value`);
    const v = value as string;
    if (flag === '--format') {
      if (v !== 'raw' && v !== 'hex' && v !== 'json') fail('--format must be raw, hex or json');
      o.format = v as Options['format'];
    } else if (flag === '--workers') {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 16) fail('--workers must be a whole number 1-16');
      o.workers = Number(v);
    } else o[flag.slice(2) as 'params' | 'in' | 'out' | 'store' | 'journal' | 'metrics'] = v;
  }
  if (!o.recover && o.params === undefined) fail('--params is required (the workflow definition)');
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
): Promise<number> {
  const o = parse(args);
  const registry = new CapsuleRegistry(capsules);
  let workflow: Workflow | null = null;
  if (!o.recover) {
    try {
      workflow = parseWorkflowJson(readDefinition(o.params!));
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
  const journal = new FileJournal(o.journal ?? defaultJournalDir());
  const metrics = new Metrics();
  const engine = await start({ storeDir: o.store ?? defaultStoreDir(), workers: o.workers });
  let result: WorkflowResult | null = null;
  try {
    await engine.ready();
    const orch = new Orchestrator(engine.engine, registry, { journal, metrics });
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
    for (const r of recovered) io.writeStderr(`inos run workflow: recovered: ${summary(r)}\n`);
    if (o.recover) {
      if (recovered.length === 0) io.writeStderr('inos run workflow: nothing to recover\n');
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
    await engine.dispose();
    await journal.close();
    const problem = recordMetrics(o.metrics ?? defaultMetricsFile(), metrics);
    if (problem) io.writeStderr(`inos run workflow: metrics not saved: ${problem}\n`);
  }
  if (!result) return EXIT_FAILURE;
  io.writeStderr(`inos run workflow: ${summary(result)}\n`);
  if (o.format === 'json') {
    const { output: _output, meta: _meta, ...report } = result;
    write(o.out, io, `${JSON.stringify({ ...report, output: reportOutput })}\n`);
  }
  return result.status === 'committed' ? EXIT_OK : EXIT_FAILURE;
}
