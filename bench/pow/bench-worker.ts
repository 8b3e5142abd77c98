/**
 * One CPU worker of the pow benchmark: warms up, reports ready, then for every "go" searches its
 * own slice of the nonce space for `ms` and reports the nonces hashed. Runs under worker_threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSimdKernelSync } from '../../src/capsules/pow/dsha256-simd.ts';
import { parseSearchParams } from '../../src/capsules/pow/job.ts';
import { searchCpu } from '../../src/capsules/pow/search-cpu.ts';

const { index, workers, ms, simd } = workerData as {
  index: number;
  workers: number;
  ms: number;
  simd: boolean;
};
const kernel = simd ? createSimdKernelSync() : null;
const span = Math.floor(2 ** 32 / workers);
const job = parseSearchParams({
  header: 'ab'.repeat(80),
  nonceStart: index * span,
  count: span,
  target: '0'.repeat(63) + '1',
});
searchCpu(job, { kernel, budgetMs: 500 });
parentPort!.postMessage({ type: 'ready' });
parentPort!.on('message', () => {
  const t0 = performance.now();
  const r = searchCpu(job, { kernel, budgetMs: ms });
  parentPort!.postMessage({ type: 'done', hashes: r.hashes, ms: performance.now() - t0 });
});
