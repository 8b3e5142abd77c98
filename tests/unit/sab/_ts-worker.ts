import { Worker } from 'node:worker_threads';

/**
 * Starts a TypeScript module in a worker thread. Node 20 does not run `--import` preloads from a
 * Worker's execArgv (checked: `execArgv: ['--import', 'tsx']` fails with ERR_UNKNOWN_FILE_EXTENSION),
 * so a tiny eval'd bootstrap registers tsx's ESM hooks inside the worker and then imports the file.
 */
export function startTsWorker(url: URL, workerData: unknown): Worker {
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** Resolves with the worker's first message; rejects on error or on exit before any message. */
export function firstMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before replying`)));
  });
}
