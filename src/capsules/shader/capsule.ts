/**
 * The `shader` capsule (the design's "compute" capsule): requester WGSL on the contributor's GPU.
 *  - `execute`: reflect and validate (reflect.ts), guard loops (guard.ts), run pass by pass in
 *    submissions of ≤ 1 s (run-gpu.ts); output = the `read` buffers, concatenated.
 *  - `compile`: the same checks and the GPU compiler's messages, as a JSON report; runs nothing.
 * The GPU comes from `ctx.services.gpuDevice`, which hosts give only while the user's limits allow
 * the GPU; without one `execute` fails (the job goes to another peer) and `compile` reports on the
 * reflection alone.
 */
/// <reference types="@webgpu/types" />
import { BadInputError, method, type Capsule } from '../capsule.ts';
import { guardLoops } from './guard.ts';
import { compileParams, executeParams, SHADER_LIMITS } from './params.ts';
import { planPasses, reflectShader, type DispatchLimits } from './reflect.ts';
import { compileOnDevice, runOnDevice } from './run-gpu.ts';

/** No device: the GPU is not allowed now (the user's limits), or this host has no adapter. */
export class NoGpuError extends Error {
  override readonly name = 'NoGpuError';
  constructor() {
    super(
      'no GPU on this worker now (the user allows the GPU only while idle, or there is no WebGPU adapter)',
    );
  }
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

const limitsOf = (device: GPUDevice): DispatchLimits => {
  const l = device.limits;
  return {
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupSizeZ: l.maxComputeWorkgroupSizeZ,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxUniformBufferBindingSize: l.maxUniformBufferBindingSize,
  };
};

export const shaderCapsule: Capsule = {
  library: 'shader',
  version: '1.0.0',
  summary: 'requester WGSL compute shaders on the GPU: validated, loop-guarded, split into ≤ 1 s submissions',
  limits: {
    maxInputBytes: SHADER_LIMITS.maxTotalBufferBytes,
    maxOutputBytes: SHADER_LIMITS.maxTotalBufferBytes,
    timeoutMs: 60_000,
    maxMemoryBytes: SHADER_LIMITS.maxTotalBufferBytes,
    costCap: 60_000,
  },
  methods: {
    execute: method({
      params: executeParams,
      summary:
        '{code, buffers:[{binding,size,init,read}], passes:[{entryPoint,dispatch}], output:{type,absTol,relTol}, loopSteps} → read buffers',
      run: async (ctx, p) => {
        const reflection = reflectShader(p.code);
        const device = (await ctx.services.gpuDevice?.()) ?? null;
        if (!device) throw new NoGpuError();
        const passes = planPasses(reflection, p.buffers, p.passes, limitsOf(device));
        const report = await runOnDevice(device, p.code, {
          buffers: p.buffers,
          passes,
          input: ctx.input,
          loopSteps: p.loopSteps,
          checkpoint: () => ctx.checkpoint(),
        });
        return report.output;
      },
    }),
    compile: method({
      params: compileParams,
      summary: '{code} → JSON {ok, entryPoints, messages, checkedBy}: validation only, nothing runs',
      limits: { timeoutMs: 10_000, maxInputBytes: 0, maxOutputBytes: 256 * 1024 },
      run: async (ctx, p) => {
        let entryPoints;
        try {
          entryPoints = reflectShader(p.code).entryPoints;
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          return json({ ok: false, entryPoints: [], messages: [err.message], checkedBy: 'wgsl_reflect' });
        }
        const device = (await ctx.services.gpuDevice?.()) ?? null;
        if (!device) return json({ ok: true, entryPoints, messages: [], checkedBy: 'wgsl_reflect' });
        try {
          await compileOnDevice(device, guardLoops(p.code, SHADER_LIMITS.defaultLoopSteps).code);
          return json({ ok: true, entryPoints, messages: [], checkedBy: 'wgsl_reflect+gpu' });
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          return json({ ok: false, entryPoints, messages: [err.message], checkedBy: 'wgsl_reflect+gpu' });
        }
      },
    }),
  },
};
