/**
 * A GPUDevice per worker for GPU capsules, created on first use and replaced after it is lost (a
 * watchdog's `destroy()`, a driver reset), so one hostile job costs the next job only a new device.
 */
/// <reference types="@webgpu/types" />

const COMPUTE_LIMITS = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;

export type GpuDeviceSource = () => Promise<GPUDevice | null>;

export function gpuDeviceProvider(
  gpu: () => GPU | undefined | Promise<GPU | undefined>,
  adapterOptions?: GPURequestAdapterOptions,
  log?: (msg: string) => void,
): GpuDeviceSource {
  let current: Promise<GPUDevice | null> | null = null;
  return () => {
    current ??= (async () => {
      try {
        const adapter = await (await gpu())?.requestAdapter(adapterOptions);
        if (!adapter) return null;
        // The compute limits the adapter really has (compatibility-mode defaults are as low as 128
        // invocations per workgroup, where a kernel written for WebGPU's 256 would be refused).
        const requiredLimits: Record<string, number> = {};
        for (const key of COMPUTE_LIMITS) requiredLimits[key] = adapter.limits[key];
        const device = await adapter.requestDevice({ requiredLimits });
        void device.lost.then((info) => {
          log?.(`GPU device lost (${info.reason}): ${info.message}; the next job gets a new one`);
          current = null;
        });
        return device;
      } catch (err) {
        log?.(`no WebGPU device: ${String(err)}`);
        current = null;
        return null;
      }
    })();
    return current;
  };
}
