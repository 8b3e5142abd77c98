/**
 * Runs one job on this thread through the engine's own `execute` (params parsing, limits, budget,
 * price, statuses), so a test or a benchmark sees exactly what a worker would answer. The output is
 * copied out of the block `execute` asked for.
 */
import { execute, type ExecuteOutcome, type ExecuteRequest } from '../src/engine/execute.ts';
import type { CapsuleRegistry } from '../src/engine/registry.ts';

export interface JobOnThread {
  library: string;
  method: string;
  /** JSON text, or a value to stringify. */
  params: string | object;
  input?: Uint8Array;
  budget: number;
  /** Monotonic clock, ms; performance.now unless given (a test may make it jump per read). */
  clock?: () => number;
  services?: ExecuteRequest['services'];
}

export async function runOnThread(
  registry: CapsuleRegistry,
  job: JobOnThread,
): Promise<ExecuteOutcome & { out: Uint8Array }> {
  const r = await execute(registry, {
    library: job.library,
    method: job.method,
    params: typeof job.params === 'string' ? job.params : JSON.stringify(job.params),
    input: job.input ?? new Uint8Array(0),
    budget: job.budget,
    deadlineMs: 0,
    allocOutput: (n) => new Uint8Array(n),
    cancelled: () => false,
    clock: job.clock ?? (() => performance.now()),
    wallClock: () => Date.now(),
    ...(job.services ? { services: job.services } : {}),
  });
  return { ...r, out: r.output ? r.output.slice() : new Uint8Array(0) };
}

/** A clock that advances `stepMs` per read (a job's metered time without a real wait). */
export function steppingClock(stepMs: number): () => number {
  let t = 0;
  return () => (t += stepMs);
}
