/**
 * Single-producer / single-consumer byte ring over a region of a SharedArrayBuffer.
 * (Just over 400 lines: the sync and async waits share the index protocol and stay beside it.)
 *
 * Region: RING_HEADER_BYTES of Int32 header words (`RING_HDR` in layout.ts), then `capacity` data
 * bytes (a power of two). HEAD and TAIL are wrapping 32-bit byte counters; `counter & (capacity-1)`
 * is the data index, `(HEAD - TAIL) >>> 0` the bytes in use.
 *
 * Frame: Int32 payload length, payload, zero..3 pad bytes so the next frame is 4-byte aligned.
 * Wrap-around: a frame is never split. When it does not fit before the end of the data area, the
 * producer writes a SKIP marker (-1) in the length word and continues at index 0; the consumer
 * jumps over it. So every payload is contiguous and can be handed out as a zero-copy view. The cost is
 * up to one frame of padding per lap. A frame may be up to capacity - 4 bytes of payload.
 *
 * Publication: payload bytes are plain stores, then ONE Atomics.store of HEAD makes the frame
 * visible (seq-cst store orders the plain stores before it for any thread that Atomics.loads HEAD).
 * WRITE_EPOCH counts published frames. The consumer frees space the same way with TAIL. A waiting
 * side sets its *_WAITING flag before it sleeps, so the hot path pays for Atomics.notify only when
 * someone sleeps (the flag store and the index load are both seq-cst, so no wake-up is lost).
 *
 * Each side caches the other side's index and reloads it only when the cached one says full/empty,
 * so in steady state the two threads do not pull each other's cache line on every frame. Each side
 * reads its *own* index with a plain load (only it writes that word) and bumps its epoch with a plain
 * store: the epochs are statistics for observers, the ordering guarantee comes from HEAD/TAIL alone.
 * Every Atomics call costs ~12-17 ns in Node 20 (measured), a third of a 64-byte frame's budget.
 *
 * Blocking waits spin (up to `spinIterations` Atomics.loads, ~6 ns each) before Atomics.wait: a
 * futex sleep + wake costs ~17 us, a spun ping-pong ~2 us (bench/bus, 16-core Xeon). Spinning hurts
 * when cores are oversubscribed (the peer is not running, so the spin only steals its CPU), so the
 * budget adapts: it halves after every spin that ended in a sleep, resets after a spin that caught
 * the frame, and once it has collapsed, every 16th wait probes with the full budget again.
 *
 * Async waits (Atomics.waitAsync) do not spin: a caller that expects a frame soon (the engine just
 * after a dispatch) spins first with `spinReadable`, a bounded, adaptive poll that never sleeps.
 */
import { AdaptiveSpin } from './adaptive-spin.ts';
import { canBlock } from './can-block.ts';
import {
  inboxOffset,
  outboxOffset,
  RING_HDR,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_MIN_BYTES,
} from './layout.ts';
import type { Layout } from './layout.ts';

const SKIP = -1;
const MAX_CAPACITY = 1 << 30;

/** The ring's shared state is inconsistent (a bug or a foreign writer); the ring must be reset. */
export class RingCorruptError extends Error {
  override readonly name = 'RingCorruptError';
  constructor(
    message: string,
    readonly ringOffset: number,
    readonly head: number,
    readonly tail: number,
  ) {
    super(`ring@${ringOffset}: ${message} (head=${head >>> 0}, tail=${tail >>> 0})`);
  }
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class RingBuffer {
  readonly capacity: number;
  /** Largest payload a single frame can carry. */
  readonly maxPayload: number;
  readonly byteOffset: number;
  private readonly hdr: Int32Array;
  private readonly data: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  private cachedTail: number;
  private cachedHead: number;
  // Result registers of locate(), kept as fields so the hot path allocates nothing.
  private framePos = 0;
  private frameLen = 0;
  private frameNext = 0;
  private maxSpin = 2000;
  private spinBudget = 2000;
  private waitsSinceProbe = 0;
  private readonly lingerSpin = new AdaptiveSpin();

  /** Bytes a ring of `capacity` data bytes occupies (header + data). */
  static regionBytes(capacity: number): number {
    return RING_HEADER_BYTES + capacity;
  }

  /** Writes a fresh (empty) ring header; only for rings outside a bus made by `createBus`. */
  static init(sab: SharedArrayBuffer, byteOffset: number, capacity: number): RingBuffer {
    RingBuffer.checkGeometry(sab, byteOffset, capacity);
    const hdr = new Int32Array(sab, byteOffset, RING_HEADER_BYTES / 4);
    hdr.fill(0);
    hdr[RING_HDR.CAPACITY] = capacity;
    Atomics.store(hdr, RING_HDR.MAGIC, RING_MAGIC);
    return new RingBuffer(sab, byteOffset, capacity);
  }

  /** Host -> worker ring of worker `index`. */
  static inbox(sab: SharedArrayBuffer, layout: Layout, index: number): RingBuffer {
    return new RingBuffer(sab, inboxOffset(layout, index), layout.ringBytes);
  }

  /** Worker -> host ring of worker `index`. */
  static outbox(sab: SharedArrayBuffer, layout: Layout, index: number): RingBuffer {
    return new RingBuffer(sab, outboxOffset(layout, index), layout.ringBytes);
  }

  private static checkGeometry(sab: SharedArrayBuffer, byteOffset: number, capacity: number): void {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('RingBuffer: expected a SharedArrayBuffer');
    if (
      !Number.isInteger(capacity) ||
      capacity < RING_MIN_BYTES ||
      capacity > MAX_CAPACITY ||
      (capacity & (capacity - 1)) !== 0
    ) {
      throw new RangeError(
        `RingBuffer: capacity must be a power of two in ${RING_MIN_BYTES}..${MAX_CAPACITY}; got ${capacity}`,
      );
    }
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0) {
      throw new RangeError(`RingBuffer: byteOffset must be a non-negative multiple of 64; got ${byteOffset}`);
    }
    if (byteOffset + RingBuffer.regionBytes(capacity) > sab.byteLength) {
      throw new RangeError(
        `RingBuffer: region ${byteOffset}+${RingBuffer.regionBytes(capacity)} exceeds the ${sab.byteLength} B buffer`,
      );
    }
  }

  constructor(sab: SharedArrayBuffer, byteOffset: number, capacity: number) {
    RingBuffer.checkGeometry(sab, byteOffset, capacity);
    this.hdr = new Int32Array(sab, byteOffset, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.hdr, RING_HDR.MAGIC) !== RING_MAGIC || this.hdr[RING_HDR.CAPACITY] !== capacity) {
      throw new Error(
        `RingBuffer: no ring of capacity ${capacity} at offset ${byteOffset} (header says ${this.hdr[RING_HDR.CAPACITY]}); ` +
          `create the bus with createBus or call RingBuffer.init`,
      );
    }
    this.byteOffset = byteOffset;
    this.capacity = capacity;
    this.maxPayload = capacity - 4;
    this.mask = capacity - 1;
    this.data = new Uint8Array(sab, byteOffset + RING_HEADER_BYTES, capacity);
    this.words = new Int32Array(sab, byteOffset + RING_HEADER_BYTES, capacity / 4);
    this.cachedTail = Atomics.load(this.hdr, RING_HDR.TAIL);
    this.cachedHead = Atomics.load(this.hdr, RING_HDR.HEAD);
  }

  /** Most index polls before a blocking wait sleeps; 0 always sleeps at once. */
  get spinIterations(): number {
    return this.maxSpin;
  }

  set spinIterations(n: number) {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`RingBuffer.spinIterations must be a non-negative integer; got ${n}`);
    this.maxSpin = n;
    this.spinBudget = n;
  }

  /** Frames published so far (wrapping); bumped after each publishing store of HEAD. */
  get writeEpoch(): number {
    return Atomics.load(this.hdr, RING_HDR.WRITE_EPOCH);
  }

  get readEpoch(): number {
    return Atomics.load(this.hdr, RING_HDR.READ_EPOCH);
  }

  /** Bytes in use (frames + padding) as seen now. */
  usedBytes(): number {
    return (Atomics.load(this.hdr, RING_HDR.HEAD) - Atomics.load(this.hdr, RING_HDR.TAIL)) >>> 0;
  }

  private corrupt(message: string, head: number, tail: number): never {
    throw new RingCorruptError(message, this.byteOffset, head, tail);
  }

  /** Producer: appends one frame. Returns false when the ring is full (never overwrites or drops). */
  tryWrite(frame: Uint8Array): boolean {
    const len = frame.length;
    if (len > this.maxPayload) {
      throw new RangeError(
        `RingBuffer.tryWrite: frame of ${len} B exceeds this ring's maximum payload of ${this.maxPayload} B`,
      );
    }
    const size = 4 + pad4(len);
    const head = this.hdr[RING_HDR.HEAD] ?? 0;
    const pos = head & this.mask;
    const toEnd = this.capacity - pos;
    const need = size <= toEnd ? size : toEnd + size;
    let used = (head - this.cachedTail) >>> 0;
    if (used + need > this.capacity) {
      this.cachedTail = Atomics.load(this.hdr, RING_HDR.TAIL);
      used = (head - this.cachedTail) >>> 0;
      if (used > this.capacity || (head & 3) !== 0)
        this.corrupt('write: indices out of range', head, this.cachedTail);
      if (used + need > this.capacity) {
        // The frame will only ever fit at index 0: publish the padding now, so an empty ring cannot
        // deadlock with a frame larger than the space left before the end.
        if (size > toEnd && used + toEnd <= this.capacity) {
          this.words[pos >> 2] = SKIP;
          Atomics.store(this.hdr, RING_HDR.HEAD, (head + toEnd) | 0);
          // A sleeping reader must consume the padding, or both sides wait for each other forever.
          if (Atomics.load(this.hdr, RING_HDR.READER_WAITING) !== 0) Atomics.notify(this.hdr, RING_HDR.HEAD);
        }
        return false;
      }
    }
    let at = pos;
    let next = head + size;
    if (size > toEnd) {
      this.words[pos >> 2] = SKIP;
      at = 0;
      next += toEnd;
    }
    this.words[at >> 2] = len;
    this.data.set(frame, at + 4);
    Atomics.store(this.hdr, RING_HDR.HEAD, next | 0);
    this.hdr[RING_HDR.WRITE_EPOCH] = ((this.hdr[RING_HDR.WRITE_EPOCH] ?? 0) + 1) | 0;
    if (Atomics.load(this.hdr, RING_HDR.READER_WAITING) !== 0) Atomics.notify(this.hdr, RING_HDR.HEAD);
    return true;
  }

  /**
   * Consumer: finds the next frame (skipping a SKIP marker) and leaves it in the frame registers.
   * Returns false when no frame is published. Every length is bounds-checked before use.
   */
  private locate(): boolean {
    const tail = this.hdr[RING_HDR.TAIL] ?? 0;
    let avail = (this.cachedHead - tail) >>> 0;
    if (avail === 0 || avail > this.capacity) {
      this.cachedHead = Atomics.load(this.hdr, RING_HDR.HEAD);
      avail = (this.cachedHead - tail) >>> 0;
      if (avail > this.capacity || ((this.cachedHead | tail) & 3) !== 0) {
        this.corrupt('read: indices out of range', this.cachedHead, tail);
      }
      if (avail === 0) return false;
    }
    let pos = tail & this.mask;
    let t = tail;
    let len = this.words[pos >> 2] ?? SKIP;
    if (len === SKIP) {
      const toEnd = this.capacity - pos;
      if (pos === 0 || toEnd > avail)
        this.corrupt(`read: invalid skip marker at index ${pos}`, this.cachedHead, tail);
      t = (t + toEnd) | 0;
      avail -= toEnd;
      if (avail === 0) {
        // Only padding was known: consume it, then look again, since the cached HEAD may be stale.
        this.releaseTo(t);
        this.cachedHead = Atomics.load(this.hdr, RING_HDR.HEAD);
        avail = (this.cachedHead - t) >>> 0;
        if (avail > this.capacity || (this.cachedHead & 3) !== 0) {
          this.corrupt('read: indices out of range', this.cachedHead, t);
        }
        if (avail === 0) return false;
      }
      pos = 0;
      len = this.words[0] ?? SKIP;
    }
    if (len < 0 || len > this.maxPayload || 4 + pad4(len) > avail || 4 + pad4(len) > this.capacity - pos) {
      this.corrupt(
        `read: frame length ${len} at index ${pos} exceeds the ${avail} B published`,
        this.cachedHead,
        tail,
      );
    }
    this.framePos = pos + 4;
    this.frameLen = len;
    this.frameNext = (t + 4 + pad4(len)) | 0;
    return true;
  }

  private releaseTo(tail: number): void {
    Atomics.store(this.hdr, RING_HDR.TAIL, tail);
    if (Atomics.load(this.hdr, RING_HDR.WRITER_WAITING) !== 0) Atomics.notify(this.hdr, RING_HDR.TAIL);
  }

  private consume(): void {
    this.releaseTo(this.frameNext);
    this.hdr[RING_HDR.READ_EPOCH] = ((this.hdr[RING_HDR.READ_EPOCH] ?? 0) + 1) | 0;
  }

  /** Consumer: the next frame as a non-shared copy (TextDecoder and postMessage accept it), or null. */
  tryRead(): Uint8Array | null {
    if (!this.locate()) return null;
    // slice() allocates a fresh, non-shared ArrayBuffer.
    const out = this.data.slice(this.framePos, this.framePos + this.frameLen);
    this.consume();
    return out;
  }

  /**
   * Consumer: copies the next frame into `dst` and returns its length, or -1 when empty. Throws
   * RangeError (and leaves the frame in place) when `dst` is too small.
   */
  tryReadInto(dst: Uint8Array): number {
    if (!this.locate()) return -1;
    const len = this.frameLen;
    if (len > dst.length)
      throw new RangeError(`RingBuffer.tryReadInto: frame of ${len} B does not fit a ${dst.length} B buffer`);
    dst.set(this.data.subarray(this.framePos, this.framePos + len));
    this.consume();
    return len;
  }

  /**
   * Consumer, zero-copy: calls `visit` with a view of the next frame inside the ring, then consumes
   * the frame (even if `visit` throws, so a poison frame cannot wedge the ring). The view is only
   * valid during the call: the producer may overwrite it afterwards. Returns undefined when empty.
   */
  tryReadView<T>(visit: (view: Uint8Array) => T): T | undefined {
    if (!this.locate()) return undefined;
    try {
      return visit(this.data.subarray(this.framePos, this.framePos + this.frameLen));
    } finally {
      this.consume();
    }
  }

  /**
   * Consumer: polls for a frame for up to `maxUs` microseconds and never sleeps (no Atomics.wait, so
   * legal on a page's main thread too); true when a frame is available. The bounded spin a caller
   * runs when a frame is expected shortly (a worker just after a job, the host just after a
   * dispatch): a futex wake or a waitAsync task hop costs tens of µs. The clock is read every 64
   * polls (performance.now() costs more than an Atomics.load).
   *
   * Adaptive (AdaptiveSpin): a spin that ran out halves the next one.
   */
  spinReadable(maxUs: number): boolean {
    if (this.locate()) return true;
    let seen = this.cachedHead;
    return this.lingerSpin.spin(maxUs, () => {
      if (Atomics.load(this.hdr, RING_HDR.HEAD) === seen) return false;
      if (this.locate()) return true;
      seen = this.cachedHead; // only padding was published: keep polling
      return false;
    });
  }

  /** Sleeps until HEAD moves past what this consumer has seen or the deadline passes. */
  private sleep(index: number, flag: number, seen: number, left: number): void {
    let budget = this.spinBudget;
    if (budget < 16 && ++this.waitsSinceProbe >= 16) {
      budget = this.maxSpin;
      this.waitsSinceProbe = 0;
    }
    for (let i = 0; i < budget; i++) {
      if (Atomics.load(this.hdr, index) !== seen) {
        this.spinBudget = this.maxSpin;
        return;
      }
    }
    this.spinBudget = budget >> 1;
    Atomics.store(this.hdr, flag, 1);
    if (Atomics.load(this.hdr, index) === seen) Atomics.wait(this.hdr, index, seen, left);
    Atomics.store(this.hdr, flag, 0);
  }

  private async sleepAsync(
    index: number,
    flag: number,
    seen: number,
    left: number,
    signal?: AbortSignal,
  ): Promise<void> {
    Atomics.store(this.hdr, flag, 1);
    const onAbort = (): void => void Atomics.notify(this.hdr, index);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (Atomics.load(this.hdr, index) !== seen) return;
      const r = Atomics.waitAsync(this.hdr, index, seen, left);
      if (r.async) await r.value;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      Atomics.store(this.hdr, flag, 0);
    }
  }

  private static assertCanBlock(method: string): void {
    if (!canBlock())
      throw new TypeError(
        `RingBuffer.${method}: Atomics.wait is not allowed on this thread; use ${method}Async`,
      );
  }

  /** Blocks (workers / Node) until a frame is available; true if one is, false on timeout. */
  waitReadable(timeoutMs = Infinity): boolean {
    if (this.locate()) return true;
    RingBuffer.assertCanBlock('waitReadable');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.locate()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      this.sleep(RING_HDR.HEAD, RING_HDR.READER_WAITING, this.cachedHead, left);
    }
  }

  async waitReadableAsync(timeoutMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.locate()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await this.sleepAsync(RING_HDR.HEAD, RING_HDR.READER_WAITING, this.cachedHead, left, signal);
    }
  }

  /** Blocking read: a copy of the next frame, or null on timeout. Not on a document main thread. */
  read(timeoutMs = Infinity): Uint8Array | null {
    return this.waitReadable(timeoutMs) ? this.tryRead() : null;
  }

  async readAsync(timeoutMs = Infinity, signal?: AbortSignal): Promise<Uint8Array | null> {
    return (await this.waitReadableAsync(timeoutMs, signal)) ? this.tryRead() : null;
  }

  /** Blocking write: waits for space (back-pressure); false on timeout. Not on a document main thread. */
  write(frame: Uint8Array, timeoutMs = Infinity): boolean {
    if (this.tryWrite(frame)) return true;
    RingBuffer.assertCanBlock('write');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.tryWrite(frame)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      this.sleep(RING_HDR.TAIL, RING_HDR.WRITER_WAITING, this.cachedTail, left);
    }
  }

  async writeAsync(frame: Uint8Array, timeoutMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.tryWrite(frame)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await this.sleepAsync(RING_HDR.TAIL, RING_HDR.WRITER_WAITING, this.cachedTail, left, signal);
    }
  }
}
