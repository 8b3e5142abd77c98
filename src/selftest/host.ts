/**
 * What the self-test page owns: its own job bus (SharedArrayBuffer), WorkerPool over the real
 * pool-worker.ts Workers and JobEngine over the built-in capsules — independent of the extension's
 * offscreen host — plus helper Workers and a chunk store of its own (OPFS + IndexedDB under
 * STORE_NAME, never the extension's 'inos-chunks'). Everything is created on first use.
 */
import brotliWasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
import { builtinCapsules } from '../capsules/builtin.ts';
import type { JobEngine } from '../engine/job-engine.ts';
import {
  openBrowserChunkStore,
  setBrotliLoader,
  webBrotliLoader,
  type ChunkStore,
} from '../capsules/storage/index.ts';
import type { BrotliWebGlue } from '../capsules/storage/brotli-loader.ts';
import { startEngineHost } from '../pool/engine-host.ts';
import type { WorkerPool } from '../pool/worker-pool.ts';
import { computeLayout, type Layout } from '../sab/index.ts';
import { RoleClient } from './role-client.ts';

export const STORE_NAME = 'inos-selftest';
/** Two pool workers even on a 2-core machine: dispatch across workers is part of what is checked. */
export const POOL_WORKERS = 2;
// Generous for a busy machine; pool workers load no library before READY (capsule.ts `load`).
const READY_TIMEOUT_MS = 60_000;

export interface SelfTestSpawners {
  /** A Worker running src/pool/pool-worker.ts. */
  poolWorker(index: number): Worker;
  /** A Worker running src/selftest/role-worker.ts. */
  roleWorker(name: string): Worker;
}

export interface EngineHandle {
  sab: SharedArrayBuffer;
  layout: Layout;
  pool: WorkerPool;
  engine: JobEngine;
}

/** The page is not cross-origin isolated: SharedArrayBuffer is missing and nothing here can run. */
export class NotIsolatedError extends Error {
  override readonly name = 'NotIsolatedError';
  constructor() {
    super(
      'the self-test page is not cross-origin isolated (crossOriginIsolated === false): check the manifest ' +
        'keys cross_origin_opener_policy / cross_origin_embedder_policy',
    );
  }
}

export class SelfTestHost {
  private enginePromise: Promise<EngineHandle> | null = null;
  private storePromise: Promise<ChunkStore> | null = null;
  private roles = 0;

  constructor(private readonly spawn: SelfTestSpawners) {
    // The page itself compresses for its chunk store; its pool workers set their own loader.
    setBrotliLoader(
      webBrotliLoader(
        () => import('brotli-wasm-web/brotli_wasm.js') as unknown as Promise<BrotliWebGlue>,
        brotliWasmUrl,
      ),
    );
  }

  assertIsolated(): void {
    if (globalThis.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined')
      throw new NotIsolatedError();
  }

  engine(): Promise<EngineHandle> {
    this.enginePromise ??= this.startEngine();
    return this.enginePromise;
  }

  private async startEngine(): Promise<EngineHandle> {
    this.assertIsolated();
    const host = startEngineHost({
      layout: computeLayout({ tier: 'light', workers: POOL_WORKERS }),
      spawn: (i) => this.spawn.poolWorker(i),
      capsules: builtinCapsules,
    });
    await host.ready(READY_TIMEOUT_MS);
    return { sab: host.sab, layout: host.layout, pool: host.pool, engine: host.engine };
  }

  /** A fresh helper Worker; the caller terminates it. */
  role(label: string): RoleClient {
    this.assertIsolated();
    const name = `selftest-${label}-${++this.roles}`;
    return new RoleClient(name, this.spawn.roleWorker(name));
  }

  /** Runs `f` with `count` helper Workers and terminates them afterwards, whatever happens. */
  async withRoles<T>(label: string, count: number, f: (roles: RoleClient[]) => Promise<T>): Promise<T> {
    const roles = Array.from({ length: count }, () => this.role(label));
    try {
      return await f(roles);
    } finally {
      for (const r of roles) r.terminate();
    }
  }

  chunkStore(): Promise<ChunkStore> {
    this.storePromise ??= openBrowserChunkStore({ quotaBytes: 64 << 20, name: STORE_NAME });
    return this.storePromise;
  }
}
