import { BadInputError, JobStopped, type CapsuleServices, type JobContext } from '../capsules/capsule';
import type { Price } from '../capsules/price';
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
  // A priced method (src/capsules/price.ts) is charged its price, not its wall time: the wall-time
  // meter then only guards against a runaway job, at the capsule's cost cap.
  let price: Price | undefined;
  let rawParams: unknown = {};
  let meterCap = budget;

  let params: unknown;
  let resolved;
  try {
    resolved = registry.resolve(req.library, req.method);
    const { limits, method } = resolved;
    budget = Math.min(budget, limits.costCap);
    meterCap = budget;
    timeoutMs = limits.timeoutMs;
    if (req.deadlineMs > 0) timeoutMs = Math.min(timeoutMs, req.deadlineMs - req.wallClock());
    assertInputSize(req.input.length, limits.maxInputBytes, req.library, req.method);
    rawParams = parseParams(req.params);
    const parsed = method.params.safeParse(rawParams);
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
  if (method.price) {
    price = method.price;
    meterCap = limits.costCap;
    // Its price with no output is the least the job can cost: a budget below it buys nothing.
    const least = price({
      inputBytes: req.input.length,
      params: rawParams,
      input: req.input,
      output: new Uint8Array(0),
    });
    if (least > budget)
      return {
        ...finish(
          'budgetExhausted',
          `a budget of ${budget} credits cannot cover this ${req.library}.${req.method} job: its price is at least ${least} credits (docs/CREDITS.md)`,
        ),
        costUsed: 0,
      };
  }
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
    if (cost() > meterCap) throw new JobStopped('budget');
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
    const out = output ?? ctx.output(0);
    const copiedBytes = returned ? returned.length : 0;
    if (price === undefined) return { ...finish('ok', '', out), copiedBytes };
    const charged = price({ inputBytes: req.input.length, params: rawParams, input: req.input, output: out });
    if (charged > budget)
      return {
        ...finish(
          'budgetExhausted',
          `stopped: the job's price of ${charged} credits is over its budget of ${budget} credits`,
        ),
        costUsed: budget,
        copiedBytes,
      };
    return { ...finish('ok', '', out), costUsed: charged, copiedBytes };
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
      // A priced job stopped for its budget is charged the budget; stopped otherwise, the work done.
      if (price !== undefined && err.reason === 'budget') return { ...finish(status, why), costUsed: budget };
      return finish(status, why);
    }
    if (err instanceof BadInputError) return finish('badInput', err.message);
    return finish('internalError', `${req.library}.${req.method} failed: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
