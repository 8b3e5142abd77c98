/**
 * `npm run bench:shader`: GFLOP/s of the shader capsule's tiled f32 matmul
 *  - in Node through Dawn (npm webgpu: Vulkan, or llvmpipe over OpenGL ES on a GPU-less machine), the
 *    capsule's runner directly (dawn-matmul.ts);
 *  - in Chromium (the test build's self-test page: a `shader.execute` job on a pool Worker, WebGPU in
 *    the Worker: SwiftShader under --enable-unsafe-webgpu where there is no GPU), job round trip;
 *  - against a plain JS f32 matmul on one core in the same run (the ratio is the comparable figure).
 * Writes bench/results/shader.json (keeping its other keys, e.g. an H100 section).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import type { SelfTestGlobal } from '../../src/selftest/index.ts';
import { nodeGpuDevices } from '../../src/cli/node-gpu.ts';
import { dawnMatmul, jsMatmulGflops, type MatmulRow } from './dawn-matmul.ts';

/** Chromium (SwiftShader) sizes; Dawn on llvmpipe is ~10× slower, so it runs the smaller ones. */
const SIZES = [256, 512, 1024];
const DAWN_SIZES = [256, 512];
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'shader.json');

async function main(): Promise<void> {
  const load0 = loadavg()[0] ?? 0;
  const js = Object.fromEntries(SIZES.map((n) => [n, jsMatmulGflops(n)]));
  console.log('JS f32 matmul, one core (GFLOP/s):', js);

  const device = await nodeGpuDevices((m) => console.warn(m))();
  const dawn: MatmulRow[] = [];
  let adapter = 'none';
  if (device) {
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    adapter = info ? [info.vendor, info.device, info.description].filter(Boolean).join(' / ') : 'unknown';
    for (const n of DAWN_SIZES) dawn.push(await dawnMatmul(device, n));
    console.table(dawn);
  } else console.warn('no Dawn adapter: the Node section is empty');

  const launched = await launchWithExtension({ headless: true, extensionDir: TEST_EXTENSION_DIR });
  const chromium: Record<string, unknown>[] = [];
  try {
    const page = await launched.context.newPage();
    await page.goto(`chrome-extension://${launched.extensionId}/selftest.html`);
    await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
    for (const n of SIZES) {
      const r = await page.evaluate(
        (size) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.shaderMatmul(size, 3),
        n,
      );
      chromium.push({ ...r, ms: Math.round(r.ms * 10) / 10, gflops: Math.round(r.gflops * 100) / 100 });
    }
    console.table(chromium);
  } finally {
    await launched.close();
  }

  const ratio = (g: number, n: number) => Math.round((g / js[n]!) * 100) / 100;
  const out = {
    ...(existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {}),
    local: {
      js_cpu_gflops: js,
      dawn_node: { adapter, rows: dawn.map((r) => ({ ...r, job_vs_js: ratio(r.job_gflops, r.n) })) },
      chromium_worker: chromium.map((r) => ({ ...r, vs_js: ratio(r['gflops'] as number, r['n'] as number) })),
      meta: {
        date: new Date().toISOString(),
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        loadavg_1m_before_after: [load0, loadavg()[0] ?? 0],
        kernel: 'src/capsules/shader/kernels.ts MATMUL_WGSL: 16×16 tiles in workgroup memory, f32',
        note: 'shared, noisy 2-core VM; compare ratios within this run',
      },
    },
  };
  writeFileSync(RESULTS, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${RESULTS}`);
}

await main();
