/**
 * A WebGPU device for the GPU tests from Dawn's Node bindings (npm `webgpu`): a real GPU over
 * Vulkan where there is one, else Mesa's llvmpipe through Dawn's OpenGL ES backend in
 * compatibility mode (EGL surfaceless; needs libEGL + Mesa, present wherever Chromium is). The
 * same shader and runner then also run in Chromium (SwiftShader or a GPU) in the e2e tests.
 * Returns null, and the GPU tests skip, where neither exists.
 */
import { create } from 'webgpu';

export interface TestGpu {
  /** Kept referenced: if Dawn's instance is garbage-collected under a live device, the process aborts. */
  instance: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  name: string;
  /** The adapter options that found this adapter (compatibility mode on OpenGL ES). */
  options: GPURequestAdapterOptions;
  /** Another device from a fresh adapter (an adapter gives one device only), e.g. to destroy. */
  newDevice(): Promise<GPUDevice>;
}

export async function testGpu(): Promise<TestGpu | null> {
  const attempts: [string[], GPURequestAdapterOptions][] = [
    [['backend=vulkan'], {}],
    [['backend=opengles'], { featureLevel: 'compatibility' } as GPURequestAdapterOptions],
  ];
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  for (const [flags, opts] of attempts) {
    try {
      const instance = create(flags);
      const adapter = await instance.requestAdapter(opts);
      if (!adapter) continue;
      const device = await adapter.requestDevice();
      const { vendor, device: dev, description } = adapter.info;
      const newDevice = async (): Promise<GPUDevice> => {
        const again = await instance.requestAdapter(opts);
        if (!again) throw new Error('the adapter went away');
        return again.requestDevice();
      };
      return {
        instance,
        adapter,
        device,
        newDevice,
        options: opts,
        name: [vendor, dev, description].filter(Boolean).join(' / '),
      };
    } catch {
      // Dawn missing or the backend failed to start: try the next one.
    }
  }
  return null;
}
