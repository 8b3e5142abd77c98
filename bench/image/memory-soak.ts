/**
 * `npm run soak:image`: 1000 mixed image jobs through the real engine in Node (worker threads, the
 * shared arena, the engine's recycling: the image capsule registers libvips' memory and sets
 * limits.wasmHighWaterBytes = MEMORY_HIGH_WATER_BYTES), two jobs in flight, reporting the process RSS
 * (all worker threads' wasm memory included) and the workers recycled every 100 jobs.
 * Writes bench/results/image-memory.json. Inputs are made by the capsule (through the engine) from
 * seeded gradients (64-1600 px a side, jpeg/png/webp, some with alpha); ops are drawn from every
 * method. Not part of npm test. Env: SOAK_JOBS (1000), SEED, SOAK_WORKERS (2).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEMORY_HIGH_WATER_BYTES } from '../../src/capsules/image/index.ts';
import { startNodeEngine } from '../../src/cli/node-engine.ts';
import { prng } from '../../tests/unit/_prng.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JOBS = Number(process.env['SOAK_JOBS'] ?? 1000);
const SEED = Number(process.env['SEED'] ?? 0x50a4);
const WORKERS = Number(process.env['SOAK_WORKERS'] ?? 2);
// No preload: as in the extension, each worker (and each recycled one) loads wasm-vips on its first
// image job (capsule.ts `load`), so the soak also covers that path.
const node = startNodeEngine({ workers: WORKERS, storeDir: null });
await node.ready(120_000);
const rnd = prng(SEED);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

async function run(
  method: string,
  input: Uint8Array,
  params: object,
): Promise<{ ok: boolean; status: string; bytes: Uint8Array; error: string }> {
  const r = await node.engine.submit({ library: 'image', method, params: JSON.stringify(params), input });
  return { ok: r.status === 'ok', status: r.status, bytes: r.output, error: r.error };
}

async function makeInput(): Promise<Uint8Array> {
  const w = 64 + Math.floor(rnd() * 1536);
  const h = 64 + Math.floor(rnd() * 1536);
  const channels = rnd() < 0.2 ? 4 : 3;
  const px = new Uint8Array(w * h * channels);
  const a = rnd() * 7;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * channels;
      px[i] = (x * 255) / w;
      px[i + 1] = (y * 255) / h;
      px[i + 2] = 128 + 127 * Math.sin((x + y) / (5 + a));
      if (channels === 4) px[i + 3] = 200;
    }
  const format = pick(['jpeg', 'png', 'webp'] as const);
  return (await run('encode', px, { format, raw: { width: w, height: h, channels } })).bytes;
}

const OPS: ReadonlyArray<() => [string, object]> = [
  () => [
    'resize',
    {
      width: 32 + Math.floor(rnd() * 800),
      filter: pick(['Lanczos3', 'Triangle', 'CatmullRom', 'Gaussian', 'Nearest']),
    },
  ],
  () => ['crop', { x: 0, y: 0, width: 32, height: 32 }],
  () => ['blur', { sigma: 0.5 + rnd() * 4 }],
  () => ['brighten', { amount: Math.floor(rnd() * 100) - 50 }],
  () => ['contrast', { amount: Math.floor(rnd() * 100) - 50 }],
  () => [pick(['grayscale', 'rotate90', 'rotate180', 'rotate270', 'fliph', 'flipv', 'invert']), {}],
  () => ['encode', { format: pick(['jpeg', 'png', 'webp']) }],
  () => ['encode', { format: 'avif', quality: 50 }],
  () => ['info', {}],
  () => ['decode', {}],
  () => [
    'batch',
    {
      operations: [{ method: 'resize', width: 200 }, { method: 'grayscale' }, { method: 'blur', sigma: 1 }],
      format: 'webp',
    },
  ],
];

const MiB = 1 << 20;
const rss = () => Math.round(process.memoryUsage().rss / MiB);
const samples: Array<{ jobs: number; rssMiB: number; recycled: number; failed: number }> = [];
const inputs: Uint8Array[] = [];
for (let i = 0; i < 24; i++) inputs.push(await makeInput());
const statuses: Record<string, number> = {};
let failed = 0;
const errors: Record<string, number> = {};
let maxRss = rss();
let done = 0;
const t0 = performance.now();
const sample = () => {
  const s = { jobs: done, rssMiB: rss(), recycled: node.engine.recycled, failed };
  samples.push(s);
  console.log(
    `[soak:image] after ${done} jobs: rss ${s.rssMiB} MiB, workers recycled ${s.recycled}, failed ${failed}`,
  );
};
sample();
const jobs = Array.from({ length: JOBS }, () => [pick(OPS)(), pick(inputs)] as const);
let next = 0;
await Promise.all(
  Array.from({ length: WORKERS }, async () => {
    while (next < jobs.length) {
      const [[method, params], input] = jobs[next++]!;
      // AVIF output is limited to 4 MP; those refusals (badInput) are expected answers, not failures.
      const r = await run(method, input, params);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (!r.ok && r.status !== 'badInput') {
        failed++;
        // What failed and why, grouped by message (sizes and ms stripped) so a cause can be traced.
        const key = `${r.status} ${method}: ${r.error.replace(/\d+/g, 'N').slice(0, 160)}`;
        errors[key] = (errors[key] ?? 0) + 1;
        console.log(`[soak:image] job ${done}: ${r.status} ${method} ${JSON.stringify(params)}: ${r.error}`);
      }
      maxRss = Math.max(maxRss, rss());
      if (++done % 100 === 0) sample();
    }
  }),
);
const result = {
  bench: 'image-memory',
  date: new Date().toISOString(),
  mode: `engine, ${WORKERS} worker threads, wasm-vips loaded on each worker's first image job`,
  seed: SEED,
  jobs: JOBS,
  seconds: Math.round((performance.now() - t0) / 1000),
  loadavg: loadavg().map((v) => +v.toFixed(1)),
  high_water_mib: MEMORY_HIGH_WATER_BYTES / MiB,
  workers_recycled: node.engine.recycled,
  max_rss_mib: maxRss,
  statuses,
  failed_jobs: failed,
  errors,
  samples,
};
await node.dispose();
writeFileSync(join(root, 'bench', 'results', 'image-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`[soak:image] ${JSON.stringify({ ...result, samples: undefined })}`);
process.exit(0);
