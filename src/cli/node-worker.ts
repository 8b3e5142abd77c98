/**
 * Node worker_threads entry for the `inos` CLI's engine (node-engine.ts): the Node twin of
 * src/pool/pool-worker.ts. It sets the Node brotli and wasm-vips loaders, gives the storage capsule a chunk store in a
 * directory (opened on the first storage job, so `inos run crypto sha256` never touches the disk), then
 * runs the shared job loop on the SharedArrayBuffer the pool posts once.
 *
 * Bundled by scripts/build-cli.mjs as dist/cli/worker.mjs; run from source through tsx under vitest/tsx.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinCapsules } from '../capsules/builtin.ts';
import type { CapsuleServices } from '../capsules/capsule.ts';
import { setVipsLoader } from '../capsules/image/vips-loader.ts';
import { nodeVipsLoader } from '../capsules/image/vips-node.ts';
import { nodeBrotliLoader } from '../capsules/storage/brotli-node.ts';
import type { ChunkStore } from '../capsules/storage/chunk-store.ts';
import { setBrotliLoader } from '../capsules/storage/index.ts';
import { openDirChunkStore } from '../capsules/storage/open-dir-store.ts';
import { runWorker, type WorkerInit } from '../engine/job-worker.ts';
import { assertLayout, CONTROL_WORDS, CTRL } from '../sab/layout.ts';
import { nodeGpuDevices } from './node-gpu.ts';
import { nodeModels, useNodeOrt } from './node-models.ts';

/** What node-engine.ts passes as `workerData`. */
export interface NodeWorkerData {
  /** Directory of the chunk store; null: this host has none (storage.put/get/has/delete refuse). */
  storeDir: string | null;
  quotaBytes: number;
  /** Libraries to load before taking jobs (see NodeEngineOptions.preload); absent: none. */
  preload?: string[];
}

type StoreApi = Pick<ChunkStore, 'putBlob' | 'getBlob' | 'hasBlob' | 'delete'>;

/**
 * The store's methods, opening it on first use. A failed open is retried on the next job. Each worker
 * holds its own index in memory, so a directory is meant to be used by one worker at a time (the CLI
 * runs one).
 */
export function lazyChunkStore(open: () => Promise<ChunkStore>): StoreApi {
  let opened: Promise<ChunkStore> | null = null;
  const store = () =>
    (opened ??= open().catch((err: unknown) => {
      opened = null;
      throw err;
    }));
  return {
    putBlob: async (...a) => (await store()).putBlob(...a),
    getBlob: async (...a) => (await store()).getBlob(...a),
    hasBlob: async (...a) => (await store()).hasBlob(...a),
    delete: async (...a) => (await store()).delete(...a),
  };
}

function servicesFor(data: NodeWorkerData | undefined): CapsuleServices {
  if (!data?.storeDir) return {};
  const { storeDir, quotaBytes } = data;
  return { chunkStore: lazyChunkStore(() => openDirChunkStore({ dir: storeDir, quotaBytes })) };
}

if (parentPort) {
  setBrotliLoader(nodeBrotliLoader);
  setVipsLoader(nodeVipsLoader);
  useNodeOrt();
  const services = servicesFor(workerData as NodeWorkerData | undefined);
  const data = workerData as NodeWorkerData | undefined;
  // Libraries the host asked for ahead (`inos run <library>`) load before the worker reports ready;
  // the others load on their first job (capsule.ts `load`). A failed load is retried by that job.
  const preloaded = Promise.all(
    builtinCapsules.flatMap((c) =>
      c.load && data?.preload?.includes(c.library) ? [c.load().catch(() => undefined)] : [],
    ),
  );
  parentPort.once('message', async (init: WorkerInit) => {
    if (init?.kind !== 'init') return;
    await preloaded;
    const control = new Int32Array(init.sab, assertLayout(init.sab).controlOffset, CONTROL_WORDS);
    const devices = nodeGpuDevices((m) => process.stderr.write(`[inos worker ${init.index}] ${m}\n`));
    // The same switch as the browser pool's: the engine's host says whether the GPU may be used.
    const gpuDevice = () =>
      Atomics.load(control, CTRL.GPU_ALLOWED) === 1 ? devices() : Promise.resolve(null);
    runWorker(init, {
      capsules: builtinCapsules,
      services: { ...services, gpuDevice, mlModel: nodeModels },
    }).catch((err: unknown) => {
      // The host notices the missing heartbeat and replaces this worker; say why on stderr.
      process.stderr.write(`[inos worker ${init.index}] stopped with an error: ${String(err)}\n`);
      process.exit(1);
    });
  });
}
