import { BadInputError, JobStopped, type CapsuleServices, type JobContext } from '../capsules/capsule';
import { cpuCredits, dataCredits } from './cost';
import type { CapsuleRegistry } from './registry';
import { assertInputSize, parseParams } from './validate';

/** Mirrors JobResult.status in schemas/capsule.capnp. */
export type JobStatus = 'ok' | 'badInput' | 'budgetExhausted' | 'timeout' | 'cancelled' | 'internalError';

export interface ExecuteRequest {
  library: string;
  method: string;
  /** JSON text, untrusted. */
  params: string;
  /** The input: in the pool, a view into the shared arena (never copied on the way). */
  input: Uint8Array;
  /** Credits the requester reserved. */
  budget: number;
  /** Absolute deadline, Unix ms; 0 means none (the capsule's timeout still applies). */
  deadlineMs: number;
  /** Gives the output block (an arena view in the pool). */
  allocOutput(bytes: number): Uint8Array;
  /** True once someone asked this job to stop (the worker slot's cancel word). */
  cancelled(): boolean;
  /** Called from checkpoints, so a long job still shows a heartbeat. */
  beat?(): void;
  /** Told of each WebAssembly memory the job registers (the worker sums them for WASM_BYTES). */
  onMemory?(memory: WebAssembly.Memory): void;
  services?: CapsuleServices;
  /** Monotonic clock, ms (performance.now). */
  clock(): number;
  /** Wall clock, Unix ms (Date.now), for the deadline. */
  wallClock(): number;
}

export interface ExecuteOutcome {
  status: JobStatus;
  /** The output view (inside the block from allocOutput), or null. */
  output: Uint8Array | null;
  costUsed: number;
  error: string;
  /** The effective limits the job ran under, for the watchdog and the result. */
  timeoutMs: number;
  budget: number;
  /** Bytes copied into the output block because the capsule returned them (0: it wrote in place). */
  copiedBytes?: number;
}

/**
 * Runs one job on this thread: validates it before any work, then runs it under its budget, its
 * timeout and the cancel word. Never throws: every failure becomes a status with a message. The cost
 * charged never exceeds the budget.
 */
export async function execute(registry: CapsuleRegistry, req: ExecuteRequest): Promise<ExecuteOutcome> {
  let timeoutMs = 0;
  let budget = Math.max(0, Math.floor(req.budget));
  const started = req.clock();
  let outputBytes = 0;
  const cost = () => cpuCredits(req.clock() - started) + dataCredits(req.input.length + outputBytes);
  const finish = (status: JobStatus, error: string, output: Uint8Array | null = null): ExecuteOutcome => ({
    status,
    output,
    costUsed: Math.min(budget, cost()),
    error,
    timeoutMs,
    budget,
  });

  let params: unknown;
  let resolved;
  try {
    resolved = registry.resolve(req.library, req.method);
    const { limits, method } = resolved;
    budget = Math.min(budget, limits.costCap);
    timeoutMs = limits.timeoutMs;
    if (req.deadlineMs > 0) timeoutMs = Math.min(timeoutMs, req.deadlineMs - req.wallClock());
    assertInputSize(req.input.length, limits.maxInputBytes, req.library, req.method);
    const parsed = method.params.safeParse(parseParams(req.params));
    if (!parsed.success)
      throw new BadInputError(
        `bad params for ${req.library}.${req.method}: ${parsed.error.issues
          .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
          .join('; ')}`,
      );
    params = parsed.data;
  } catch (err) {
    return { ...finish('badInput', messageOf(err)), costUsed: 0 };
  }
  if (timeoutMs <= 0)
    return { ...finish('timeout', 'the deadline had passed before the job started'), costUsed: 0 };
  if (dataCredits(req.input.length) > budget)
    return {
      ...finish(
        'budgetExhausted',
        `a budget of ${budget} credits cannot cover moving ${req.input.length} input bytes (${dataCredits(req.input.length)} credits)`,
      ),
      costUsed: 0,
    };

  const { limits, method } = resolved;
  let output: Uint8Array | null = null;
  const memories = new Set<WebAssembly.Memory>();
  let memoryPeak = 0;
  const memoryBytes = () => {
    let n = 0;
    for (const m of memories) n += m.buffer.byteLength;
    memoryPeak = Math.max(memoryPeak, n);
    return n;
  };
  const checkpoint = () => {
    req.beat?.();
    if (req.cancelled()) throw new JobStopped('cancelled');
    if (req.clock() - started > timeoutMs) throw new JobStopped('timeout');
    if (cost() > budget) throw new JobStopped('budget');
    if (memories.size > 0 && memoryBytes() > limits.maxMemoryBytes) throw new JobStopped('memory');
  };
  const ctx: JobContext = {
    input: req.input,
    output(bytes: number) {
      if (output) throw new Error('ctx.output() may be called once per job');
      if (!Number.isSafeInteger(bytes) || bytes < 0)
        throw new RangeError(`output size ${bytes} is not a byte count`);
      if (bytes > limits.maxOutputBytes)
        throw new BadInputError(
          `the output would be ${bytes} bytes; ${req.library}.${req.method} produces at most ${limits.maxOutputBytes}`,
        );
      outputBytes = bytes;
      output = req.allocOutput(bytes);
      return output;
    },
    checkpoint,
    trackMemory(memory: WebAssembly.Memory) {
      if (!(memory instanceof WebAssembly.Memory))
        throw new TypeError('ctx.trackMemory takes a WebAssembly.Memory');
      if (memories.has(memory)) return;
      memories.add(memory);
      req.onMemory?.(memory);
    },
    get costSoFar() {
      return cost();
    },
    services: req.services ?? {},
  };

  try {
    checkpoint();
    const returned = await method.run(ctx, params);
    if (returned) ctx.output(returned.length).set(returned);
    checkpoint();
    return { ...finish('ok', '', output ?? ctx.output(0)), copiedBytes: returned ? returned.length : 0 };
  } catch (err) {
    if (err instanceof JobStopped) {
      const status: JobStatus =
        err.reason === 'budget' || err.reason === 'memory'
          ? 'budgetExhausted'
          : err.reason === 'timeout'
            ? 'timeout'
            : 'cancelled';
      const why =
        err.detail ??
        (err.reason === 'budget'
          ? `stopped: the budget of ${budget} credits ran out`
          : err.reason === 'memory'
            ? `stopped: the job's WebAssembly memory reached ${memoryPeak} bytes; ${req.library}.${req.method} may use at most ${limits.maxMemoryBytes}`
            : err.reason === 'timeout'
              ? `stopped: the time limit of ${Math.round(timeoutMs)} ms passed`
              : 'stopped: cancelled');
      return finish(status, why);
    }
    if (err instanceof BadInputError) return finish('badInput', err.message);
    return finish('internalError', `${req.library}.${req.method} failed: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
