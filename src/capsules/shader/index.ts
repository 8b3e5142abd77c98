/**
 * Capsule `shader`: requester WGSL compute jobs on the GPU (see capsule.ts), with the loop guards,
 * the reflection checks, the device provider hosts use, the quorum's output comparison and the
 * known-answer kernels.
 */
export { shaderCapsule, NoGpuError } from './capsule.ts';
export { compareShaderOutputs, type Agreement } from './compare.ts';
export { gpuDeviceProvider, type GpuDeviceSource } from './device.ts';
export { guardLoops, blankComments } from './guard.ts';
export {
  executeParams,
  compileParams,
  SHADER_LIMITS,
  type ExecuteParams,
  type BufferSpec,
  type OutputSpec,
} from './params.ts';
export {
  reflectShader,
  planPasses,
  DEFAULT_LIMITS,
  type Reflection,
  type DispatchLimits,
} from './reflect.ts';
export { runOnDevice, compileOnDevice, GpuLostError, type RunReport } from './run-gpu.ts';
export { vectorAddJob, prefixSumJob, matmulJob, type KernelJob } from './kernels.ts';
