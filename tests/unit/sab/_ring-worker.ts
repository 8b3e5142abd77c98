/** Worker side of the threaded ring tests: produces or consumes `frames` frames derived from their index. */
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from '../../../src/sab/index.ts';
import { frameFor, mix, type RingWorkerData } from './_ring-frames.ts';

const data = workerData as RingWorkerData;
const ring = new RingBuffer(data.sab, data.offset, data.capacity);
let checksum = 0;
let bytes = 0;
if (data.role === 'produce') {
  for (let i = 0; i < data.frames; i++) {
    const f = frameFor(i, data.seed);
    if (!ring.write(f, 10_000)) throw new Error(`producer: frame ${i} not accepted within 10 s`);
    checksum = mix(checksum, f);
    bytes += f.length;
  }
} else {
  for (let i = 0; i < data.frames; i++) {
    const f = ring.read(10_000);
    if (f === null) throw new Error(`consumer: frame ${i} not received within 10 s`);
    const want = frameFor(i, data.seed);
    if (f.length !== want.length || f.some((b, k) => b !== want[k]))
      throw new Error(`consumer: frame ${i} differs`);
    checksum = mix(checksum, f);
    bytes += f.length;
  }
}
parentPort?.postMessage({ checksum, bytes });
