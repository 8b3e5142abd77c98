/**
 * Standalone GPU benchmark of the proof-of-work WGSL shader outside the browser, through Dawn's
 * Node bindings (npm `webgpu`): the same `GpuPowSearcher` and shader the extension runs.
 * Bundle to one ESM file and pack for a GPU machine (see docs/PERFORMANCE.md):
 *   npx esbuild bench/pow/bench-gpu-dawn.ts --bundle --platform=node --format=esm --external:webgpu --outfile=/tmp/pow-bench-gpu.mjs
 *   bash ../shared/gpu/pack.sh /tmp/pow-bench-gpu.mjs .gpu   # (pack.sh empties .gpu first)
 *   then on the GPU machine: bash .gpu/run.sh
 * Locally (no GPU): EGL_PLATFORM=surfaceless node /tmp/pow-bench-gpu.mjs backend=opengles
 * Arguments containing '=' are Dawn flags (default backend=vulkan); `--quick` measures one config.
 * Prints one JSON line per measurement and a final {"gpu_summary": ...} line.
 */
import { create } from 'webgpu';
import { sha256 } from '@noble/hashes/sha2.js';
// Module by module rather than through index.ts, which also pulls in the engine adapter (zod).
import { bytesToHex, withNonce } from '../../src/capsules/pow/header.ts';
import { parseSearchParams } from '../../src/capsules/pow/job.ts';
import { GpuPowSearcher } from '../../src/capsules/pow/search-gpu.ts';
import { DEFAULT_SHADER_OPTIONS, type ShaderOptions } from '../../src/capsules/pow/shader.wgsl.ts';
import { digestDisplayHex, HeaderHasher } from '../../src/capsules/pow/dsha256.ts';
import { BLOCK_VECTORS } from '../../src/capsules/pow/vectors.ts';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.includes('='));
const quick = args.includes('--quick');
const seconds = Number(process.env['POW_GPU_SECONDS'] ?? 2);
if (flags.some((f) => f.startsWith('backend=open'))) process.env['EGL_PLATFORM'] ??= 'surfaceless';

const gpu = create(flags.length ? flags : ['backend=vulkan']);
const compat = flags.some((f) => f.startsWith('backend=open'));
const adapter = await gpu.requestAdapter(
  compat
    ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions)
    : { powerPreference: 'high-performance' },
);
if (!adapter) {
  console.log(JSON.stringify({ gpu_summary: { error: 'no WebGPU adapter' } }));
  process.exit(2);
}
const info = adapter.info;
const adapterName = [info.vendor, info.architecture, info.device, info.description]
  .filter(Boolean)
  .join(' / ');
const device = await adapter.requestDevice({
  requiredLimits: {
    maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
  },
});
device.addEventListener('uncapturederror', (e) =>
  console.log(JSON.stringify({ gpu_error: (e as GPUUncapturedErrorEvent).error.message })),
);
console.log(
  JSON.stringify({ adapter: adapterName, limits: { wg: device.limits.maxComputeInvocationsPerWorkgroup } }),
);

/** Correctness first: real block headers (nonce zeroed, a window around the real nonce) and a random header vs @noble/hashes. */
async function checkCorrectness(s: GpuPowSearcher): Promise<boolean> {
  let ok = true;
  for (const v of BLOCK_VECTORS) {
    const zeroed = bytesToHex(withNonce(Uint8Array.from(Buffer.from(v.header, 'hex')), 0));
    const start = Math.max(0, v.nonce - 3000);
    const r = await s.search(
      parseSearchParams({ header: zeroed, nonceStart: start, count: 6000, bits: v.bits }),
    );
    const pass = r.found && r.nonce === v.nonce && r.hash === v.hash;
    ok &&= pass;
    console.log(JSON.stringify({ check: `block ${v.height}`, pass, nonce: r.nonce }));
  }
  const hdr = new Uint8Array(80).map((_, i) => (i * 131 + 7) & 255);
  const r = await s.search(
    parseSearchParams({ header: bytesToHex(hdr), nonceStart: 0, count: 50_000_000, bits: 0x1e00ffff }),
  );
  const ref =
    r.nonce === null
      ? ''
      : Buffer.from(sha256(sha256(withNonce(hdr, r.nonce))))
          .reverse()
          .toString('hex');
  const own = r.nonce === null ? '' : digestDisplayHex(new HeaderHasher(hdr).hashNonce(r.nonce));
  const pass = r.found && ref === r.hash && own === r.hash;
  ok &&= pass;
  console.log(
    JSON.stringify({ check: 'random header vs @noble/hashes', pass, nonce: r.nonce, hash: r.hash }),
  );
  return ok;
}

/** Throughput: a target no hash meets in practice (top word 0, i.e. 2^-32 candidates), for `seconds`. */
async function measure(s: GpuPowSearcher, budgetMs: number): Promise<number> {
  const job = parseSearchParams({
    header: 'ab'.repeat(80),
    nonceStart: 0,
    count: 2 ** 32,
    target: '0'.repeat(63) + '1',
  });
  await s.search(job, { budgetMs: 300 }); // warm-up: grow the batch to its steady size
  const t0 = performance.now();
  const r = await s.search(job, { budgetMs });
  return r.hashes / ((performance.now() - t0) * 1e3);
}

// The default first (it also runs the correctness checks), then a small sweep around it.
const configs: Partial<ShaderOptions>[] = quick
  ? [DEFAULT_SHADER_OPTIONS]
  : [
      DEFAULT_SHADER_OPTIONS,
      { workgroupSize: 256, noncesPerInvocation: 16 },
      { workgroupSize: 64, noncesPerInvocation: 16 },
      { workgroupSize: 128, noncesPerInvocation: 4 },
      { workgroupSize: 128, noncesPerInvocation: 64 },
    ];

let best = { mhps: 0, config: configs[0]!, batchMs: 40, batch: 0 };
let correct = true;
for (const [i, config] of configs.entries()) {
  const t0 = performance.now();
  const s = await GpuPowSearcher.create(device, config);
  const compileMs = Math.round(performance.now() - t0);
  if (i === 0) correct = await checkCorrectness(s);
  const mhps = await measure(s, seconds * 1000);
  console.log(
    JSON.stringify({
      config,
      compile_ms: compileMs,
      batch_ms: 40,
      mhps: Math.round(mhps),
      batch: s.batchSize,
    }),
  );
  if (mhps > best.mhps) best = { mhps, config, batchMs: 40, batch: s.batchSize };
  s.destroy();
}
// The best config with 200 ms batches: how much the 40 ms batch cadence (readback per batch) costs.
const big = await GpuPowSearcher.create(device, { ...best.config, batchMs: 200 });
const bigMhps = await measure(big, seconds * 1000);
console.log(
  JSON.stringify({ config: best.config, batch_ms: 200, mhps: Math.round(bigMhps), batch: big.batchSize }),
);
console.log(
  JSON.stringify({
    gpu_summary: {
      gpu_adapter: adapterName,
      gpu_mhps: Math.round(best.mhps),
      config: best.config,
      batch_ms: 40,
      batch_nonces: best.batch,
      gpu_mhps_200ms_batches: Math.round(bigMhps),
      correct,
    },
  }),
);
process.exit(correct ? 0 : 1);
