/**
 * `inos run <library> <method> [options]`: one job on this machine's engine (node-engine.ts: worker
 * threads sharing one SharedArrayBuffer, the engine the extension runs), its output bytes written
 * unchanged to --out. The job's status is the exit status: 0 ok, 2 bad input, 3 budget exhausted,
 * 4 timeout, 1 cancelled or internal error.
 *
 * The library and method are checked here, before any thread starts, so a typo costs nothing; params,
 * input and everything else are judged by the engine, which answers hostile requests with a status
 * and a message (the worker never throws them away with itself).
 *
 * A little over 400 lines: the usage text, the parser, the limits table and the report describe one
 * contract (the command's options and statuses) and are kept in one file so they cannot drift apart.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { builtinCapsules } from '../../capsules/builtin.ts';
import {
  BadInputError,
  type Capsule,
  type CapsuleMethod,
  type ResourceLimits,
} from '../../capsules/capsule.ts';
import type { JobOutcome } from '../../engine/job-engine.ts';
import { CapsuleRegistry } from '../../engine/registry.ts';
import { MAX_PARAMS_BYTES } from '../../engine/validate.ts';
import { readFlags } from './_shared.ts';
import { CliInputError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../cli-error.ts';
import type { CliIo } from '../io.ts';
import { defaultStoreDir, startNodeEngine, type NodeEngine } from '../node-engine.ts';
import type { Command } from '../registry.ts';
import { runWorkflowCommand, WORKFLOW_USAGE } from './_run-workflow.ts';

/** The job ran out of its credit budget (it was charged at most the budget). */
export const EXIT_BUDGET_EXHAUSTED = 3;
/** The job passed its time limit: the capsule's timeout or --deadline-ms. */
export const EXIT_TIMEOUT = 4;

export const EXIT_BY_STATUS: Record<JobOutcome['status'], number> = {
  ok: EXIT_OK,
  badInput: EXIT_BAD_INPUT,
  budgetExhausted: EXIT_BUDGET_EXHAUSTED,
  timeout: EXIT_TIMEOUT,
  cancelled: EXIT_FAILURE,
  internalError: EXIT_FAILURE,
};

const STATUS_LABEL: Record<JobOutcome['status'], string> = {
  ok: 'ok',
  badInput: 'bad input',
  budgetExhausted: 'budget exhausted',
  timeout: 'timeout',
  cancelled: 'cancelled',
  internalError: 'internal error',
};

const FORMATS = ['raw', 'hex', 'json'] as const;
type Format = (typeof FORMATS)[number];

/** Flag → option key. `--flag value` and `--flag=value` both work; each flag at most once. */
const FLAGS = {
  '--params': 'params',
  '--in': 'in',
  '--out': 'out',
  '--format': 'format',
  '--budget': 'budget',
  '--deadline-ms': 'deadlineMs',
  '--store': 'store',
} as const;
type Flag = keyof typeof FLAGS;

export interface RunOptions {
  library: string;
  method: string;
  /** JSON text, or `@FILE`. */
  params: string | undefined;
  in: string | undefined;
  out: string | undefined;
  format: Format;
  budget: number | undefined;
  deadlineMs: number | undefined;
  store: string | undefined;
}

/** What the command needs of an engine; tests pass one shared engine to keep threads warm. */
export type RunEngine = Pick<NodeEngine, 'engine' | 'ready' | 'dispose'>;
export type StartRunEngine = (opts: {
  storeDir: string;
  workers?: number;
  /** The job's library: the engine may load it in its workers before they take the job. */
  library?: string;
}) => RunEngine | Promise<RunEngine>;

const KB = 1024;
const MB = 1024 * KB;

function bytesText(n: number): string {
  if (n > MB && n % MB !== 0) return `${Math.floor(n / MB)} MiB + ${bytesText(n % MB)}`;
  if (n >= MB) return `${n / MB} MiB`;
  if (n >= KB && n % KB === 0) return `${n / KB} KiB`;
  return `${n} B`;
}

function msText(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Every capsule method's limits (the method's own over its capsule's) as a Markdown table, padded the
 * way prettier writes it, so docs/CREDITS.md can hold it verbatim (a test checks it does).
 */
export function limitsTable(capsules: readonly Capsule[] = builtinCapsules): string {
  const head = ['library.method', 'cost cap (credits)', 'time limit', 'max input', 'max output'];
  const rows: string[][] = [];
  for (const c of [...capsules].sort((a, b) => a.library.localeCompare(b.library))) {
    for (const name of Object.keys(c.methods).sort()) {
      const l: ResourceLimits = { ...c.limits, ...c.methods[name]!.limits };
      rows.push([
        `\`${c.library}.${name}\``,
        String(l.costCap),
        msText(l.timeoutMs),
        bytesText(l.maxInputBytes),
        bytesText(l.maxOutputBytes),
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function methodsText(capsules: readonly Capsule[]): string {
  const out: string[] = [];
  for (const c of [...capsules].sort((a, b) => a.library.localeCompare(b.library))) {
    const l = c.limits;
    out.push(
      `  ${c.library}  (cost cap ${l.costCap} credits, ${msText(l.timeoutMs)}, input ≤ ${bytesText(l.maxInputBytes)})`,
    );
    const names = Object.keys(c.methods).sort();
    const width = Math.max(...names.map((n) => n.length));
    for (const n of names) out.push(`    ${n.padEnd(width)}  ${c.methods[n]!.summary}`);
  }
  return out.join('\n');
}

const USAGE = `Usage: inos run <library> <method> [options]

Runs one job on this machine's engine (worker threads sharing one SharedArrayBuffer, the same engine
the extension runs) and writes the job's output bytes unchanged.

Options:
  --params JSON|@FILE    the method's parameters: a JSON object (default {}), or @FILE to read it from a
                         file; at most ${bytesText(MAX_PARAMS_BYTES)}, nested at most 32 deep, and no "__proto__",
                         "constructor" or "prototype" keys
  --in FILE|-            the input bytes: a file, or - for stdin (default: no input)
  --out FILE|-           where the output goes (default -: stdout); written only when the job succeeds,
                         except with --format json, which always writes its report
  --format raw|hex|json  raw: the output bytes unchanged (default); hex: lowercase hex and a newline;
                         json: {"status", "costUsed", "output", "outputEncoding", "error"} where output
                         is the parsed value when the output is JSON text, else hex
  --budget N             most credits the job may spend, a whole number (default, and at most: the
                         capsule's cost cap). A job that runs out stops and is charged the budget, no more.
  --deadline-ms N        stop the job N ms after it is submitted (default: the capsule's time limit)
                         Methods that bundle several outputs (physics.simulate, physics.step) also
                         print a summary line (the state hash) and, with --out FILE, write each part
                         beside it as FILE.<part> (FILE.snapshot.bin, FILE.transforms.f32, …)
  --store DIR            the chunk store for storage.put/get/has/delete (default: $INOS_STORE, else
                         ~/.local/share/inos/chunks; created on first use)

One credit is one millisecond of one worker's CPU, plus one per MiB of input and output (docs/CREDITS.md).

Exit status: 0 ok; 2 bad input (arguments, params or input; the message says what and what is allowed);
3 budget exhausted; 4 timeout; 1 cancelled or internal error.

Capsules and methods:
${methodsText(builtinCapsules)}

Examples:
  inos run crypto sha256 --in file.bin --format hex
  inos run storage compress --params '{"quality":9}' --in file.txt --out file.txt.br
  inos run physics simulate --params @scene.json --out state.bin
  inos run physics step --params '{"steps":600}' --in state.bin --out next.bin
  inos run pow search --params '{"header":"<160 hex>","nonceStart":0,"count":1000000,"bits":486604799}' --format json`;

function fail(message: string): never {
  throw new CliInputError(`${message}\n\n${USAGE}`);
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(text)}`);
  return n;
}

export function parseRunArgs(args: readonly string[]): RunOptions {
  const flags = readFlags(
    args,
    Object.fromEntries(Object.keys(FLAGS).map((f) => [f, 'value' as const])),
    USAGE,
    { positional: true },
  );
  const values: Partial<Record<(typeof FLAGS)[Flag], string>> = {};
  for (const [flag, value] of flags.values) values[FLAGS[flag as Flag]] = value;
  const positional = flags.positional;
  const [library, method, ...extra] = positional;
  if (library === undefined || method === undefined)
    fail(`expected <library> <method>, got ${positional.length} argument(s)`);
  if (extra.length > 0)
    fail(
      `unexpected argument ${JSON.stringify(extra[0])} after <library> <method>` +
        (extra[0] === '-' ? ' (did you mean --in -?)' : ''),
    );
  const format = values.format ?? 'raw';
  if (!(FORMATS as readonly string[]).includes(format))
    fail(`--format must be one of ${FORMATS.join(', ')}; got ${JSON.stringify(format)}`);
  return {
    library,
    method,
    params: values.params,
    in: values.in,
    out: values.out,
    format: format as Format,
    budget:
      values.budget === undefined
        ? undefined
        : wholeNumber('--budget', values.budget, 0, Number.MAX_SAFE_INTEGER),
    deadlineMs:
      values.deadlineMs === undefined
        ? undefined
        : wholeNumber('--deadline-ms', values.deadlineMs, 1, 2 ** 31),
    store: values.store,
  };
}

function fsMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a parent is not a directory',
  };
  return (e?.code && reason[e.code]) || (err instanceof Error ? err.message : String(err));
}

function readParams(params: string | undefined): string {
  if (params === undefined) return '{}';
  if (!params.startsWith('@')) {
    // The engine refuses these too, but a request frame this large would not fit the worker's ring.
    if (params.length > MAX_PARAMS_BYTES / 3 && Buffer.byteLength(params) > MAX_PARAMS_BYTES)
      throw new CliInputError(
        `params are ${Buffer.byteLength(params)} bytes; at most ${MAX_PARAMS_BYTES} bytes (1 MiB) are allowed`,
      );
    return params;
  }
  const file = params.slice(1);
  try {
    const size = statSync(file).size;
    if (size > MAX_PARAMS_BYTES)
      throw new CliInputError(
        `--params ${params}: the file is ${size} bytes; params are at most ${MAX_PARAMS_BYTES} bytes (1 MiB)`,
      );
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    throw new CliInputError(`cannot read --params ${params}: ${fsMessage(err)}`);
  }
}

async function readInput(
  source: string | undefined,
  io: CliIo,
  where: string,
  limits: ResourceLimits,
): Promise<Uint8Array | undefined> {
  if (source === undefined) return undefined;
  if (source === '-') return io.readStdin();
  let size: number;
  try {
    const st = statSync(source);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    throw new CliInputError(`cannot read --in ${source}: ${fsMessage(err)}`);
  }
  // Refused before reading: an oversize file never has to fit in memory.
  if (size > limits.maxInputBytes)
    throw new CliInputError(`input is ${size} bytes; ${where} accepts at most ${limits.maxInputBytes} bytes`);
  try {
    const b = readFileSync(source);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    throw new CliInputError(`cannot read --in ${source}: ${fsMessage(err)}`);
  }
}

/** Fails before the job runs when --out cannot be a file: its folder is missing or it is a folder. */
function checkOut(out: string | undefined): void {
  if (out === undefined || out === '-') return;
  const full = resolve(out);
  let dirOk = false;
  try {
    dirOk = statSync(dirname(full)).isDirectory();
  } catch {
    dirOk = false;
  }
  if (!dirOk)
    throw new CliInputError(`cannot write --out ${out}: its folder ${dirname(full)} does not exist`);
  try {
    if (statSync(full).isDirectory()) throw new CliInputError(`cannot write --out ${out}: it is a directory`);
  } catch (err) {
    if (err instanceof CliInputError) throw err;
  }
}

function write(out: string | undefined, io: CliIo, data: Uint8Array | string): void {
  if (out === undefined || out === '-') {
    io.writeStdout(data);
    return;
  }
  try {
    writeFileSync(out, data);
  } catch (err) {
    throw new CliInputError(`cannot write --out ${out}: ${fsMessage(err)}`);
  }
}

/** The JSON report's output: the parsed value when the bytes are JSON text, else hex. */
function jsonReport(o: JobOutcome): string {
  let output: unknown = Buffer.from(o.output).toString('hex');
  let outputEncoding = 'hex';
  if (o.output.length > 0) {
    try {
      output = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(o.output));
      outputEncoding = 'json';
    } catch {
      // Not UTF-8 JSON: keep hex.
    }
  }
  return `${JSON.stringify({ status: o.status, costUsed: o.costUsed, output, outputEncoding, error: o.error })}\n`;
}

// A job the user runs by hand may use the GPU (only GPU capsules ask for it).
const defaultStart: StartRunEngine = ({ storeDir, workers, library }) =>
  startNodeEngine({ workers: workers ?? 1, storeDir, preload: library ? [library] : [], gpu: true });

export function createRunCommand(
  start: StartRunEngine = defaultStart,
  capsules: readonly Capsule[] = builtinCapsules,
): Command {
  return {
    name: 'run',
    summary: 'run one capsule job, or a workflow of them, on this machine (input and output as bytes)',
    usage: `${USAGE}\n\n${WORKFLOW_USAGE}`,
    async run(args, io) {
      if (args[0] === 'workflow') return runWorkflowCommand(args.slice(1), io, start, capsules);
      const opts = parseRunArgs(args);
      const where = `${opts.library}.${opts.method}`;
      let limits: ResourceLimits;
      let present: CapsuleMethod['present'];
      try {
        ({
          limits,
          method: { present },
        } = new CapsuleRegistry(capsules).resolve(opts.library, opts.method));
      } catch (err) {
        if (err instanceof BadInputError)
          throw new CliInputError(`${err.message} (\`inos run --help\` lists every method)`);
        throw err;
      }
      const params = readParams(opts.params);
      const input = await readInput(opts.in, io, where, limits);
      checkOut(opts.out);

      const engine = await start({ storeDir: opts.store ?? defaultStoreDir(), library: opts.library });
      const budget = Math.min(opts.budget ?? limits.costCap, limits.costCap);
      let outcome: JobOutcome;
      try {
        await engine.ready();
        const deadlineMs = opts.deadlineMs ? Date.now() + opts.deadlineMs : 0;
        outcome = await engine.engine.submit({
          library: opts.library,
          method: opts.method,
          params,
          ...(input ? { input } : {}),
          budget,
          ...(deadlineMs ? { deadlineMs } : {}),
        });
      } finally {
        await engine.dispose();
      }

      if (outcome.status !== 'ok') {
        const charged = outcome.costUsed > 0 ? ` (charged ${outcome.costUsed} credits)` : '';
        io.writeStderr(`inos run: ${STATUS_LABEL[outcome.status]}: ${outcome.error}${charged}\n`);
      }
      if (outcome.status === 'ok' && present && opts.format !== 'json') {
        // A bundled output (physics state): its summary line, and its parts beside --out as files.
        const { summary, parts } = present(outcome.output);
        const toFile = opts.out !== undefined && opts.out !== '-';
        if (toFile)
          for (const [name, bytes] of Object.entries(parts)) write(`${opts.out}.${name}`, io, bytes);
        (toFile ? io.writeStdout : io.writeStderr).call(io, `${summary}\n`);
      }
      if (opts.format === 'json') write(opts.out, io, jsonReport(outcome));
      else if (outcome.status === 'ok')
        write(
          opts.out,
          io,
          opts.format === 'hex' ? `${Buffer.from(outcome.output).toString('hex')}\n` : outcome.output,
        );
      return EXIT_BY_STATUS[outcome.status];
    },
  };
}

export const runCommand: Command = createRunCommand();
