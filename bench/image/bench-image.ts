/**
 * `npm run bench:image`: the image capsule (wasm-vips 0.0.19 = libvips 8.18.7 in WebAssembly) against
 * native libvips (Debian's 8.14, through bench/image/native-bench.c compiled here against
 * libvips-dev) on the same jobs, measured in this same run; writes bench/results/image.json.
 *
 *  - input: a 12-megapixel JPEG (4000×3000 ImageMagick plasma, q92) made here, and a 2-megapixel crop
 *    of it for the single operations;
 *  - pipeline: JPEG → Lanczos3 to 1/4 (1000×750, gap 0 on both sides: a true separable filter) →
 *    JPEG q80; single ops: decode → op → JPEG q80 (encode cases: → WebP q80 / PNG);
 *  - both sides decode from memory and encode to memory inside one long-lived process/thread at
 *    libvips concurrency 1 with the operation cache off, so neither figure contains process start-up
 *    or module loading (the old CLI-based native side was mostly `vips` start-up: ~2 s here);
 *  - one worker: median of ROUNDS jobs after one warm-up (wasm: in this thread, as a pool worker
 *    runs it, not through the engine, whose 3 s heartbeat a 12 MP single wasm call can outlast on a
 *    busy machine); all workers: WORKERS wasm threads (Node worker_threads, each its own wasm-vips) /
 *    WORKERS native processes started together, each running ROUNDS jobs; per-job figure = slowest
 *    loop / (WORKERS × ROUNDS);
 *  - ratio_per_core = native_ms / wasm_ms (goal ≥ 0.35); ratio_aggregate = native all-cores per-job /
 *    wasm all-workers per-job (goal ≥ 1).
 *
 * Env: IMAGE_BENCH_ROUNDS (default 5), IMAGE_BENCH_WORKERS (default: available parallelism).
 */
import { spawn, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobContext } from '../../src/capsules/capsule.ts';
import { imageCapsule, setVipsLoader } from '../../src/capsules/image/index.ts';
import { nodeVipsLoader } from '../../src/capsules/image/vips-node.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(root, '.tmp', 'bench-image');
const resultsFile = join(root, 'bench', 'results', 'image.json');
const ROUNDS = Math.max(1, Number(process.env['IMAGE_BENCH_ROUNDS'] ?? 5));
const WORKERS = Math.max(1, Number(process.env['IMAGE_BENCH_WORKERS'] ?? availableParallelism()));

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString() ?? r.error}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

interface NativeRun {
  ms: number[];
  loop_ms: number;
}

/** One native process: ROUNDS jobs of a case after a warm-up, timed inside the process. */
function nativeRun(bin: string, c: Case): Promise<NativeRun> {
  return new Promise((resolve, reject) => {
    let out = '';
    const p = spawn(bin, [c.name, c.input, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as NativeRun)
        : reject(new Error(`native-bench ${c.name} → ${code}`)),
    );
  });
}

/** WORKERS wasm threads, each with its own wasm-vips, loaded before any timing. */
async function startWasmWorkers(): Promise<Worker[]> {
  const url = new URL('./_wasm-worker.ts', import.meta.url);
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  const ws = Array.from({ length: WORKERS }, () => new Worker(boot, { eval: true }));
  await Promise.all(ws.map((w) => reply(w)));
  return ws;
}
function reply<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (err: Error) => {
      w.off('message', onMessage);
      reject(err);
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}

interface Case {
  name: string;
  input: string;
  method: string;
  params: object;
}

const loadAtStart = loadavg().map((v) => +v.toFixed(1));
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

const CASES: Case[] = [
  {
    name: 'pipeline_12mp_lanczos3_quarter_jpeg_q80',
    input: big,
    method: 'resize',
    params: { width: 1000, height: 750, filter: 'Lanczos3', format: 'jpeg', quality: 80 },
  },
  {
    name: 'rotate90_2mp',
    input: mid,
    method: 'rotate90',
    params: { format: 'jpeg', quality: 80 },
  },
  {
    name: 'fliph_2mp',
    input: mid,
    method: 'fliph',
    params: { format: 'jpeg', quality: 80 },
  },
  {
    name: 'invert_2mp',
    input: mid,
    method: 'invert',
    params: { format: 'jpeg', quality: 80 },
  },
  {
    name: 'grayscale_2mp',
    input: mid,
    method: 'grayscale',
    params: { format: 'jpeg', quality: 80 },
  },
  {
    name: 'blur_sigma2_2mp',
    input: mid,
    method: 'blur',
    params: { sigma: 2, format: 'jpeg', quality: 80 },
  },
  {
    name: 'encode_webp_q80_2mp',
    input: mid,
    method: 'encode',
    params: { format: 'webp', quality: 80 },
  },
  {
    name: 'encode_png_2mp',
    input: mid,
    method: 'encode',
    params: { format: 'png' },
  },
];

const nativeBin = buildNative();

setVipsLoader(nodeVipsLoader);
async function runInProcess(c: Case, input: Uint8Array): Promise<void> {
  const m = imageCapsule.methods[c.method]!;
  const ctx: JobContext = {
    input,
    output: (n) => new Uint8Array(n),
    checkpoint() {},
    costSoFar: 0,
    services: {},
  };
  await m.run(ctx, m.params.parse(c.params));
}

const rows: Record<string, unknown>[] = [];
const wasmWorkers = await startWasmWorkers();
try {
  for (const c of CASES) {
    const input = new Uint8Array(readFileSync(c.input));
    const native1 = (await nativeRun(nativeBin, c)).ms;
    const nativeAll = await Promise.all(Array.from({ length: WORKERS }, () => nativeRun(nativeBin, c)));
    const nativeAllPerJob = Math.max(...nativeAll.map((r) => r.loop_ms)) / (WORKERS * ROUNDS);

    await runInProcess(c, input);
    const wasm1: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await runInProcess(c, input);
      wasm1.push(performance.now() - t);
    }
    for (const w of wasmWorkers)
      w.postMessage({ kind: 'warm', job: { method: c.method, params: c.params, input, rounds: ROUNDS } });
    await Promise.all(wasmWorkers.map((w) => reply(w)));
    for (const w of wasmWorkers) w.postMessage({ kind: 'go' });
    const wasmLoops = await Promise.all(wasmWorkers.map((w) => reply<number>(w)));
    const wasmAllPerJob = Math.max(...wasmLoops) / (WORKERS * ROUNDS);

    const n1 = median(native1);
    const w1 = median(wasm1);
    const row = {
      case: c.name,
      wasm_ms_one_worker: Math.round(w1),
      wasm_ms_per_job_all_workers: Math.round(wasmAllPerJob),
      native_ms_one_core: Math.round(n1),
      native_ms_per_job_all_cores: Math.round(nativeAllPerJob),
      ratio_per_core: +(n1 / w1).toFixed(2),
      ratio_aggregate: +(nativeAllPerJob / wasmAllPerJob).toFixed(2),
      samples: {
        wasm1: wasm1.map(Math.round),
        native1: native1.map(Math.round),
        wasm_all_loops_ms: wasmLoops.map(Math.round),
        native_all_loops_ms: nativeAll.map((r) => Math.round(r.loop_ms)),
      },
    };
    rows.push(row);
    console.log(
      `${c.name.padEnd(42)} wasm ${String(row.wasm_ms_one_worker).padStart(5)} ms (all ${row.wasm_ms_per_job_all_workers}/job)  ` +
        `native ${String(row.native_ms_one_core).padStart(5)} ms (all ${row.native_ms_per_job_all_cores}/job)  ` +
        `per core ${row.ratio_per_core}×  aggregate ${row.ratio_aggregate}×`,
    );
  }
} finally {
  for (const w of wasmWorkers) w.postMessage({ kind: 'exit' });
}

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
        loadavg_at_end: loadavg().map((v) => +v.toFixed(1)),
        node: process.version,
      },
      native: `${vipsVersion} (bench/image/native-bench.c, in-process, concurrency 1)`,
      wasm: 'wasm-vips 0.0.19 (libvips 8.18.7), concurrency 1 per worker',
      workers: WORKERS,
      rounds: ROUNDS,
      results: rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`[bench:image] wrote ${resultsFile}`);
