/**
 * A compute worker. It receives the shared buffer once, marks itself ready in its registry slot and
 * from then on is driven only by shared memory: it parks on the lifecycle epoch (Atomics.wait, legal
 * in a worker) and beats its heartbeat counter every 250 ms so the host can tell a live worker from a
 * stuck one. Jobs arrive through its inbox ring (src/sab).
 */
import {
  assertLayout,
  CONTROL_WORDS,
  CTRL,
  LIFECYCLE_CODE,
  WORKER_SLOT,
  workerReadyValue,
  workerSlot,
} from '../sab/layout';
import type { WorkerInit } from './worker-pool';

const BEAT_MS = 250;

function run(init: WorkerInit): void {
  const layout = assertLayout(init.sab);
  const slot = workerSlot(init.sab, layout, init.index);
  const control = new Int32Array(init.sab, layout.controlOffset, CONTROL_WORDS);
  Atomics.store(slot, WORKER_SLOT.READY, workerReadyValue(init.index));
  for (;;) {
    const epoch = Atomics.load(control, CTRL.LIFECYCLE_EPOCH);
    const code = Atomics.load(control, CTRL.LIFECYCLE);
    Atomics.store(slot, WORKER_SLOT.STATE, code);
    Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
    if (code === LIFECYCLE_CODE.stopped) return;
    Atomics.wait(control, CTRL.LIFECYCLE_EPOCH, epoch, BEAT_MS);
  }
}

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  if (e.data?.kind !== 'init') return;
  self.onmessage = null;
  run(e.data);
};
