/**
 * The shader benchmark for a GPU machine without Node or network (bench/shader/pack-gpu.sh bundles
 * this file with esbuild and packs it beside node and Dawn's `webgpu` bindings): the shader capsule's
 * matmul through its own runner on Dawn over Vulkan, and the JS f32 matmul on one CPU core as the
 * same-run reference. Prints one JSON object; bench/shader/gpu-run.sh prints the CUDA figures beside it.
 * Arguments: matrix sizes (multiples of 16; 3 × n² × 4 bytes must stay within the capsule's 128 MiB).
 */
/// <reference types="@webgpu/types" />
import { dawnMatmul, jsMatmulGflops, type MatmulRow } from './dawn-matmul.ts';

interface DawnModule {
  create(flags: string[]): GPU;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 16 || n % 16 !== 0))
    throw new Error('give matrix sizes, each a multiple of 16 (e.g. 512 1024 2048)');
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  const gpu = dawn.create(['backend=vulkan']);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no Vulkan adapter');
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const info = adapter.info;
  const rows: MatmulRow[] = [];
  for (const n of sizes) rows.push(await dawnMatmul(device, n, 5));
  const js = jsMatmulGflops(256);
  console.log(
    JSON.stringify({
      adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / '),
      js_cpu_gflops_256: js,
      rows,
    }),
  );
  device.destroy();
  // Keep the instance referenced until the device is gone (a collected Dawn instance aborts).
  void gpu;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
