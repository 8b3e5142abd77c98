/** Browser Worker entry: receives the shared buffer once, then runs the job loop (job-worker.ts). */
import brotliWasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
import { builtinCapsules } from '../capsules/builtin';
import { setBrotliLoader, webBrotliLoader, type BrotliWebGlue } from '../capsules/storage/brotli-loader';
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
  runWorker(e.data, { capsules: builtinCapsules }).catch((err: unknown) => {
    console.error('[inos worker] stopped with an error', err);
  });
};
