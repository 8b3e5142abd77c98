import { describe, expect, it } from 'vitest';
import { computeLayout, createBus, RING_HDR, RingBuffer, RingCorruptError } from '../../../src/sab/index.ts';

function ring(capacity = 256): {
  sab: SharedArrayBuffer;
  ring: RingBuffer;
  hdr: Int32Array;
  words: Int32Array;
} {
  const sab = new SharedArrayBuffer(RingBuffer.regionBytes(capacity));
  return {
    sab,
    ring: RingBuffer.init(sab, 0, capacity),
    hdr: new Int32Array(sab, 0, 32),
    words: new Int32Array(sab, 128),
  };
}
const frame = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('RingBuffer basics', () => {
  it('returns a non-shared copy that TextDecoder accepts', () => {
    const { ring: r } = ring();
    expect(r.tryWrite(new TextEncoder().encode('héllo ring'))).toBe(true);
    const out = r.tryRead();
    expect(out).not.toBeNull();
    expect(out!.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(new TextDecoder().decode(out!)).toBe('héllo ring');
    expect(r.tryRead()).toBeNull();
  });

  it('carries empty frames and counts epochs', () => {
    const { ring: r } = ring();
    expect(r.tryWrite(new Uint8Array(0))).toBe(true);
    expect(r.tryWrite(frame(3, 7))).toBe(true);
    expect(r.writeEpoch).toBe(2);
    expect(r.tryRead()).toEqual(new Uint8Array(0));
    expect(r.tryRead()).toEqual(frame(3, 7));
    expect(r.readEpoch).toBe(2);
  });

  it('applies back-pressure: never overwrites, resumes when the reader frees space', () => {
    const { ring: r } = ring(256);
    for (let i = 0; i < 4; i++) expect(r.tryWrite(frame(60, i))).toBe(true); // 4 x 64 B fills 256 B
    expect(r.tryWrite(frame(1, 99))).toBe(false);
    expect(r.usedBytes()).toBe(256);
    expect(r.tryRead()).toEqual(frame(60, 0));
    expect(r.tryWrite(frame(60, 4))).toBe(true);
    for (let i = 1; i <= 4; i++) expect(r.tryRead()).toEqual(frame(60, i));
    expect(r.tryRead()).toBeNull();
  });

  it('wraps with a skip marker so frames stay contiguous', () => {
    const { ring: r, words } = ring(256);
    for (let i = 0; i < 3; i++) r.tryWrite(frame(60, i));
    for (let i = 0; i < 3; i++) r.tryRead();
    expect(r.tryWrite(frame(100, 5))).toBe(true); // 104 B does not fit the 64 B left before the end
    expect(words[192 / 4]).toBe(-1);
    expect(words[0]).toBe(100);
    r.tryReadView((v) => {
      expect(v.byteOffset).toBe(128 + 4);
      expect(v).toEqual(frame(100, 5));
    });
    expect(r.usedBytes()).toBe(0);
  });

  it('moves a maximum-size frame into an empty ring from any position (lone skip)', () => {
    const { ring: r } = ring(256);
    for (let i = 0; i < 3; i++) r.tryWrite(frame(60, i));
    for (let i = 0; i < 3; i++) r.tryRead();
    expect(r.tryWrite(frame(r.maxPayload, 9))).toBe(false); // publishes the padding only
    expect(r.tryRead()).toBeNull(); // consumes the padding
    expect(r.tryWrite(frame(r.maxPayload, 9))).toBe(true);
    expect(r.tryRead()).toEqual(frame(252, 9));
  });

  it('throws RangeError for frames larger than the ring', () => {
    const { ring: r } = ring(256);
    expect(() => r.tryWrite(new Uint8Array(253))).toThrow(
      /frame of 253 B exceeds this ring's maximum payload of 252 B/,
    );
    expect(() => r.tryWrite(new Uint8Array(253))).toThrow(RangeError);
  });

  it('reads into a caller buffer and into a zero-copy view', () => {
    const { sab, ring: r } = ring();
    r.tryWrite(frame(10, 1));
    r.tryWrite(frame(20, 2));
    expect(() => r.tryReadInto(new Uint8Array(5))).toThrow(RangeError);
    const dst = new Uint8Array(32);
    expect(r.tryReadInto(dst)).toBe(10);
    expect(dst.subarray(0, 10)).toEqual(frame(10, 1));
    expect(() =>
      r.tryReadView((v) => {
        expect(v.buffer).toBe(sab);
        throw new Error('visitor failed');
      }),
    ).toThrow('visitor failed');
    expect(r.tryReadInto(dst)).toBe(-1); // the throwing visit still consumed its frame
  });

  it('binds to the inbox/outbox rings of a bus', () => {
    const l = computeLayout({ tier: 'light', workers: 2, ringBytes: 1024 });
    const sab = createBus(l);
    const a = RingBuffer.inbox(sab, l, 1);
    const b = RingBuffer.outbox(sab, l, 1);
    a.tryWrite(frame(4, 1));
    expect(b.tryRead()).toBeNull();
    expect(RingBuffer.inbox(sab, l, 1).tryRead()).toEqual(frame(4, 1));
    expect(() => RingBuffer.inbox(sab, l, 2)).toThrow(RangeError);
  });

  it('refuses a region that holds no ring', () => {
    expect(() => new RingBuffer(new SharedArrayBuffer(1024), 0, 256)).toThrow(/no ring of capacity 256/);
    expect(() => RingBuffer.init(new SharedArrayBuffer(1024), 0, 1000)).toThrow(/power of two/);
    expect(() => RingBuffer.init(new SharedArrayBuffer(256), 0, 256)).toThrow(/exceeds/);
  });
});

describe('RingBuffer corruption', () => {
  it('reports a length word pointing past the published bytes', () => {
    const { ring: r, words } = ring();
    r.tryWrite(frame(8, 1));
    words[0] = 200;
    expect(() => r.tryRead()).toThrow(RingCorruptError);
    words[0] = -7;
    expect(() => r.tryRead()).toThrow(/frame length -7/);
  });

  it('reports indices further apart than the capacity', () => {
    const { ring: r, hdr } = ring();
    Atomics.store(hdr, RING_HDR.HEAD, 4096);
    expect(() => r.tryRead()).toThrow(/indices out of range/);
    expect(() => r.tryWrite(frame(300 - 100, 0))).toThrow(RingCorruptError);
  });

  it('reports a skip marker at index 0', () => {
    const { ring: r, words } = ring();
    r.tryWrite(frame(8, 1));
    words[0] = -1;
    expect(() => r.tryRead()).toThrow(/invalid skip marker/);
  });
});

describe('RingBuffer waiting', () => {
  it('times out a blocking read with null', () => {
    const { ring: r } = ring();
    const t0 = performance.now();
    expect(r.read(20)).toBeNull();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it('wakes readAsync when a frame arrives', async () => {
    const { sab, ring: r } = ring();
    const writer = new RingBuffer(sab, 0, 256);
    setTimeout(() => writer.tryWrite(frame(5, 3)), 10);
    expect(await r.readAsync(2000)).toEqual(frame(5, 3));
  });

  it('holds writeAsync until the reader frees space', async () => {
    const { sab, ring: r } = ring(256);
    for (let i = 0; i < 4; i++) r.tryWrite(frame(60, i));
    const reader = new RingBuffer(sab, 0, 256);
    setTimeout(() => reader.tryRead(), 10);
    expect(await r.writeAsync(frame(60, 9), 2000)).toBe(true);
    expect(await r.writeAsync(frame(60, 9), 10)).toBe(false);
  });

  it('wakes a sleeping reader for padding, so a wrapping max-size frame cannot deadlock', async () => {
    const { sab, ring: w } = ring(256);
    for (let i = 0; i < 3; i++) w.tryWrite(frame(60, i));
    const r = new RingBuffer(sab, 0, 256);
    for (let i = 0; i < 3; i++) r.tryRead();
    const got = r.readAsync(2000);
    // A deadlock would show as writeAsync timing out (false) and readAsync returning null.
    expect(await w.writeAsync(frame(w.maxPayload, 4), 2000)).toBe(true);
    expect(await got).toEqual(frame(252, 4));
  });

  it('validates the spin budget and still blocks correctly without spinning', () => {
    const { ring: r } = ring();
    expect(() => (r.spinIterations = -1)).toThrow(RangeError);
    r.spinIterations = 0;
    expect(r.read(5)).toBeNull();
    r.tryWrite(frame(2, 1));
    expect(r.read(5)).toEqual(frame(2, 1));
  });

  it('spinReadable polls within its bound and never sleeps: false when empty, true once a frame is there', () => {
    const { ring: r } = ring();
    expect(r.spinReadable(0)).toBe(false);
    // Many missed spins (the budget halves, then probes): each returns, none blocks or throws.
    for (let k = 0; k < 40; k++) expect(r.spinReadable(20)).toBe(false);
    r.tryWrite(frame(7, 3));
    expect(r.spinReadable(0)).toBe(true);
    expect(r.tryRead()).toEqual(frame(7, 3));
    expect(r.spinReadable(Number.NaN)).toBe(false);
  });

  it('aborts readAsync', async () => {
    const { ring: r } = ring();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    await expect(r.readAsync(5000, ac.signal)).rejects.toThrow(/abort/i);
  });
});
