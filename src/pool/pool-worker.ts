/** Browser Worker entry: receives the shared buffer once, then runs the job loop (job-worker.ts). */
import brotliWasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
import { builtinCapsules } from '../capsules/builtin';
import { preloadPhysics } from '../capsules/physics';
import { setBrotliLoader, webBrotliLoader, type BrotliWebGlue } from '../capsules/storage/brotli-loader';
import { assertLayout, CONTROL_WORDS, CTRL } from '../sab/layout';
import { gpuChooser } from './gpu-choice';
import { runWorker, type WorkerInit } from './job-worker';

setBrotliLoader(
  webBrotliLoader(
    () => import('brotli-wasm-web/brotli_wasm.js') as unknown as Promise<BrotliWebGlue>,
    brotliWasmUrl,
  ),
);

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  if (e.data?.kind !== 'init') return;
  self.onmessage = null;
  const init = e.data;
  const control = new Int32Array(init.sab, assertLayout(init.sab).controlOffset, CONTROL_WORDS);
  const choose = gpuChooser((navigator as Navigator & { gpu?: GPU }).gpu, (m) =>
    console.info(`[inos worker] ${m}`),
  );
  const powGpu = () => (Atomics.load(control, CTRL.GPU_ALLOWED) === 1 ? choose() : Promise.resolve(null));
  // Rapier (4 MB of JS, inline wasm) is loaded before the worker joins the pool: in Chromium its
  // first load is synchronous work no job could beat through (3 s heartbeat; measured failing at load ~30).
  preloadPhysics()
    .then(() => runWorker(init, { capsules: builtinCapsules, services: { powGpu } }))
    .catch((err: unknown) => {
      console.error('[inos worker] stopped with an error', err);
    });
};
