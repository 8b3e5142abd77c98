/**
 * The `shader` capsule's job description. A job is WGSL source, the buffers its group-0 bindings get,
 * and one or more passes (entry point + workgroup count) that run in order on the same buffers.
 * Input bytes fill the buffers marked `init: 'input'`, in the order listed; the output is the
 * concatenated contents of the buffers marked `read: true`, in the order listed.
 */
import { z } from 'zod';

export const SHADER_LIMITS = {
  /** WGSL source size. */
  maxCodeBytes: 64 * 1024,
  maxBuffers: 8,
  /** Per buffer; WebGPU's default maxStorageBufferBindingSize is 128 MiB, ours is tighter. */
  maxBufferBytes: 64 << 20,
  /** All buffers of one job together. */
  maxTotalBufferBytes: 128 << 20,
  maxPasses: 64,
  /** Invocations (workgroups × workgroup size) of one pass: 2^28. */
  maxInvocationsPerPass: 2 ** 28,
  /** Default and largest loop-guard budget per invocation per dispatch (see guard.ts). */
  defaultLoopSteps: 1 << 16,
  maxLoopSteps: 1 << 24,
  /** Wall time one submission may take before the device is destroyed (gpuweb#6252: ≤ 1 s). */
  submissionMs: 1000,
  /** Target time of one slice of a sliced dispatch. */
  sliceTargetMs: 200,
} as const;

export const ELEMENT_TYPES = ['u32', 'i32', 'f32'] as const;
export type ElementType = (typeof ELEMENT_TYPES)[number];

const int = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .min(min, `${what} must be ≥ ${min}`)
    .max(max, `${what} must be ≤ ${max}`);

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'entryPoint must be a WGSL identifier');

export const bufferSpec = z.strictObject({
  binding: int('binding', 0, 31),
  size: int('buffer size', 4, SHADER_LIMITS.maxBufferBytes).refine((n) => n % 4 === 0, {
    message: 'buffer size must be a multiple of 4 bytes',
  }),
  /** 'input': filled from the next `size` bytes of the job input; 'zero' (default): zeroed. */
  init: z.enum(['input', 'zero']).default('zero'),
  /** Read back into the output after the last pass. */
  read: z.boolean().default(false),
});
export type BufferSpec = z.infer<typeof bufferSpec>;

const workgroups = z
  .array(int('dispatch dimension', 0, 65535))
  .min(1, 'dispatch needs 1 to 3 workgroup counts')
  .max(3, 'dispatch needs 1 to 3 workgroup counts');

export const passSpec = z.strictObject({
  entryPoint: identifier.default('main'),
  dispatch: workgroups,
});

/** How peers compare outputs (compare.ts): integers exactly, floats within a tolerance. */
export const outputSpec = z.strictObject({
  type: z.enum(ELEMENT_TYPES).default('u32'),
  /** Absolute tolerance for f32 outputs. */
  absTol: z.number().min(0).max(1e30).default(0),
  /** Relative tolerance for f32 outputs (of the larger magnitude). */
  relTol: z.number().min(0).max(1).default(0),
});
export type OutputSpec = z.infer<typeof outputSpec>;

export const compileParams = z.strictObject({
  code: z
    .string()
    .min(1, 'code is empty')
    .refine((s) => new TextEncoder().encode(s).length <= SHADER_LIMITS.maxCodeBytes, {
      message: `code must be at most ${SHADER_LIMITS.maxCodeBytes} bytes of WGSL`,
    }),
});

export const executeParams = compileParams.extend({
  buffers: z.array(bufferSpec).min(1).max(SHADER_LIMITS.maxBuffers),
  passes: z.array(passSpec).min(1).max(SHADER_LIMITS.maxPasses),
  output: outputSpec.default({ type: 'u32', absTol: 0, relTol: 0 }),
  loopSteps: int('loopSteps', 1, SHADER_LIMITS.maxLoopSteps).default(SHADER_LIMITS.defaultLoopSteps),
});
export type ExecuteParams = z.infer<typeof executeParams>;
export type CompileParams = z.infer<typeof compileParams>;
