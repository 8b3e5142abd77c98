/**
 * Frames of the ring check: `[seq u32 LE][fnv1a(payload) u32 LE][payload]`, payload 0..maxPayload
 * bytes from a seeded PRNG, so varying lengths exercise wrap-around (SKIP markers) and back-pressure.
 * The consumer recomputes the checksum and checks the sequence; a torn, lost, duplicated or
 * reordered frame shows up in the counts.
 */
import { mulberry32 } from './_stats.ts';

export const FRAME_HEADER_BYTES = 8;

export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Writes frames into one reused buffer; `next()` returns a view of the next frame. */
export class FrameSource {
  private readonly rnd: () => number;
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  private seq = 0;
  /** Sum (mod 2^32) of every payload checksum produced so far. */
  checksum = 0;
  bytes = 0;

  constructor(
    seed: number,
    private readonly maxPayload: number,
  ) {
    this.rnd = mulberry32(seed);
    this.buf = new Uint8Array(FRAME_HEADER_BYTES + maxPayload);
    this.dv = new DataView(this.buf.buffer);
  }

  next(): Uint8Array {
    const len = Math.floor(this.rnd() * (this.maxPayload + 1));
    const payload = this.buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len);
    for (let i = 0; i < len; i++) payload[i] = (this.rnd() * 256) | 0;
    const sum = fnv1a(payload);
    this.dv.setUint32(0, this.seq++, true);
    this.dv.setUint32(4, sum, true);
    this.checksum = (this.checksum + sum) >>> 0;
    this.bytes += FRAME_HEADER_BYTES + len;
    return this.buf.subarray(0, FRAME_HEADER_BYTES + len);
  }
}

export interface FrameTally {
  received: number;
  badChecksums: number;
  outOfOrder: number;
  /** Sum (mod 2^32) of the checksums carried by the frames received. */
  checksum: number;
  bytes: number;
}

/** The consumer's side: checks each frame (a view, valid only during the call) and counts. */
export class FrameVerifier {
  readonly tally: FrameTally = { received: 0, badChecksums: 0, outOfOrder: 0, checksum: 0, bytes: 0 };

  accept(frame: Uint8Array): void {
    const t = this.tally;
    if (frame.length < FRAME_HEADER_BYTES) {
      t.badChecksums++;
      t.received++;
      return;
    }
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.length);
    const seq = dv.getUint32(0, true);
    const sum = dv.getUint32(4, true);
    if (seq !== t.received) t.outOfOrder++;
    if (fnv1a(frame.subarray(FRAME_HEADER_BYTES)) !== sum) t.badChecksums++;
    t.checksum = (t.checksum + sum) >>> 0;
    t.bytes += frame.length;
    t.received++;
  }
}
