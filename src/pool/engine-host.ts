/**
 * The one wiring of a job bus, its worker pool and the job engine that every host repeats: the
 * extension's offscreen document (src/offscreen/compute-host.ts), the `inos` CLI
 * (src/cli/node-engine.ts) and the self-test page (src/selftest/host.ts). A host gives a layout, a way
 * to start a worker (browser Worker or node:worker_threads) and the capsules; it gets the bus, the
 * pool and the engine back, a `ready()` that waits for every worker, and one `dispose()`.
 */
import type { Capsule } from '../capsules/capsule';
import { JobEngine } from '../engine/job-engine';
import { CapsuleRegistry } from '../engine/registry';
import {
  createBus,
  LIFECYCLE_CODE,
  WORKER_SLOT,
  workerReadyValue,
  writeCapsuleTable,
  type Layout,
} from '../sab/layout';
import { WorkerPool, type PoolWorker } from './worker-pool';

export interface EngineHostOptions {
  layout: Layout;
  spawn: (index: number) => PoolWorker;
  capsules: readonly Capsule[];
  /**
   * The lifecycle code to start in; default `running` (the CLI and the self-test page). The offscreen
   * host passes `paused` and waits for the background's decision.
   */
  lifecycle?: number;
  /** More fields for each worker's init message (e.g. the chunk store owner's port), with transfers. */
  initExtra?: (index: number) => { fields: Record<string, unknown>; transfer: Transferable[] };
}

export interface EngineHost {
  readonly sab: SharedArrayBuffer;
  readonly layout: Layout;
  readonly pool: WorkerPool;
  readonly registry: CapsuleRegistry;
  readonly engine: JobEngine;
  /**
   * Resolves once every worker has started; rejects after `timeoutMs`, or as soon as `failure()`
   * returns an error (a host that sees worker start errors passes them here).
   */
  ready(timeoutMs?: number, failure?: () => Error | null): Promise<void>;
  /** Cancels what is queued or running, stops and terminates the workers. Idempotent. */
  dispose(): Promise<void>;
}

export function startEngineHost(opts: EngineHostOptions): EngineHost {
  const { layout } = opts;
  const sab = createBus(layout);
  // Before any worker starts: each checks its own capsules against this table.
  writeCapsuleTable(sab, layout, opts.capsules);
  const pool = new WorkerPool(sab, layout, opts.spawn, opts.initExtra);
  pool.start();
  if (opts.lifecycle !== LIFECYCLE_CODE.paused) pool.setLifecycle(opts.lifecycle ?? LIFECYCLE_CODE.running);
  const registry = new CapsuleRegistry(opts.capsules);
  const engine = new JobEngine(pool, registry);
  let disposed: Promise<void> | null = null;
  const allReady = () => {
    for (let i = 0; i < layout.workers; i++)
      if (Atomics.load(pool.slot(i), WORKER_SLOT.READY) !== workerReadyValue(i)) return false;
    return true;
  };
  return {
    sab,
    layout,
    pool,
    registry,
    engine,
    async ready(timeoutMs = 30_000, failure = () => null) {
      const until = performance.now() + timeoutMs;
      while (!allReady()) {
        const err = failure();
        if (err) throw err;
        if (disposed) throw new Error('the engine was disposed before its workers started');
        if (performance.now() > until)
          throw new Error(
            `the engine's ${layout.workers} worker(s) did not start within ${timeoutMs} ms: ${JSON.stringify(pool.snapshot())}`,
          );
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    dispose() {
      disposed ??= (async () => {
        engine.close();
        await pool.dispose(LIFECYCLE_CODE.stopped);
      })();
      return disposed;
    },
  };
}
