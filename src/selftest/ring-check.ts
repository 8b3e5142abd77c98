/**
 * ringAcrossWorkers: frames with checksums through a RingBuffer in shared memory between real
 * threads — a Worker producer with the document as consumer (Atomics.waitAsync on the main thread),
 * and a Worker producer with a Worker consumer (Atomics.wait on both sides). A small ring with
 * frames of 8..308 bytes wraps and applies back-pressure thousands of times per run.
 */
import { RingBuffer } from '../sab/index.ts';
import { consumeFramesAsync } from './_ring-roles.ts';
import { round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

export const RING_CAPACITY = 4096;
const MAX_PAYLOAD = 300;
const TIMEOUT_MS = 30_000;

export interface RingRun {
  producer: 'worker';
  consumer: 'document' | 'worker';
  frames: number;
  sent: number;
  received: number;
  badChecksums: number;
  outOfOrder: number;
  producerChecksum: number;
  consumerChecksum: number;
  producerBytes: number;
  consumerBytes: number;
  /** Times the ring's capacity was filled over (bytes moved / capacity). */
  laps: number;
  ms: number;
}

export interface RingCheckResult {
  workerToDocument: RingRun;
  workerToWorker: RingRun;
}

function freshRing(): { sab: SharedArrayBuffer; offset: number; capacity: number } {
  const sab = new SharedArrayBuffer(RingBuffer.regionBytes(RING_CAPACITY));
  RingBuffer.init(sab, 0, RING_CAPACITY);
  return { sab, offset: 0, capacity: RING_CAPACITY };
}

export async function ringAcrossWorkers(host: SelfTestHost, frames: number): Promise<RingCheckResult> {
  if (!Number.isInteger(frames) || frames < 1 || frames > 10_000_000)
    throw new RangeError(`ringAcrossWorkers: frames must be an integer in 1..10000000; got ${frames}`);
  const run = async (consumer: RingRun['consumer'], seed: number): Promise<RingRun> =>
    host.withRoles('ring', consumer === 'worker' ? 2 : 1, async ([producer, consumerWorker]) => {
      const ring = { ...freshRing(), frames, timeoutMs: TIMEOUT_MS };
      const t0 = performance.now();
      const [p, c] = await Promise.all([
        producer!.call('ring-produce', { ...ring, seed, maxPayload: MAX_PAYLOAD }),
        consumer === 'worker' ? consumerWorker!.call('ring-consume', ring) : consumeFramesAsync(ring),
      ]);
      return {
        producer: 'worker',
        consumer,
        frames,
        sent: p.sent,
        received: c.received,
        badChecksums: c.badChecksums,
        outOfOrder: c.outOfOrder,
        producerChecksum: p.checksum,
        consumerChecksum: c.checksum,
        producerBytes: p.bytes,
        consumerBytes: c.bytes,
        laps: Math.floor(c.bytes / RING_CAPACITY),
        ms: round(performance.now() - t0),
      };
    });
  const workerToDocument = await run('document', 0x51e57);
  const workerToWorker = await run('worker', 0x51e58);
  return { workerToDocument, workerToWorker };
}
