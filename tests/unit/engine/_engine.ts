import { afterAll, beforeAll } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin';
import { JobEngine } from '../../../src/engine/job-engine';
import { CapsuleRegistry } from '../../../src/engine/registry';
import { WorkerPool } from '../../../src/pool/worker-pool';
import { computeLayout, createBus, LIFECYCLE_CODE } from '../../../src/sab/layout';
import { lazyCapsule, recycleCapsule, testCapsule } from './_test-capsule';
import { startTsWorker } from '../sab/_ts-worker';

/**
 * A real engine over real worker_threads sharing one SharedArrayBuffer, with the test capsule loaded.
 * `terminateLaterMs`: terminate() returns nothing and the thread is terminated only that much later,
 * as a browser does (Blink lets a Worker busy in script run on for up to 2 s after terminate());
 * such threads are listed in `zombies` with a promise of their exit.
 */
export async function startEngine(workers = 2, opts: { terminateLaterMs?: number } = {}) {
  const layout = computeLayout({ tier: 'light', workers });
  const sab = createBus(layout);
  const zombies: Array<{ exited: Promise<number> }> = [];
  const later = opts.terminateLaterMs;
  const pool = new WorkerPool(sab, layout, () => {
    const w = startTsWorker(new URL('./_node-worker.ts', import.meta.url), null);
    w.unref();
    if (later === undefined) return w;
    const exited = new Promise<number>((resolve) => w.once('exit', resolve));
    return {
      // The pool transfers nothing to these workers (no initExtra): the message alone.
      postMessage: (m: unknown) => w.postMessage(m),
      terminate: () => {
        zombies.push({ exited });
        setTimeout(() => void w.terminate(), later).unref();
      },
    };
  });
  pool.start();
  pool.setLifecycle(LIFECYCLE_CODE.running);
  const engine = new JobEngine(
    pool,
    new CapsuleRegistry([...builtinCapsules, testCapsule, recycleCapsule, lazyCapsule]),
  );
  // Wait until every worker is up, so timings in tests measure jobs, not thread start-up.
  // Thread start-up with tsx took 18 s at load 31 on the 2-core dev machine.
  const deadline = Date.now() + 60_000;
  while (pool.aliveCount() < workers) {
    if (Date.now() > deadline) throw new Error('workers did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pool,
    engine,
    zombies,
    async stop() {
      engine.close();
      await pool.dispose(LIFECYCLE_CODE.stopped);
    },
  };
}

/**
 * One engine for the whole test file (started in beforeAll, stopped in afterAll), `active` of its
 * `workers` running (a throttle of `active` workers at 100%); returns its getter.
 */
export function engineForFile(
  workers: number,
  active: number,
): () => Awaited<ReturnType<typeof startEngine>> {
  let h: Awaited<ReturnType<typeof startEngine>> | undefined;
  beforeAll(async () => {
    h = await startEngine(workers);
    h.pool.setThrottle(active, 100);
  }, 30_000);
  afterAll(async () => {
    await h?.stop();
  });
  return () => h!;
}
