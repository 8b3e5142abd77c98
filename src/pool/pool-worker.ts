/** Browser Worker entry: receives the shared buffer once, then runs the job loop (job-worker.ts). */
import brotliWasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
import { builtinCapsules } from '../capsules/builtin';
import { setVipsLoader, webVipsLoader } from '../capsules/image/vips-loader';
import { gpuDeviceProvider } from '../capsules/shader/device';
import { setBrotliLoader, webBrotliLoader, type BrotliWebGlue } from '../capsules/storage/brotli-loader';
import { remoteChunkStore } from '../capsules/storage/store-client';
import { assertLayout, CONTROL_WORDS, CTRL } from '../sab/layout';
import { gpuChooser } from './gpu-choice';
import { bundledModels, useBundledOrt } from './ml-assets';
import { runWorker, type WorkerInit } from '../engine/job-worker';

setBrotliLoader(
  webBrotliLoader(
    () => import('brotli-wasm-web/brotli_wasm.js') as unknown as Promise<BrotliWebGlue>,
    brotliWasmUrl,
  ),
);

// Image jobs: wasm-vips from the extension's vips/ folder (CSP-safe glue, same vips.wasm as Node).
setVipsLoader(webVipsLoader(new URL('/vips/vips-es6.js', self.location.href).href));
useBundledOrt();

self.onmessage = (e: MessageEvent<WorkerInit & { storePort?: MessagePort }>) => {
  if (e.data?.kind !== 'init') return;
  self.onmessage = null;
  const init = e.data;
  const control = new Int32Array(init.sab, assertLayout(init.sab).controlOffset, CONTROL_WORDS);
  const choose = gpuChooser((navigator as Navigator & { gpu?: GPU }).gpu, (m) =>
    console.info(`[inos worker] ${m}`),
  );
  const gpuAllowed = () => Atomics.load(control, CTRL.GPU_ALLOWED) === 1;
  const powGpu = () => (gpuAllowed() ? choose() : Promise.resolve(null));
  const devices = gpuDeviceProvider(
    () => (navigator as Navigator & { gpu?: GPU }).gpu,
    undefined,
    (m) => console.info(`[inos worker] ${m}`),
  );
  const gpuDevice = () => (gpuAllowed() ? devices() : Promise.resolve(null));
  // The offscreen document's chunk store owner (store-owner.ts); absent in hosts without a store.
  const chunkStore = init.storePort ? remoteChunkStore(init.storePort, init.sab) : undefined;
  // No library is loaded here: Rapier (4 MB of JS) and wasm-vips (256 MiB of memory, 6 thread
  // Workers, 6-9 s to start in Chromium on a busy 2-core machine) load on the first job that needs
  // them (capsule.ts `load`, run by the job loop with the job's clock stopped), so a capsule the user
  // opted out of never costs its memory or start-up.
  runWorker(init, {
    capsules: builtinCapsules,
    services: { powGpu, gpuDevice, mlModel: bundledModels, ...(chunkStore ? { chunkStore } : {}) },
  }).catch((err: unknown) => {
    console.error('[inos worker] stopped with an error', err);
  });
};
