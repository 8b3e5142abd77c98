/**
 * `npm run bench:image`: the image capsule (wasm-vips 0.0.19 = libvips 8.18.7 in WebAssembly) against
 * native libvips (Debian's 8.14, through bench/image/native-bench.c compiled here against
 * libvips-dev) on the same jobs, measured in this same run; writes bench/results/image.json.
 *
 *  - input: a 12-megapixel JPEG (4000×3000 ImageMagick plasma, q92) made here, and a 2-megapixel crop
 *    of it for the single operations;
 *  - pipeline: JPEG → Lanczos3 to 1/4 (1000×750, gap 0 on both sides: a true separable filter) →
 *    JPEG q80; single ops: decode → op → JPEG q80 (encode cases: → WebP q80 effort 4 / PNG
 *    compression 6, filter none — libvips' default on both sides, set explicitly on the native one);
 *  - the same work on both sides: same access mode (random for resize/rotations, sequential
 *    otherwise), fail_on truncated, no metadata, the capsule's exact grayscale chain natively too; the
 *    output sizes of both sides are recorded (JPEG outputs are byte-for-byte the same size);
 *  - both sides are long-lived (WORKERS native processes, WORKERS wasm worker threads, all started
 *    and loaded before any timing) and decode from / encode to memory at libvips concurrency 1 with
 *    the operation cache off; each measurement runs one untimed job, then JOBS timed ones;
 *  - ROUNDS rounds; in each round, for each case, one worker (native process 0 / wasm thread 0) and
 *    all workers (every process / every thread started together; per-job = slowest loop /
 *    (WORKERS × JOBS)) are measured back to back, the side that goes first alternating by round, so
 *    both sides of a ratio see the same machine load. Reported: the median over rounds and the spread
 *    (min–max) of the per-round figures and of the per-round ratios; the load average per round;
 *  - breakdown (one worker, same rounds): decode only (→ avg), decode + op (→ avg), and, for wasm, the
 *    whole job without libvips' progress callback, to show where each side's time goes;
 *  - ratio_per_core = native_ms / wasm_ms (goal ≥ 0.35); ratio_aggregate = native all-cores per-job /
 *    wasm all-workers per-job (goal ≥ 1): both the median of the per-round ratios.
 *
 * Env: IMAGE_BENCH_ROUNDS (default 5), IMAGE_BENCH_JOBS (default 2), IMAGE_BENCH_WORKERS (default:
 * available parallelism).
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Operation } from '../../src/capsules/image/params.ts';
import type { BenchJob, Mode, Reply } from './_wasm-worker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(root, '.tmp', 'bench-image');
const resultsFile = join(root, 'bench', 'results', 'image.json');
const ROUNDS = Math.max(1, Number(process.env['IMAGE_BENCH_ROUNDS'] ?? 5));
const JOBS = Math.max(1, Number(process.env['IMAGE_BENCH_JOBS'] ?? 2));
const WORKERS = Math.max(1, Number(process.env['IMAGE_BENCH_WORKERS'] ?? availableParallelism()));

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString() ?? r.error}`);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const load = () => loadavg().map((v) => +v.toFixed(1));

/** Compiles native-bench.c against Debian's libvips-dev (a missing toolchain is an error). */
function buildNative(): string {
  const bin = join(work, 'native-bench');
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'vips'], { encoding: 'utf8' });
  if (flags.status !== 0)
    throw new Error('bench:image needs libvips-dev and pkg-config (apt-get install libvips-dev pkg-config)');
  sh('cc', [
    '-O2',
    '-o',
    bin,
    join(root, 'bench', 'image', 'native-bench.c'),
    ...flags.stdout.trim().split(/\s+/),
  ]);
  return bin;
}

/** A long-lived native-bench process: one request line in, one JSON line out. */
class Native {
  private readonly p: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  constructor(bin: string, big: string, mid: string) {
    this.p = spawn(bin, [big, mid], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.p.stdout })[Symbol.asyncIterator]();
  }
  private async line(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error('native-bench exited');
    return r.value;
  }
  async ready(): Promise<void> {
    if ((await this.line()) !== 'ready') throw new Error('native-bench did not start');
  }
  async run(c: Case, mode: 'full' | 'op' | 'decode', n: number): Promise<Reply> {
    this.p.stdin.write(`${c.name} ${mode} ${n}\n`);
    return JSON.parse(await this.line()) as Reply;
  }
  close(): void {
    this.p.stdin.end();
  }
}

/** A wasm worker thread (bench/image/_wasm-worker.ts) with its own wasm-vips, loaded before timing. */
class Wasm {
  private readonly w: Worker;
  constructor() {
    const url = new URL('./_wasm-worker.ts', import.meta.url);
    const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
    this.w = new Worker(boot, { eval: true });
  }
  next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: T) => {
        this.w.off('error', onError);
        resolve(m);
      };
      const onError = (err: Error) => {
        this.w.off('message', onMessage);
        reject(err);
      };
      this.w.once('message', onMessage);
      this.w.once('error', onError);
    });
  }
  run(job: BenchJob, mode: Mode, n: number): Promise<Reply> {
    const reply = this.next<Reply>();
    this.w.postMessage({ kind: 'run', job, mode, n });
    return reply;
  }
  close(): void {
    this.w.postMessage({ kind: 'exit' });
  }
}

interface Case {
  name: string;
  input: string;
  method: string;
  params: Record<string, unknown>;
  op: Operation | null;
}

const loadAtStart = load();
mkdirSync(work, { recursive: true });
const big = join(work, 'big-12mp.jpg');
const mid = join(work, 'mid-2mp.jpg');
if (!existsSync(big))
  sh('convert', [
    '-seed',
    '12',
    '-size',
    '4000x3000',
    'plasma:fractal',
    '-blur',
    '0x0.5',
    '-quality',
    '92',
    big,
  ]);
if (!existsSync(mid)) sh('convert', [big, '-crop', '1632x1224+800+600', '+repage', '-quality', '92', mid]);

const jpeg80 = { format: 'jpeg', quality: 80 };
const single = (name: string, op: Operation): Case => ({
  name,
  input: mid,
  method: op.method,
  params: { ...op, method: undefined, ...jpeg80 },
  op,
});
const CASES: Case[] = [
  {
    name: 'pipeline_12mp_lanczos3_quarter_jpeg_q80',
    input: big,
    method: 'resize',
    params: { width: 1000, height: 750, filter: 'Lanczos3', ...jpeg80 },
    op: { method: 'resize', width: 1000, height: 750, filter: 'Lanczos3' },
  },
  single('rotate90_2mp', { method: 'rotate90' }),
  single('fliph_2mp', { method: 'fliph' }),
  single('invert_2mp', { method: 'invert' }),
  single('grayscale_2mp', { method: 'grayscale' }),
  single('blur_sigma2_2mp', { method: 'blur', sigma: 2 }),
  {
    name: 'encode_webp_q80_2mp',
    input: mid,
    method: 'encode',
    params: { format: 'webp', quality: 80 },
    op: null,
  },
  { name: 'encode_png_2mp', input: mid, method: 'encode', params: { format: 'png' }, op: null },
];
for (const c of CASES) delete c.params['method'];

const nativeBin = buildNative();
const natives = Array.from({ length: WORKERS }, () => new Native(nativeBin, big, mid));
const wasms = Array.from({ length: WORKERS }, () => new Wasm());
await Promise.all([...natives.map((n) => n.ready()), ...wasms.map((w) => w.next<string>())]);
const inputs = new Map(CASES.map((c) => [c.name, new Uint8Array(readFileSync(c.input))]));
const jobOf = (c: Case): BenchJob => ({
  method: c.method,
  params: c.params,
  op: c.op,
  input: inputs.get(c.name)!,
});

/** Per case, per round: the figures below (ms per job). */
type Series = Record<string, number[]>;
const series = new Map<string, Series>(CASES.map((c) => [c.name, {}]));
const bytes = new Map<string, { wasm: number; native: number }>();
const push = (c: Case, key: string, v: number) => (series.get(c.name)![key] ??= []).push(v);
const roundLoad: Array<{ round: number; start: number[]; end: number[] }> = [];

async function measureNative(c: Case): Promise<void> {
  const one = await natives[0]!.run(c, 'full', JOBS);
  push(c, 'native_one', median(one.ms));
  const all = await Promise.all(natives.map((n) => n.run(c, 'full', JOBS)));
  push(c, 'native_all', Math.max(...all.map((r) => r.loop_ms)) / (WORKERS * JOBS));
  push(c, 'native_op', median((await natives[0]!.run(c, 'op', JOBS)).ms));
  push(c, 'native_decode', median((await natives[0]!.run(c, 'decode', JOBS)).ms));
  bytes.set(c.name, { ...(bytes.get(c.name) ?? { wasm: 0 }), native: one.bytes });
}
async function measureWasm(c: Case): Promise<void> {
  const job = jobOf(c);
  const one = await wasms[0]!.run(job, 'full', JOBS);
  push(c, 'wasm_one', median(one.ms));
  const all = await Promise.all(wasms.map((w) => w.run(job, 'full', JOBS)));
  push(c, 'wasm_all', Math.max(...all.map((r) => r.loop_ms)) / (WORKERS * JOBS));
  push(c, 'wasm_noprogress', median((await wasms[0]!.run(job, 'noprogress', JOBS)).ms));
  push(c, 'wasm_op', median((await wasms[0]!.run(job, 'op', JOBS)).ms));
  push(c, 'wasm_decode', median((await wasms[0]!.run(job, 'decode', JOBS)).ms));
  bytes.set(c.name, { ...(bytes.get(c.name) ?? { native: 0 }), wasm: one.bytes });
}

try {
  for (let round = 0; round < ROUNDS; round++) {
    const start = load();
    for (const c of CASES) {
      if (round % 2 === 0) {
        await measureNative(c);
        await measureWasm(c);
      } else {
        await measureWasm(c);
        await measureNative(c);
      }
      const s = series.get(c.name)!;
      push(c, 'ratio_per_core', s['native_one']!.at(-1)! / s['wasm_one']!.at(-1)!);
      push(c, 'ratio_aggregate', s['native_all']!.at(-1)! / s['wasm_all']!.at(-1)!);
    }
    roundLoad.push({ round, start, end: load() });
    console.log(`[bench:image] round ${round + 1}/${ROUNDS} done, load ${load().join(' ')}`);
  }
} finally {
  for (const n of natives) n.close();
  for (const w of wasms) w.close();
}

const summary = (xs: number[], round: (x: number) => number) => ({
  median: round(median(xs)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
});
const rows = CASES.map((c) => {
  const s = series.get(c.name)!;
  const m = (k: string) => median(s[k]!);
  const row = {
    case: c.name,
    wasm_ms_one_worker: summary(s['wasm_one']!, r1),
    wasm_ms_per_job_all_workers: summary(s['wasm_all']!, r1),
    native_ms_one_core: summary(s['native_one']!, r1),
    native_ms_per_job_all_cores: summary(s['native_all']!, r1),
    ratio_per_core: summary(s['ratio_per_core']!, r2),
    ratio_aggregate: summary(s['ratio_aggregate']!, r2),
    output_bytes: bytes.get(c.name),
    // One worker, medians over rounds: where each side's time goes.
    breakdown_ms: {
      wasm_decode: r1(m('wasm_decode')),
      wasm_decode_op: r1(m('wasm_op')),
      wasm_job_without_progress_callback: r1(m('wasm_noprogress')),
      wasm_job: r1(m('wasm_one')),
      native_decode: r1(m('native_decode')),
      native_decode_op: r1(m('native_op')),
      native_job: r1(m('native_one')),
    },
    samples_per_round: Object.fromEntries(
      Object.entries(s).map(([k, v]) => [k, v.map(k.startsWith('ratio') ? r2 : r1)]),
    ),
  };
  const b = row.breakdown_ms;
  console.log(
    `${c.name.padEnd(40)} wasm ${String(row.wasm_ms_one_worker.median).padStart(6)} ms (all ${row.wasm_ms_per_job_all_workers.median}/job)  ` +
      `native ${String(row.native_ms_one_core.median).padStart(6)} ms (all ${row.native_ms_per_job_all_cores.median}/job)  ` +
      `per core ${row.ratio_per_core.median}× [${row.ratio_per_core.min}–${row.ratio_per_core.max}]  ` +
      `aggregate ${row.ratio_aggregate.median}× [${row.ratio_aggregate.min}–${row.ratio_aggregate.max}]\n` +
      `${''.padEnd(40)} decode ${b.wasm_decode}/${b.native_decode}  +op ${b.wasm_decode_op}/${b.native_decode_op}  ` +
      `job ${b.wasm_job}/${b.native_job} (wasm without progress callback ${b.wasm_job_without_progress_callback})`,
  );
  return row;
});

const vipsVersion = spawnSync('vips', ['--version']).stdout.toString().trim();
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      bench: 'image',
      date: new Date().toISOString(),
      goals: { ratio_per_core: 0.35, ratio_aggregate: 1 },
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavg_at_start: loadAtStart,
        loadavg_at_end: load(),
        loadavg_per_round: roundLoad,
        node: process.version,
      },
      native: `${vipsVersion} (bench/image/native-bench.c, in-process, concurrency 1)`,
      wasm: 'wasm-vips 0.0.19 (libvips 8.18.7), concurrency 1 per worker thread',
      workers: WORKERS,
      rounds: ROUNDS,
      jobs_per_measurement: JOBS,
      results: rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`[bench:image] wrote ${resultsFile}`);
process.exit(0);
