/**
 * The work contract every capsule implements (the seeds' "universal adapter": a job names a library,
 * a method and JSON params). The engine (src/capsules/engine) validates a job before any work, runs it
 * inside the capsule's limits, charges it against its credit budget and returns a result with the cost
 * used. Capsules never see the bus: they get a context.
 */
/// <reference types="@webgpu/types" />
import type { z } from 'zod';

/** The seeds' ResourceLimits, per capsule (a method may tighten them). */
export interface ResourceLimits {
  /** Largest input accepted, bytes. */
  maxInputBytes: number;
  /** Largest output a job may produce, bytes. */
  maxOutputBytes: number;
  /** Wall-clock limit per job, ms. */
  timeoutMs: number;
  /** Working memory a job may hold outside the arena, bytes (advisory for JS, enforced by WASM capsules). */
  maxMemoryBytes: number;
  /** Most credits one job may cost; also the CLI's default budget. */
  costCap: number;
  /**
   * Longest a job may go without a checkpoint (the worker's heartbeat) before the host replaces the
   * worker; default and minimum 3 s. Only for libraries with uninterruptible calls (ONNX Runtime
   * building a session or running one model is one wasm call).
   */
  maxSilentMs?: number;
}

/** Thrown by `ctx.checkpoint()` when the job must stop; capsules let it propagate. */
export class JobStopped extends Error {
  constructor(readonly reason: 'cancelled' | 'budget' | 'timeout') {
    super(`job stopped: ${reason}`);
    this.name = 'JobStopped';
  }
}

/** A bad job: wrong params, wrong input. The message tells the requester what is allowed. */
export class BadInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BadInputError';
  }
}

export interface JobContext {
  /**
   * The job's input. In the pool it is a view into the shared arena (zero copy): it may be backed by a
   * SharedArrayBuffer, which TextDecoder and WebCrypto reject — copy first (`input.slice()`) for those.
   */
  readonly input: Uint8Array;
  /**
   * Returns a writable view of exactly `bytes` bytes for the output (an arena block in the pool).
   * Call it once. Throws BadInputError if `bytes` exceeds the method's maxOutputBytes.
   */
  output(bytes: number): Uint8Array;
  /**
   * Call at least every ~10 ms of work: throws JobStopped when the job was cancelled, ran out of
   * budget or time. Cheap (one atomic load and a clock read).
   */
  checkpoint(): void;
  /** Credits charged so far (CPU ms + MiB moved), for capsules that report progress. */
  readonly costSoFar: number;
  /** Capsule-specific services the host provides (e.g. a chunk store backend); undefined if absent. */
  readonly services: CapsuleServices;
}

/** Host-provided services. The Node CLI and the offscreen document each provide their own. */
export interface CapsuleServices {
  /** Content-addressed chunk storage (OPFS in the browser, a directory in Node). */
  chunkStore?: unknown;
  /**
   * A WebGPU searcher for the proof-of-work capsule, or null when the GPU may not be used now (the
   * user's limits: GPU only while idle by default), has no adapter, or is slower than the CPU.
   */
  powGpu?: () => Promise<unknown>;
  /**
   * A WebGPU device for GPU capsules (`shader`), or null when the GPU may not be used now (the same
   * user limits as `powGpu`) or there is no adapter. Replaced by a new one after it is lost.
   */
  gpuDevice?: () => Promise<GPUDevice | null>;
  /** The ML capsule's model files (src/capsules/ml/models.ts names), from packages the host ships. */
  mlModel?: (name: 'vad' | 'det' | 'rec' | 'cls' | 'keys') => Promise<Uint8Array>;
}

export interface CapsuleMethod<S extends z.ZodType = z.ZodType> {
  /** Params schema; parse failures become BadInputError with the schema's message. */
  params: S;
  /** One line for `inos run --help` and error messages. */
  summary: string;
  /** Optional tighter limits for this method. */
  limits?: Partial<ResourceLimits>;
  /**
   * Runs the job. Either writes into `ctx.output(n)` and returns nothing, or returns bytes that the
   * engine copies into the output block (for outputs whose size is unknown up front).
   */
  run(ctx: JobContext, params: z.infer<S>): Promise<Uint8Array | void> | Uint8Array | void;
}

export interface Capsule {
  library: string;
  version: string;
  summary: string;
  limits: ResourceLimits;
  methods: Record<string, CapsuleMethod>;
}

/** Declares a method with its params type inferred from the schema. */
export function method<S extends z.ZodType>(m: CapsuleMethod<S>): CapsuleMethod {
  return m as unknown as CapsuleMethod;
}
