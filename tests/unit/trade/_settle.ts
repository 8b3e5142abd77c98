/**
 * Drives a simulated network's virtual clock until `promise` settles (market tests on SimNetwork).
 * Wallet work (fake-indexeddb) runs on real macrotasks the virtual clock does not see: each 100
 * virtual ms gets a real moment first, so a 30 s virtual RPC timeout is not a busy CPU's artefact.
 */
import type { Scheduler } from '../../../src/mesh/sim/scheduler.ts';

export async function settleVirtual<T>(
  sched: Scheduler,
  promise: Promise<T>,
  seed: number,
  maxMs = 600_000,
): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => ((done = true), (value = v)),
    (e: unknown) => ((done = true), (error = e)),
  );
  for (let t = 0; !done && t < maxMs; t += 100) {
    await new Promise((r) => setTimeout(r, 2));
    await sched.runUntil(sched.now + 100);
  }
  if (!done) throw new Error(`did not settle within ${maxMs} virtual ms (seed ${seed})`);
  if (error !== undefined) throw error;
  return value as T;
}
