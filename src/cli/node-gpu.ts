/**
 * WebGPU for the CLI's worker threads: Dawn's Node bindings (npm `webgpu`), tried over Vulkan first,
 * then over OpenGL ES in compatibility mode (Mesa's llvmpipe where there is no GPU; EGL surfaceless).
 * Loaded on the first GPU job only, so `inos run crypto …` never loads Dawn; null where Dawn or
 * both backends are missing (the shader capsule then fails the job with a clear error).
 */
/// <reference types="@webgpu/types" />
import { gpuDeviceProvider, type GpuDeviceSource } from '../capsules/shader/device.ts';

interface DawnModule {
  create(flags: string[]): GPU;
}

/** Dawn instances must stay referenced while their devices live (a collected instance aborts). */
const instances: GPU[] = [];

export function nodeGpuDevices(log?: (msg: string) => void): GpuDeviceSource {
  let chosen: Promise<GpuDeviceSource | null> | null = null;
  const choose = async (): Promise<GpuDeviceSource | null> => {
    let dawn: DawnModule;
    try {
      dawn = (await import('webgpu')) as unknown as DawnModule;
    } catch (err) {
      log?.(`WebGPU for Node (npm webgpu) is not installed: ${String(err)}`);
      return null;
    }
    process.env['EGL_PLATFORM'] ??= 'surfaceless';
    const attempts: [string[], GPURequestAdapterOptions][] = [
      [['backend=vulkan'], {}],
      [['backend=opengles'], { featureLevel: 'compatibility' } as GPURequestAdapterOptions],
    ];
    for (const [flags, options] of attempts) {
      try {
        const instance = dawn.create(flags);
        if (!(await instance.requestAdapter(options))) continue;
        instances.push(instance);
        return gpuDeviceProvider(() => instance, options, log);
      } catch {
        // This backend did not start: try the next.
      }
    }
    return null;
  };
  return async () => {
    chosen ??= choose();
    const source = await chosen;
    return source ? source() : null;
  };
}
