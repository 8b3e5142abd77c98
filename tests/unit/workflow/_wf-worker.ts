/**
 * Worker thread for workflow tests and the workflow benchmark: the CLI's worker (built-in capsules, a
 * chunk store in workerData.storeDir) plus the workflow test capsule. Not src/cli/node-worker.ts
 * itself: importing it inside a worker would start its own job loop too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { loadVips, setVipsLoader } from '../../../src/capsules/image/vips-loader.ts';
import { nodeVipsLoader } from '../../../src/capsules/image/vips-node.ts';
import type { ChunkStore } from '../../../src/capsules/storage/chunk-store.ts';
import { nodeBrotliLoader } from '../../../src/capsules/storage/brotli-node.ts';
import { setBrotliLoader } from '../../../src/capsules/storage/index.ts';
import { openDirChunkStore } from '../../../src/capsules/storage/open-dir-store.ts';
import type { NodeWorkerData } from '../../../src/cli/node-worker.ts';
import { runWorker, type WorkerInit } from '../../../src/engine/job-worker.ts';
import { wfTestCapsule } from './_wf-capsule.ts';

setBrotliLoader(nodeBrotliLoader);
setVipsLoader(nodeVipsLoader);
const data = workerData as NodeWorkerData;
let opened: Promise<ChunkStore> | null = null;
const store = () => (opened ??= openDirChunkStore({ dir: data.storeDir!, quotaBytes: data.quotaBytes }));
const chunkStore = data.storeDir
  ? {
      putBlob: async (...a: Parameters<ChunkStore['putBlob']>) => (await store()).putBlob(...a),
      getBlob: async (...a: Parameters<ChunkStore['getBlob']>) => (await store()).getBlob(...a),
      hasBlob: async (...a: Parameters<ChunkStore['hasBlob']>) => (await store()).hasBlob(...a),
      delete: async (...a: Parameters<ChunkStore['delete']>) => (await store()).delete(...a),
    }
  : undefined;

// As the CLI worker does with --preload image: the job loop parks in Atomics.wait, so wasm-vips is
// loaded before it starts (a failed load is reported by the first image job).
const vips = data.preload?.includes('image') ? loadVips().catch(() => undefined) : Promise.resolve();
parentPort!.once('message', (init: WorkerInit) => {
  void vips.then(() =>
    runWorker(init, { capsules: [...builtinCapsules, wfTestCapsule], services: { chunkStore } }),
  );
});
