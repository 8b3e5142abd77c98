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
