/**
 * The job engine in Node, for `inos run` and the benchmarks: the same JobEngine, WorkerPool and
 * SharedArrayBuffer bus as the extension's offscreen document, with node:worker_threads running
 * node-worker.ts and the chunk store in a directory instead of OPFS.
 *
 * The worker file is found next to this module: dist/cli/worker.mjs when running from the esbuild
 * bundle (scripts/build-cli.mjs builds both), src/cli/node-worker.ts under tsx or vitest. Node 20
 * cannot start a .ts Worker with `execArgv: ['--import', 'tsx']` (tests/unit/sab/_ts-worker.ts says
 * why), so a .ts worker gets a small eval'd bootstrap that registers tsx inside the thread first.
 */
import { availableParallelism, homedir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { builtinCapsules } from '../capsules/builtin.ts';
import type { JobEngine } from '../engine/job-engine.ts';
import type { CapsuleRegistry } from '../engine/registry.ts';
import { startEngineHost } from '../pool/engine-host.ts';
import { defaultWorkerCount, type WorkerPool } from '../pool/worker-pool.ts';
import { computeLayout, MAX_WORKERS, TIER_BYTES, TIER_RING_BYTES, type Tier } from '../sab/layout.ts';
import type { Capsule } from '../capsules/capsule.ts';
import type { NodeWorkerData } from './node-worker.ts';

export interface NodeEngineOptions {
  /** Worker threads; default: one per core but one, at least one (the extension's rule). */
  workers?: number;
  /**
   * Shared memory tier; default `heavy` (256 MiB): capsules accept 64 MiB inputs with outputs as large,
   * which the smaller tiers' arenas cannot hold.
   */
  tier?: Tier;
  /** Chunk store directory; default `defaultStoreDir()`; null: no chunk store. */
  storeDir?: string | null;
  /** Chunk store quota, bytes; default 1 GiB. */
  quotaBytes?: number;
  /**
   * Capsule libraries each worker loads (capsule.ts `load`) before it reports ready, e.g. the one
   * library `inos run` will use. Others load on their first job, outside its clock.
   */
  preload?: readonly string[];
  /** Let GPU capsules (shader) use WebGPU through Dawn; default false. */
  gpu?: boolean;
  /** The worker module; default: the one next to this file (see the header). */
  workerUrl?: URL;
  /** Capsules the host accepts jobs for; default the built-in ones (a custom worker must load the same). */
  capsules?: readonly Capsule[];
}

export interface NodeEngine {
  readonly engine: JobEngine;
  readonly pool: WorkerPool;
  readonly registry: CapsuleRegistry;
  /** Resolves once every worker has started; rejects if one failed to, or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Cancels what is queued or running, stops and terminates the workers. Idempotent. */
  dispose(): Promise<void>;
}

export const DEFAULT_QUOTA_BYTES = 1024 * 1024 * 1024;

/**
 * Job requests travel whole through a worker's inbox ring, params included, and params may be 1 MiB
 * (MAX_PARAMS_BYTES); the tiers' default rings (64–512 KiB) cannot carry such a frame. So each ring
 * gets 2 MiB while all rings together stay within an eighth of the buffer; beyond that (many workers
 * on a small tier), the tier's default.
 */
const BIG_RING_BYTES = 2 * 1024 * 1024;

export function ringBytesFor(tier: Tier, workers: number): number {
  return workers * 2 * BIG_RING_BYTES <= TIER_BYTES[tier] / 8 ? BIG_RING_BYTES : TIER_RING_BYTES[tier];
}

/** `$INOS_STORE`, else `$XDG_DATA_HOME/inos/chunks`, else `~/.local/share/inos/chunks`. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['INOS_STORE']) return env['INOS_STORE'];
  const data = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(data, 'inos', 'chunks');
}

/** dist/cli/worker.mjs beside the bundle, or src/cli/node-worker.ts beside this source file. */
export function defaultWorkerUrl(moduleUrl: string = import.meta.url): URL {
  return new URL(moduleUrl.endsWith('.ts') ? './node-worker.ts' : './worker.mjs', moduleUrl);
}

/** Starts `url` in a worker thread; a .ts file goes through tsx (see the header). */
export function spawnNodeWorker(url: URL, workerData: NodeWorkerData): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const boot =
    `import(${JSON.stringify(tsxApi())}).then((api) => { api.register(); ` +
    `return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** tsx's ESM API as an absolute URL, so the bootstrap does not depend on the current directory. */
function tsxApi(): string {
  try {
    // Its "require" build (.cjs) cannot register the ESM hooks inside a worker; ask for the "import" one.
    if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
    const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
    return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  } catch {
    return 'tsx/esm/api';
  }
}

export function startNodeEngine(opts: NodeEngineOptions = {}): NodeEngine {
  const workers = opts.workers ?? defaultWorkerCount(availableParallelism(), MAX_WORKERS);
  const tier = opts.tier ?? 'heavy';
  const layout = computeLayout({ tier, workers, ringBytes: ringBytesFor(tier, workers) });
  const storeDir = opts.storeDir === undefined ? defaultStoreDir() : opts.storeDir;
  const data: NodeWorkerData = {
    storeDir,
    quotaBytes: opts.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    preload: [...(opts.preload ?? [])],
  };
  const url = opts.workerUrl ?? defaultWorkerUrl();
  let startError: Error | null = null;
  const threads = new Set<Worker>();

  const host = startEngineHost({
    layout,
    capsules: opts.capsules ?? builtinCapsules,
    spawn: () => {
      const w = spawnNodeWorker(url, data);
      threads.add(w);
      w.once('error', (err) => {
        startError ??= new Error(`a worker thread failed (${url.href}): ${err.message}`, { cause: err });
      });
      w.once('exit', () => threads.delete(w));
      return w;
    },
  });
  if (opts.gpu) host.pool.setThrottle(layout.workers, 100, true);
  let disposed: Promise<void> | null = null;

  return {
    engine: host.engine,
    pool: host.pool,
    registry: host.registry,
    ready: (timeoutMs = 30_000) => host.ready(timeoutMs, () => startError),
    dispose() {
      disposed ??= (async () => {
        await host.dispose();
        // Workers replaced by the watchdog were terminated already; make sure none is left running.
        await Promise.all([...threads].map((w) => w.terminate()));
      })();
      return disposed;
    },
  };
}
