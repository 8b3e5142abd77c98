/**
 * Worker side of the arena recovery test: it takes the arena lock (or an output block) and then
 * stops for good at the point the test names, so the test can terminate it there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena, workerOwner } from '../../../src/sab/index.ts';
import { assertLayout, workerSlot } from '../../../src/sab/layout.ts';

export type KillPoint = 'inside-alloc' | 'inside-free' | 'owning-output';
interface Data {
  sab: SharedArrayBuffer;
  point: KillPoint;
  bytes: number;
}
const d = workerData as Data;
const layout = assertLayout(d.sab);
const slot = workerSlot(d.sab, layout, 0);
const forever = new Int32Array(new SharedArrayBuffer(4));
const stop = () => {
  parentPort!.postMessage('stopped');
  Atomics.wait(forever, 0, 0); // never woken: the test terminates this thread here
};
const arena = new Arena(d.sab, layout, {
  owner: workerOwner(0, 0),
  inCriticalSection: (op) => {
    if ((op === 'alloc' && d.point === 'inside-alloc') || (op === 'free' && d.point === 'inside-free'))
      stop();
  },
});
const ref = arena.alloc(d.bytes, slot);
if (d.point === 'inside-free') arena.free(ref, slot);
stop(); // owning-output: the block stays allocated and recorded in the slot
