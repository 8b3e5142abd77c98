/**
 * The GPU leg of `bench:pow`: the capsule's WGSL search through Dawn's Node bindings (npm
 * `webgpu`). Tries Vulkan (a real GPU), then OpenGL ES in compatibility mode (Mesa llvmpipe, a
 * CPU rasteriser: reported, but flagged `software`). Null when neither gives an adapter.
 */
import { create } from 'webgpu';
import { parseSearchParams } from '../../src/capsules/pow/job.ts';
import { GpuPowSearcher } from '../../src/capsules/pow/search-gpu.ts';

export interface DawnGpuResult {
  mhps: number;
  adapter: string;
  software: boolean;
  batch: number;
}

export async function measureDawnGpu(ms: number): Promise<DawnGpuResult | null> {
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  const attempts: [string[], GPURequestAdapterOptions][] = [
    [['backend=vulkan'], { powerPreference: 'high-performance' }],
    [['backend=opengles'], { featureLevel: 'compatibility' } as GPURequestAdapterOptions],
  ];
  for (const [flags, opts] of attempts) {
    const instance = create(flags);
    const adapter = await instance.requestAdapter(opts);
    if (!adapter) continue;
    const { vendor, architecture, device: dev, description } = adapter.info;
    const name = [vendor, architecture, dev, description].filter(Boolean).join(' / ');
    const software = /llvmpipe|swiftshader|lavapipe/i.test(name);
    const device = await adapter.requestDevice();
    const searcher = await GpuPowSearcher.create(device);
    const job = parseSearchParams({
      header: 'ab'.repeat(80),
      nonceStart: 0,
      count: 2 ** 32,
      target: '0'.repeat(63) + '1',
    });
    await searcher.search(job, { budgetMs: 500 });
    const t0 = performance.now();
    const r = await searcher.search(job, { budgetMs: ms });
    const mhps = r.hashes / ((performance.now() - t0) * 1e3);
    const batch = searcher.batchSize;
    searcher.destroy();
    device.destroy();
    void instance;
    return { mhps, adapter: name, software, batch };
  }
  return null;
}
