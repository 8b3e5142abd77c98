/**
 * One CPU worker of the pow benchmark under worker_threads: warms up, reports ready, then for every
 * "go" searches its own slice of the nonce space for `ms` and reports the nonces hashed. The role
 * itself is src/selftest/_pow-role.ts, the same the Chromium self-test's Workers run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSimdKernelSync } from '../../src/capsules/pow/dsha256-simd.ts';
import { powSample, powSliceJob } from '../../src/selftest/_pow-role.ts';

const { index, workers, ms, simd } = workerData as {
  index: number;
  workers: number;
  ms: number;
  simd: boolean;
};
const kernel = simd ? createSimdKernelSync() : null;
const job = powSliceJob(index, workers);
powSample(job, kernel, 500);
parentPort!.postMessage({ type: 'ready' });
parentPort!.on('message', () => {
  parentPort!.postMessage({ type: 'done', ...powSample(job, kernel, ms) });
});
