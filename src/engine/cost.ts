/**
 * The wall-time price of work, in credits (documented for requesters in docs/CREDITS.md), for the
 * methods that have no work-based price (src/capsules/price.ts: a priced method is charged its price):
 *
 *   credits = ceil(cpu_ms) + ceil((input_bytes + output_bytes) / 1 MiB)
 *
 * One credit is one millisecond of one worker's CPU time; moving data costs one credit per MiB (input
 * and output each counted). GPU time is not priced separately: a job that runs on the GPU (pow.search
 * when the host allows it) is charged the wall time its worker spends waiting on the GPU as CPU
 * milliseconds. A job's cost never exceeds its
 * budget: a job stopped for its budget is charged exactly the budget.
 */
import { dataCredits } from '../capsules/price';

export { dataCredits, MIB } from '../capsules/price';

export function cpuCredits(cpuMs: number): number {
  return Math.ceil(Math.max(0, cpuMs));
}

export function jobCost(cpuMs: number, inputBytes: number, outputBytes: number): number {
  return cpuCredits(cpuMs) + dataCredits(inputBytes + outputBytes);
}

/**
 * How many times its price bound in reference milliseconds a priced job may run (docs/CREDITS.md
 * "Run time of a priced job"): a credit is one millisecond of a quiet reference worker, and a
 * contributor's browser on a busy laptop was seen 3-5× slower than that (a 1 MB sha256 charged 91
 * credits of wall time for 2 of work), so 10× leaves room for both.
 */
export const PRICED_RUN_FACTOR = 10;
/**
 * Added to every priced job's run time, whatever its price: dispatch, the worker's wake-up, a GC
 * pause, a thread descheduled on a loaded machine. A capsule whose work has longer uninterruptible
 * stretches (ResourceLimits.maxSilentMs: building an ONNX session, an AVIF frame's encode) gets
 * those instead.
 */
export const PRICED_RUN_SLACK_MS = 1_000;

/**
 * The run-time bound of a job, in ms (before its time limit and deadline are applied). An unpriced
 * job, or a priced one whose price cannot be bound before it runs: one millisecond per credit of
 * budget (a credit is at least one CPU millisecond). A priced job is charged its price whatever it
 * takes, so its budget bounds the price, not the run time; it may run
 *
 *   PRICED_RUN_FACTOR × min(price bound, budget) + max(PRICED_RUN_SLACK_MS, maxSilentMs)
 *
 * (past min(bound, budget) credits of work its price would be over the budget anyway), never less
 * than the budget's milliseconds and never more than the capsule's cost cap in ms.
 */
export function jobRunMs(o: {
  budget: number;
  costCap: number;
  bound?: number;
  maxSilentMs?: number;
}): number {
  const budget = Math.max(0, o.budget);
  if (o.bound === undefined || !Number.isFinite(o.bound) || o.bound < 0) return budget;
  const slack = Math.max(PRICED_RUN_SLACK_MS, o.maxSilentMs ?? 0);
  const ms = PRICED_RUN_FACTOR * Math.min(o.bound, budget) + slack;
  return Math.max(budget, Math.min(o.costCap, ms));
}
