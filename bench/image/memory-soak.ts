/**
 * `npm run soak:image`: 1000 mixed image jobs in one thread (the capsule in-process, as one pool
 * worker runs them), reporting libvips' wasm memory and the process RSS every 100 jobs, and whether
 * the recycle mark (MEMORY_HIGH_WATER_BYTES) was passed. Writes bench/results/image-memory.json.
 * Inputs are made by the capsule itself from seeded gradients (64-1600 px a side, jpeg/png/webp, some
 * with alpha); ops are drawn from every method. Not part of npm test. Env: SOAK_JOBS (1000), SEED.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobContext } from '../../src/capsules/capsule.ts';
import {
  imageCapsule,
  MEMORY_HIGH_WATER_BYTES,
  setVipsLoader,
  vipsMemoryBytes,
  vipsNeedsRecycle,
} from '../../src/capsules/image/index.ts';
import { nodeVipsLoader } from '../../src/capsules/image/vips-node.ts';
import { prng } from '../../tests/unit/_prng.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const JOBS = Number(process.env['SOAK_JOBS'] ?? 1000);
const SEED = Number(process.env['SEED'] ?? 0x50a4);
setVipsLoader(nodeVipsLoader);
const rnd = prng(SEED);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

async function run(
  method: string,
  input: Uint8Array,
  params: object,
): Promise<{ ok: boolean; bytes: Uint8Array }> {
  const m = imageCapsule.methods[method]!;
  let out = new Uint8Array(0);
  const ctx: JobContext = {
    input,
    output: (n) => (out = new Uint8Array(n)),
    checkpoint() {},
    costSoFar: 0,
    services: {},
  };
  try {
    const r = await m.run(ctx, m.params.parse(params));
    return { ok: true, bytes: r ?? out };
  } catch {
    return { ok: false, bytes: out };
  }
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
const samples: Array<{ jobs: number; wasmMiB: number; rssMiB: number; failed: number }> = [];
const inputs: Uint8Array[] = [];
for (let i = 0; i < 24; i++) inputs.push(await makeInput());
let failed = 0;
let maxWasm = 0;
const t0 = performance.now();
for (let j = 0; j <= JOBS; j++) {
  if (j % 100 === 0) {
    const s = {
      jobs: j,
      wasmMiB: vipsMemoryBytes() / MiB,
      rssMiB: Math.round(process.memoryUsage().rss / MiB),
      failed,
    };
    samples.push(s);
    console.log(`[soak:image] after ${j} jobs: wasm ${s.wasmMiB} MiB, rss ${s.rssMiB} MiB, failed ${failed}`);
  }
  if (j === JOBS) break;
  const [method, params] = pick(OPS)();
  const input = pick(inputs);
  // AVIF output is limited to 4 MP; those refusals are expected answers, not failures.
  const r = await run(method, input, params);
  if (!r.ok) failed++;
  maxWasm = Math.max(maxWasm, vipsMemoryBytes());
}
const result = {
  bench: 'image-memory',
  date: new Date().toISOString(),
  seed: SEED,
  jobs: JOBS,
  seconds: Math.round((performance.now() - t0) / 1000),
  high_water_mib: MEMORY_HIGH_WATER_BYTES / MiB,
  max_wasm_mib: maxWasm / MiB,
  passed_high_water: vipsNeedsRecycle(),
  failed_jobs: failed,
  samples,
};
writeFileSync(join(root, 'bench', 'results', 'image-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`[soak:image] ${JSON.stringify({ ...result, samples: undefined })}`);
process.exit(0);
