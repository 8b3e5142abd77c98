/** Producer and consumer of the ring check, for any thread that may block (Workers). */
import { RingBuffer } from '../sab/index.ts';
import { FrameSource, FrameVerifier, type FrameTally } from './_frames.ts';
import type { RingRunReq } from './role-protocol.ts';

/** Writes `frames` frames with blocking back-pressure; throws if the consumer stalls past the timeout. */
export function produceFrames(req: RingRunReq & { seed: number; maxPayload: number }): {
  sent: number;
  checksum: number;
  bytes: number;
  ms: number;
} {
  const ring = new RingBuffer(req.sab, req.offset, req.capacity);
  const src = new FrameSource(req.seed, req.maxPayload);
  const t0 = performance.now();
  for (let i = 0; i < req.frames; i++) {
    if (!ring.write(src.next(), req.timeoutMs))
      throw new Error(`ring producer: no space for frame ${i} within ${req.timeoutMs} ms (consumer stalled)`);
  }
  return { sent: req.frames, checksum: src.checksum, bytes: src.bytes, ms: performance.now() - t0 };
}

/** Reads until `frames` frames arrived or the deadline passed; returns what it saw. */
export function consumeFrames(req: RingRunReq): FrameTally {
  const ring = new RingBuffer(req.sab, req.offset, req.capacity);
  const v = new FrameVerifier();
  const deadline = performance.now() + req.timeoutMs;
  // tryReadView returns the visitor's value, or undefined when the ring is empty.
  const visit = (f: Uint8Array): true => (v.accept(f), true);
  while (v.tally.received < req.frames) {
    if (ring.tryReadView(visit) !== undefined) continue;
    const left = deadline - performance.now();
    if (left <= 0 || !ring.waitReadable(left)) break;
  }
  return v.tally;
}

/** The same consumer on a document's main thread, where only Atomics.waitAsync is allowed. */
export async function consumeFramesAsync(req: RingRunReq): Promise<FrameTally> {
  const ring = new RingBuffer(req.sab, req.offset, req.capacity);
  const v = new FrameVerifier();
  const deadline = performance.now() + req.timeoutMs;
  const visit = (f: Uint8Array): true => (v.accept(f), true);
  while (v.tally.received < req.frames) {
    if (ring.tryReadView(visit) !== undefined) continue;
    const left = deadline - performance.now();
    if (left <= 0 || !(await ring.waitReadableAsync(left))) break;
  }
  return v.tally;
}
