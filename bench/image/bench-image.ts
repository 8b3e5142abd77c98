/**
 * `npm run bench:image`: the image capsule through the real engine in Node (worker threads, the shared
 * arena), against native libvips (Debian's `vips` CLI) measured in this same run, written to
 * bench/results/image.json.
 *
 *  - input: a 12-megapixel JPEG (4000×3000 ImageMagick plasma, q92) made here, and a 2-megapixel crop
 *    of it for the single operations;
 *  - pipeline: JPEG → Lanczos3 to 1/4 (1000×750) → JPEG q80; single ops: decode → op → JPEG q80;
 *  - wasm, one worker: the capsule in this thread, one job at a time (NOT through the engine: there
 *    a 12 MP pipeline is a single wasm call longer than the engine's 3 s heartbeat window on a busy
 *    machine, and the watchdog replaces the worker). wasm all workers: not measured, for that reason;
 *  - native: `vips` with --vips-concurrency=1, one process per run; its start-up cost (the same command
 *    on a 16×16 JPEG) is measured too and subtracted for the per-core ratio, so both sides count the
 *    work, not process start. All workers: one process per core at once;
 *  - each figure is the median of ROUNDS samples after one warm-up. Native is libvips 8.14 (Debian),
 *    wasm-vips is libvips 8.18.7: same library, not the same version.
 *
 * ratio_per_core = native_ms / wasm_ms (goal ≥ 0.35); ratio_aggregate = wasm all-workers throughput /
 * native all-cores throughput (goal ≥ 1, as the issue asks; only reachable with more workers than
 * native uses cores).
 *
 * Env: IMAGE_BENCH_ROUNDS (default 5).
 */
import { spawn, spawnSync } from 'node:child_process';
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
const WORKERS = availableParallelism();

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString() ?? r.error}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One native command's wall time, ms. */
function nativeOnce(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('vips', [...args, '--vips-concurrency=1'], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t) : reject(new Error(`vips ${args.join(' ')} → ${code}`)),
    );
  });
}

interface Case {
  name: string;
  input: string;
  method: string;
  params: object;
  native: (input: string, out: string) => string[];
}

mkdirSync(work, { recursive: true });
const big = join(work, 'big-12mp.jpg');
const mid = join(work, 'mid-2mp.jpg');
const tiny = join(work, 'tiny.jpg');
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
if (!existsSync(tiny)) sh('convert', ['-size', '16x16', 'xc:gray', tiny]);

const J = (o: string) => `${o}[Q=80]`;
const CASES: Case[] = [
  {
    name: 'pipeline_12mp_lanczos3_quarter_jpeg_q80',
    input: big,
    method: 'resize',
    params: { width: 1000, height: 750, filter: 'Lanczos3', format: 'jpeg', quality: 80 },
    native: (i, o) => ['resize', i, J(o), '0.25', '--kernel', 'lanczos3'],
  },
  {
    name: 'rotate90_2mp',
    input: mid,
    method: 'rotate90',
    params: { format: 'jpeg', quality: 80 },
    native: (i, o) => ['rot', i, J(o), 'd90'],
  },
  {
    name: 'fliph_2mp',
    input: mid,
    method: 'fliph',
    params: { format: 'jpeg', quality: 80 },
    native: (i, o) => ['flip', i, J(o), 'horizontal'],
  },
  {
    name: 'invert_2mp',
    input: mid,
    method: 'invert',
    params: { format: 'jpeg', quality: 80 },
    native: (i, o) => ['invert', i, J(o)],
  },
  {
    name: 'grayscale_2mp',
    input: mid,
    method: 'grayscale',
    params: { format: 'jpeg', quality: 80 },
    native: (i, o) => ['colourspace', i, J(o), 'b-w'],
  },
  {
    name: 'blur_sigma2_2mp',
    input: mid,
    method: 'blur',
    params: { sigma: 2, format: 'jpeg', quality: 80 },
    native: (i, o) => ['gaussblur', i, J(o), '2'],
  },
  {
    name: 'encode_webp_q80_2mp',
    input: mid,
    method: 'encode',
    params: { format: 'webp', quality: 80 },
    native: (i, o) => ['copy', i, `${o.replace(/\.jpg$/, '.webp')}[Q=80]`],
  },
  {
    name: 'encode_png_2mp',
    input: mid,
    method: 'encode',
    params: { format: 'png' },
    native: (i, o) => ['copy', i, `${o.replace(/\.jpg$/, '.png')}[compression=6]`],
  },
];

const out = join(work, 'out.jpg');
const startupMs = await (async () => {
  await nativeOnce(['copy', tiny, J(out)]);
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(await nativeOnce(['copy', tiny, J(out)]));
  return median(xs);
})();

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
try {
  for (const c of CASES) {
    const input = new Uint8Array(readFileSync(c.input));
    const args = c.native(c.input, out);
    await nativeOnce(args);
    const native1: number[] = [];
    for (let i = 0; i < ROUNDS; i++) native1.push(await nativeOnce(args));
    const nativeAll: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await Promise.all(
        Array.from({ length: WORKERS }, (_, k) => nativeOnce(c.native(c.input, join(work, `o${k}.jpg`)))),
      );
      nativeAll.push((performance.now() - t) / WORKERS);
    }
    // In-process, one thread (see the header): through the engine, a 12 MP pipeline is one wasm call
    // longer than the 3 s heartbeat window on a busy machine, and its worker is replaced.

    await runInProcess(c, input);
    const wasm1: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await runInProcess(c, input);
      wasm1.push(performance.now() - t);
    }
    const n1 = median(native1);
    const nWork = Math.max(1, n1 - startupMs);
    const w1 = median(wasm1);
    const row = {
      case: c.name,
      wasm_ms_one_worker: Math.round(w1),
      wasm_ms_per_job_all_workers: null,
      native_ms_one_core_process: Math.round(n1),
      native_ms_one_core_minus_startup: Math.round(nWork),
      native_ms_per_job_all_cores: Math.round(median(nativeAll)),
      ratio_per_core: +(nWork / w1).toFixed(2),
      ratio_per_core_incl_native_startup: +(n1 / w1).toFixed(2),
      ratio_aggregate: null,

      samples: {
        wasm1: wasm1.map(Math.round),
        native1: native1.map(Math.round),
        nativeAll: nativeAll.map(Math.round),
      },
    };
    rows.push(row);
    console.log(
      `${c.name.padEnd(42)} wasm ${String(row.wasm_ms_one_worker).padStart(5)} ms (all ${row.wasm_ms_per_job_all_workers}/job)  ` +
        `native ${String(row.native_ms_one_core_minus_startup).padStart(5)} ms (+${Math.round(startupMs)} start; all ${row.native_ms_per_job_all_cores}/job)  ` +
        `per core ${row.ratio_per_core}×  aggregate ${row.ratio_aggregate}×`,
    );
  }
} finally {
  // nothing to dispose: the capsule ran in this thread
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
        loadavg_at_end: loadavg().map((v) => +v.toFixed(1)),
        node: process.version,
      },
      native: vipsVersion,
      wasm: 'wasm-vips 0.0.19 (libvips 8.18.7), concurrency 1 per worker',
      workers: WORKERS,
      rounds: ROUNDS,
      native_startup_ms: Math.round(startupMs),
      results: rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`[bench:image] wrote ${resultsFile}`);
