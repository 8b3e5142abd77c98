/**
 * The work contract every capsule implements (the seeds' "universal adapter": a job names a library,
 * a method and JSON params). The engine (src/engine) validates a job before any work, runs it
 * inside the capsule's limits, charges it against its credit budget and returns a result with the cost
 * used. Capsules never see the bus: they get a context.
 */
/// <reference types="@webgpu/types" />
import type { z } from 'zod';
import type { Price, PriceBound } from './price.ts';

/** The seeds' ResourceLimits, per capsule (a method may tighten them). */
export interface ResourceLimits {
  /** Largest input accepted, bytes. */
  maxInputBytes: number;
  /** Largest output a job may produce, bytes. */
  maxOutputBytes: number;
  /** Wall-clock limit per job, ms. */
  timeoutMs: number;
  /**
   * WebAssembly memory a job may use, bytes: the sum of the memories it registers with
   * `ctx.trackMemory`, checked at every checkpoint and when the job returns (over it: the job stops
   * with status budgetExhausted and a message naming the limit). JS heap use cannot be measured per
   * job and is not counted.
   */
  maxMemoryBytes: number;
  /** Most credits one job may cost; also the CLI's default budget. */
  costCap: number;
  /**
   * Longest a job may go without a checkpoint (the worker's heartbeat) before the host replaces the
   * worker; default and minimum 3 s. Only for libraries with uninterruptible calls (ONNX Runtime
   * building a session or running one model is one wasm call).
   */
  maxSilentMs?: number;
  /**
   * Recycling (one mechanism, src/engine): after a job of this capsule, a worker in which a memory
   * this capsule registered (`ctx.trackMemory`) is larger than this is replaced, because WebAssembly
   * memory never shrinks. Unset: the capsule's memories count towards the engine's worker-wide mark
   * (DEFAULT_WASM_HIGH_WATER_BYTES). Set it for a library whose base memory is already large
   * (wasm-vips starts at 256 MiB).
   */
  wasmHighWaterBytes?: number;
}

/** Thrown by `ctx.checkpoint()` when the job must stop; capsules let it propagate. */
export class JobStopped extends Error {
  /**
   * `detail`, when given, is the message the requester sees instead of the generic one (e.g. the
   * physics capsule stopping at its memory budget says which budget and at which step).
   */
  constructor(
    readonly reason: 'cancelled' | 'budget' | 'timeout' | 'memory',
    readonly detail?: string,
  ) {
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
  /**
   * Registers a WebAssembly memory this job uses (each instance's `exports.memory`; an instance
   * kept across jobs is registered again in each job; repeats are ignored). The engine then:
   *  - stops the job (JobStopped 'memory' from `checkpoint()`, status budgetExhausted) once the
   *    registered memories together exceed the method's `maxMemoryBytes`;
   *  - after the job, reports the worker's total WebAssembly memory (every memory registered by any
   *    job on it and still alive) to the host, which replaces a worker past its high-water mark,
   *    because WebAssembly memory never shrinks.
   * Works the same in browser Workers and Node worker_threads (it reads `memory.buffer.byteLength`).
   * The engine always provides it; it is optional only so that contexts built by hand in tests
   * need not (call it as `ctx.trackMemory?.(memory)`).
   */
  trackMemory?(memory: WebAssembly.Memory): void;
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
   * Set when the params carry a secret (a key): the method then runs only for the local user, never for
   * a job that came from the mesh, so a requester's key never travels to a contributor. The text says
   * which param is secret (shown in the refusal).
   */
  secretParams?: string;
  /**
   * The method's work-based price (src/capsules/price.ts; docs/CREDITS.md): credits for an `ok` job
   * from its input size, params and output, computed the same by contributor and requester. Set it
   * for every deterministic method whose work can be counted. With it, the engine charges the price
   * instead of wall time (and enforces the budget on it); without it, the wall-time formula.
   */
  price?: Price;
  /**
   * The most this method's price can be for a job, from its input and params before it runs
   * (src/capsules/price.ts METHOD_BOUNDS), declared with `price`. The engine's watchdog gives a priced
   * job run time by it (src/engine/cost.ts `pricedRunMs`); a priced method without one keeps one
   * millisecond per credit of budget.
   */
  priceBound?: PriceBound;
  /**
   * Runs the job. Either writes into `ctx.output(n)` and returns nothing, or returns bytes that the
   * engine copies into the output block (for outputs whose size is unknown up front).
   */
  run(ctx: JobContext, params: z.infer<S>): Promise<Uint8Array | void> | Uint8Array | void;
  /**
   * What a run does besides producing its output, for workflows and their journal (src/workflow):
   * `none` (the default) a pure function of params and input, safe to run again after a crash;
   * `idempotent` changes state, but twice is the same as once (a content-addressed put);
   * `once` must never run twice.
   */
  effect?: MethodEffect;
  /**
   * The job that undoes a successful run (a workflow's rollback), from its params (as sent, JSON) and
   * its output; null when there is nothing to undo. Compensations must be idempotent.
   */
  compensate?(params: Record<string, unknown>, output: Uint8Array): Compensation | null;
  /**
   * Optional, for `inos run`: a one-line summary of a successful output (printed) and named parts of
   * it (written beside --out as FILE.<name>), for outputs that bundle several things.
   */
  present?(output: Uint8Array): { summary: string; parts: Record<string, Uint8Array> };
}

export type MethodEffect = 'none' | 'idempotent' | 'once';

/** A job of the same capsule that undoes another's effect. */
export interface Compensation {
  method: string;
  params: Record<string, unknown>;
}

export interface Capsule {
  library: string;
  version: string;
  summary: string;
  limits: ResourceLimits;
  methods: Record<string, CapsuleMethod>;
  /**
   * Asked by the worker after each job of this capsule (success or not): true when this thread's
   * state is no longer trustworthy (a wasm trap left a library's heap unknown) and the worker must be
   * replaced before its next job. The other reason to recycle, memory, is `limits.wasmHighWaterBytes`.
   */
  wantsRecycle?(): boolean;
  /**
   * Loads this capsule's library in the current worker (compiling wasm, starting its threads). The
   * worker calls it before the capsule's first job on that thread, never at start-up, so a capsule
   * the user opted out of (or nobody sends) costs nothing. While it runs the job's clocks are
   * stopped on both sides (the requester pays for the job, not for our cold start; the job's latency
   * still includes it) and the heartbeat is kept by a timer, with LOAD_SILENT_MS of silence allowed
   * (a synchronous compile). Must be idempotent; a rejection is retried on the next job, whose own
   * run then reports the error.
   */
  load?(): Promise<void>;
}

/** Declares a method with its params type inferred from the schema. */
export function method<S extends z.ZodType>(m: CapsuleMethod<S>): CapsuleMethod {
  return m as unknown as CapsuleMethod;
}
