/** Browser Worker entry: receives the shared buffer once, then runs the job loop (job-worker.ts). */
import { builtinCapsules } from '../capsules/builtin';
import { runWorker, type WorkerInit } from './job-worker';

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  if (e.data?.kind !== 'init') return;
  self.onmessage = null;
  runWorker(e.data, { capsules: builtinCapsules }).catch((err: unknown) => {
    console.error('[inos worker] stopped with an error', err);
  });
};
