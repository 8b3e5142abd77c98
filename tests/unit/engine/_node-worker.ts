import { parentPort } from 'node:worker_threads';
import { builtinCapsules } from '../../../src/capsules/builtin';
import { runWorker, type WorkerInit } from '../../../src/engine/job-worker';
import { lazyCapsule, recycleCapsule, testCapsule } from './_test-capsule';

parentPort!.once('message', (init: WorkerInit) => {
  void runWorker(init, { capsules: [...builtinCapsules, testCapsule, recycleCapsule, lazyCapsule] });
});
