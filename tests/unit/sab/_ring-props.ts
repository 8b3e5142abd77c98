/**
 * Property cases for RingBuffer, shared by the fast suite (a few thousand cases) and the slow suite
 * (100k+). Each case throws an Error describing the first violated property.
 */
import { RING_HDR, RingBuffer, RingCorruptError } from '../../../src/sab/index.ts';
import type { Prng } from './_prng.ts';

const pad4 = (n: number): number => (n + 3) & ~3;

function fail(msg: string): never {
  throw new Error(msg);
}

function randomFrame(rng: Prng, r: RingBuffer): Uint8Array {
  const kind = rng.int(0, 9);
  const len =
    kind < 5 ? rng.int(0, 16) : kind < 9 ? rng.int(0, r.capacity >> 2) : r.maxPayload - rng.int(0, 8);
  return rng.bytes(len);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Random interleaving of writes and reads against a FIFO model: no loss, no reordering, no false "full". */
export function ringSequenceCase(rng: Prng): void {
  const capacity = 2 ** rng.int(8, 12);
  const sab = new SharedArrayBuffer(RingBuffer.regionBytes(capacity));
  const r = RingBuffer.init(sab, 0, capacity);
  const hdr = new Int32Array(sab, 0, 32);
  const model: Uint8Array[] = [];
  const dst = new Uint8Array(capacity);
  const ops = rng.int(20, 120);
  const writeBias = rng.next() * 0.6 + 0.2;
  for (let op = 0; op < ops; op++) {
    if (rng.bool(writeBias)) {
      const f = randomFrame(rng, r);
      const head = Atomics.load(hdr, RING_HDR.HEAD);
      const used = r.usedBytes();
      const toEnd = capacity - (head & (capacity - 1));
      const size = 4 + pad4(f.length);
      const need = size <= toEnd ? size : toEnd + size;
      if (r.tryWrite(f)) {
        if (used + need > capacity) fail(`op ${op}: wrote ${f.length} B with only ${capacity - used} B free`);
        model.push(f);
      } else if (used + need <= capacity) {
        fail(`op ${op}: refused ${f.length} B although ${capacity - used} B were free (need ${need})`);
      }
      if (r.usedBytes() > capacity) fail(`op ${op}: used ${r.usedBytes()} > capacity`);
    } else {
      const want = model.shift();
      const how = rng.int(0, 2);
      let got: Uint8Array | null;
      if (how === 0) got = r.tryRead();
      else if (how === 1) {
        const n = r.tryReadInto(dst);
        got = n < 0 ? null : dst.slice(0, n);
      } else got = r.tryReadView((v) => v.slice()) ?? null;
      if (want === undefined) {
        if (got !== null) fail(`op ${op}: read a frame from an empty ring`);
        if (r.usedBytes() !== 0) fail(`op ${op}: empty ring still uses ${r.usedBytes()} B`);
      } else if (got === null || !equal(got, want)) {
        fail(
          `op ${op}: expected a ${want.length} B frame, got ${got === null ? 'null' : `${got.length} B differing`}`,
        );
      }
    }
  }
  for (const want of model) {
    const got = r.tryRead();
    if (got === null || !equal(got, want)) fail('drain: frame lost or changed');
  }
  if (r.tryRead() !== null || r.usedBytes() !== 0) fail('drain: ring not empty at the end');
}

/**
 * Fills a ring, scribbles over its header or data, then reads and writes: every call must either
 * behave (frames within bounds) or throw RingCorruptError — never another error, an out-of-bounds
 * access, or an unbounded number of frames.
 */
export function ringMutationCase(rng: Prng): void {
  const capacity = 2 ** rng.int(8, 11);
  const sab = new SharedArrayBuffer(RingBuffer.regionBytes(capacity));
  const r = RingBuffer.init(sab, 0, capacity);
  const hdr = new Int32Array(sab, 0, 32);
  const words = new Int32Array(sab, 128, capacity / 4);
  for (let i = rng.int(0, 40); i > 0; i--) {
    if (rng.bool(0.6)) r.tryWrite(randomFrame(rng, r));
    else r.tryRead();
  }
  const anyInt = (): number =>
    rng.pick([
      0,
      -1,
      -2,
      1,
      2,
      3,
      capacity,
      capacity - 4,
      capacity + 4,
      0x7fffffff,
      -0x80000000,
      rng.int(-1e9, 1e9),
    ]);
  const mutations = rng.int(1, 3);
  for (let m = 0; m < mutations; m++) {
    const tail = Atomics.load(hdr, RING_HDR.TAIL);
    switch (rng.int(0, 4)) {
      case 0:
        Atomics.store(hdr, RING_HDR.HEAD, anyInt());
        break;
      case 1:
        Atomics.store(hdr, RING_HDR.TAIL, anyInt());
        break;
      case 2:
        Atomics.store(hdr, RING_HDR.HEAD, (tail + rng.int(-8, capacity + 8)) | 0);
        break;
      case 3:
        words[(tail & (capacity - 1)) >> 2] = anyInt();
        break;
      default:
        words[rng.int(0, words.length - 1)] = anyInt();
    }
  }
  // A fresh reader and writer, as after a restart, must cope as well as the old ones.
  const reader = rng.bool() ? r : new RingBuffer(sab, 0, capacity);
  const writer = rng.bool() ? r : new RingBuffer(sab, 0, capacity);
  let frames = 0;
  for (let step = 0; step < capacity / 2; step++) {
    try {
      if (rng.bool(0.3)) {
        writer.tryWrite(rng.bytes(rng.int(0, capacity >> 3)));
        continue;
      }
      const got = reader.tryRead();
      if (got === null) continue;
      if (got.length > r.maxPayload)
        fail(`mutation: returned a ${got.length} B frame from a ${capacity} B ring`);
      frames++;
    } catch (e) {
      if (e instanceof RingCorruptError) return;
      throw e;
    }
  }
  if (frames > capacity / 2) fail(`mutation: ${frames} frames from a ${capacity} B ring`);
}
