/**
 * Shared buddy allocator over the arena region of the bus, usable from any thread at once.
 *
 * Blocks are 2^order units of ARENA_UNIT_BYTES (64 B). A request of n units takes the smallest free
 * block of order k = ceil(log2 n), splits larger blocks down to k, and then hands the unused tail
 * (2^k - n units) straight back as smaller aligned blocks ("exact" buddy allocation, as Linux's
 * alloc_pages_exact). Waste is therefore under one unit per allocation instead of up to half the
 * block, which is what keeps requested/reserved above 0.8 (a plain power-of-two buddy averages
 * ~0.72-0.75 on uniform sizes). Freeing splits the range back into aligned blocks and coalesces each
 * with its buddy as usual.
 *
 * All metadata lives in the SharedArrayBuffer (`ARENA_META` in layout.ts): counters, one free-list
 * head per order, a "free block" bitmap per order, and "allocation starts here" / "allocation ends
 * here" bitmaps with one bit per unit. Free-list links (next, prev unit index) are stored inside the
 * free blocks themselves. The start/end bitmaps let `free` prove that a ref is exactly one live
 * allocation before it touches anything, so double frees and foreign refs throw instead of corrupting.
 *
 * Mutual exclusion: one futex-style lock word holding the holder's owner token (0 free; bit 30 set
 * when sleepers may wait — Drepper, "Futexes Are Tricky", mutex 2 with the owner in the word).
 * Sleeping uses Atomics.wait where the thread may block and spins elsewhere (document main thread);
 * a deadline turns a dead lock holder into an error. Because the word names its holder, a supervisor
 * that terminated a worker can take the lock over from it (`recover`): the metadata is then rebuilt
 * from the start/end bitmaps, which every operation updates in an order that keeps them a true record
 * of the live allocations (alloc records the block in the worker's slot before marking it; free clears
 * the marks before anything else), and the dead worker's output block is freed.
 */
import { canBlock } from './can-block.ts';
import {
  ARENA_META,
  ARENA_UNIT_BYTES,
  arenaBitmapWords,
  arenaMaxOrder,
  computeArenaRegion,
  controlWords,
  CTRL,
  WORKER_SLOT,
} from './layout.ts';
import type { ArenaRegion } from './layout.ts';
import {
  ArenaCorruptError,
  ArenaExhaustedError,
  ArenaLockTimeoutError,
  ArenaRefError,
} from './arena-errors.ts';

export { ArenaCorruptError, ArenaExhaustedError, ArenaLockTimeoutError, ArenaRefError };

/** A live allocation: absolute byte offset into the SharedArrayBuffer, and the bytes requested. */
export interface ArenaRef {
  readonly offset: number;
  readonly length: number;
}

export interface ArenaStats {
  capacityBytes: number;
  freeBytes: number;
  /** Bytes held by live blocks (whole units). */
  reservedBytes: number;
  /** Bytes asked for by live allocations. */
  requestedBytes: number;
  /** requestedBytes / reservedBytes (1 when nothing is live). */
  efficiency: number;
  liveAllocations: number;
  largestFreeBlockBytes: number;
  /** The largest request that can ever succeed (the largest block order that fits the arena). */
  maxAllocBytes: number;
  peakReservedBytes: number;
  totalAllocs: number;
  totalFrees: number;
  failedAllocs: number;
  metadataBytes: number;
}

const INIT_BUSY = 1;
const INIT_READY = 0x4152454e; // 'AREN'
const LINK_STRIDE = ARENA_UNIT_BYTES / 4;
const NIL = -1;
/** Lock word flag: another thread may be sleeping on the lock. */
const LOCK_WAITERS = 1 << 30;
/** The owner token of the bus's host thread (and of standalone arenas): never a worker's. */
export const HOST_OWNER = 0xff;

/** The owner token of worker `index` in its `generation`: unique while the bus lives (index < 255). */
export function workerOwner(index: number, generation: number): number {
  return ((generation & 0x3fff) << 8) | (index + 1);
}

export interface ArenaOptions {
  lockTimeoutMs?: number;
  /** This thread's owner token (`workerOwner(...)` in a worker); default HOST_OWNER. */
  owner?: number;
  /**
   * Test seam: called inside alloc/free while the lock is held and the metadata is half updated,
   * so a test can kill the thread at the worst moment. Never set in the product.
   */
  inCriticalSection?: (op: 'alloc' | 'free') => void;
}

export interface ArenaRecovery {
  /** The dead owner held the lock and it was taken over (the metadata was rebuilt). */
  lockRecovered: boolean;
  /** Bytes of the dead worker's output block that were freed (0: none). */
  freedBytes: number;
}

export class Arena {
  readonly layout: ArenaRegion;
  readonly sab: SharedArrayBuffer;
  private readonly meta: Int32Array;
  private readonly links: Int32Array;
  private readonly ctrl: Int32Array;
  private readonly units: number;
  private readonly maxOrder: number;
  private readonly freeBits: readonly number[];
  private readonly startBits: number;
  private readonly endBits: number;
  private readonly lockTimeoutMs: number;
  private readonly owner: number;
  private readonly hook: ArenaOptions['inCriticalSection'];

  /** An arena in its own SharedArrayBuffer, outside any bus (tests, scratch space). */
  static standalone(arenaBytes: number, opts: ArenaOptions = {}): Arena {
    const region = computeArenaRegion(arenaBytes);
    return new Arena(new SharedArrayBuffer(region.byteLength), region, opts);
  }

  /** `layout` is the bus Layout (or a standalone ArenaRegion); every thread passes the same one. */
  constructor(sab: SharedArrayBuffer, layout: ArenaRegion, opts: ArenaOptions = {}) {
    if (layout.arenaOffset + layout.arenaBytes > sab.byteLength) {
      throw new RangeError(
        `Arena: layout needs ${layout.arenaOffset + layout.arenaBytes} B, buffer has ${sab.byteLength} B`,
      );
    }
    this.sab = sab;
    this.layout = layout;
    this.units = layout.arenaUnits;
    this.maxOrder = arenaMaxOrder(this.units);
    const bm = arenaBitmapWords(this.units);
    this.freeBits = bm.freeBits;
    this.startBits = bm.startBits;
    this.endBits = bm.endBits;
    this.meta = new Int32Array(sab, layout.arenaMetaOffset, layout.arenaMetaBytes / 4);
    this.links = new Int32Array(sab, layout.arenaOffset, layout.arenaBytes / 4);
    this.ctrl = controlWords(sab, layout);
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    this.owner = opts.owner ?? HOST_OWNER;
    if (!Number.isInteger(this.owner) || this.owner <= 0 || this.owner >= LOCK_WAITERS)
      throw new RangeError(`Arena: owner token must be an integer in 1..2^30-1; got ${this.owner}`);
    this.hook = opts.inCriticalSection;
    this.ensureInitialised();
    if (this.meta[ARENA_META.UNITS] !== this.units) {
      throw new ArenaCorruptError(
        `Arena: metadata says ${this.meta[ARENA_META.UNITS]} units, layout says ${this.units}`,
      );
    }
  }

  /** The first constructor on any thread formats the metadata; the others wait for it. */
  private ensureInitialised(): void {
    const m = this.meta;
    if (Atomics.load(m, ARENA_META.INIT) === INIT_READY) return;
    if (Atomics.compareExchange(m, ARENA_META.INIT, 0, INIT_BUSY) === 0) {
      // Everything after INIT: zeroing INIT itself would let a second thread claim the format.
      m.fill(0, ARENA_META.INIT + 1);
      m[ARENA_META.UNITS] = this.units;
      m[ARENA_META.MAX_ORDER] = this.maxOrder;
      for (let o = 0; o <= this.maxOrder; o++) m[ARENA_META.FREE_HEADS + o] = NIL;
      this.freeRange(0, this.units);
      m[ARENA_META.FREE_UNITS] = this.units;
      Atomics.store(m, ARENA_META.INIT, INIT_READY);
      Atomics.notify(m, ARENA_META.INIT);
      return;
    }
    const deadline = performance.now() + this.lockTimeoutMs;
    while (Atomics.load(m, ARENA_META.INIT) !== INIT_READY) {
      if (performance.now() > deadline)
        throw new ArenaLockTimeoutError('Arena: timed out waiting for another thread to format the arena');
      if (canBlock()) Atomics.wait(m, ARENA_META.INIT, INIT_BUSY, 10);
    }
  }

  private lock(): void {
    const m = this.meta;
    const me = this.owner;
    if (Atomics.compareExchange(m, ARENA_META.LOCK, 0, me) === 0) return;
    // Critical sections are a few microseconds: spin briefly before paying for a sleep.
    for (let i = 0; i < 64; i++) {
      if (Atomics.load(m, ARENA_META.LOCK) === 0 && Atomics.compareExchange(m, ARENA_META.LOCK, 0, me) === 0)
        return;
    }
    const blocking = canBlock();
    const deadline = performance.now() + this.lockTimeoutMs;
    for (;;) {
      let c = Atomics.load(m, ARENA_META.LOCK);
      if (c === 0) {
        // Taken with the waiters flag: others may still sleep, so our unlock must wake one.
        if (Atomics.compareExchange(m, ARENA_META.LOCK, 0, me | LOCK_WAITERS) === 0) return;
        continue;
      }
      if ((c & LOCK_WAITERS) === 0) {
        if (Atomics.compareExchange(m, ARENA_META.LOCK, c, c | LOCK_WAITERS) !== c) continue;
        c |= LOCK_WAITERS;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new ArenaLockTimeoutError(
          `Arena: lock not acquired within ${this.lockTimeoutMs} ms (held by owner ${c & ~LOCK_WAITERS}, which may have died)`,
        );
      }
      if (blocking) Atomics.wait(m, ARENA_META.LOCK, c, Math.min(left, 50));
    }
  }

  private unlock(): void {
    if (Atomics.exchange(this.meta, ARENA_META.LOCK, 0) & LOCK_WAITERS)
      Atomics.notify(this.meta, ARENA_META.LOCK, 1);
  }

  /** The owner token holding the lock now, or 0. */
  lockHolder(): number {
    return Atomics.load(this.meta, ARENA_META.LOCK) & ~LOCK_WAITERS;
  }

  /**
   * Cleans up after a thread that was terminated: if it held the lock, takes the lock over and
   * rebuilds the metadata from the start/end bitmaps (its half-done operation is undone); then frees
   * the output block recorded in its worker `slot` (OUT_UNIT/OUT_BYTES), if that block is still live.
   * Call it only once the thread is really gone (after `terminate()` settled).
   */
  recover(deadOwner: number, slot?: Int32Array): ArenaRecovery {
    const m = this.meta;
    let lockRecovered = false;
    const c = Atomics.load(m, ARENA_META.LOCK);
    if (c !== 0 && (c & ~LOCK_WAITERS) === deadOwner && deadOwner !== this.owner)
      lockRecovered = Atomics.compareExchange(m, ARENA_META.LOCK, c, this.owner | (c & LOCK_WAITERS)) === c;
    if (!lockRecovered) this.lock();
    let freedBytes = 0;
    try {
      if (lockRecovered) this.rebuild();
      if (slot) {
        const u1 = Atomics.load(slot, WORKER_SLOT.OUT_UNIT);
        const bytes = Atomics.load(slot, WORKER_SLOT.OUT_BYTES);
        if (u1 > 0 && bytes > 0) {
          const u = u1 - 1;
          const n = Math.ceil(bytes / ARENA_UNIT_BYTES);
          if (u + n <= this.units && this.isAllocation(u, n)) {
            this.release(u, n, bytes);
            freedBytes = bytes;
          }
        }
        Atomics.store(slot, WORKER_SLOT.OUT_UNIT, 0);
        Atomics.store(slot, WORKER_SLOT.OUT_BYTES, 0);
      }
    } finally {
      this.unlock();
    }
    if (freedBytes > 0 || lockRecovered) {
      Atomics.add(this.ctrl, CTRL.ARENA_EPOCH, 1);
      Atomics.notify(this.ctrl, CTRL.ARENA_EPOCH);
    }
    return { lockRecovered, freedBytes };
  }

  /** True when [u, u+n) is exactly one live allocation according to the start/end bitmaps. */
  private isAllocation(u: number, n: number): boolean {
    return (
      this.bit(this.startBits, u) === 1 &&
      this.bit(this.endBits, u + n - 1) === 1 &&
      !this.anyBit(this.startBits, u + 1, u + n)
    );
  }

  /**
   * Rebuilds free lists, free bitmaps and counters from the start/end bitmaps (lock held). A start
   * without its end (an alloc cut short) is dropped; what is not a live allocation is free.
   * LIVE_REQUESTED cannot be recomputed exactly (only whole units are recorded): it is capped at the
   * reserved bytes.
   */
  private rebuild(): void {
    const m = this.meta;
    for (let o = 0; o <= this.maxOrder; o++) {
      m[ARENA_META.FREE_HEADS + o] = NIL;
      const base = this.freeBits[o] ?? 0;
      m.fill(0, base, base + Math.ceil(Math.ceil(this.units / 2 ** o) / 32));
    }
    let live = 0;
    let used = 0;
    let freeFrom = 0;
    let u = 0;
    while (u < this.units) {
      if (this.bit(this.startBits, u) === 1) {
        let e = u;
        while (
          e < this.units &&
          this.bit(this.endBits, e) === 0 &&
          (e === u || this.bit(this.startBits, e) === 0)
        )
          e++;
        if (
          e < this.units &&
          this.bit(this.endBits, e) === 1 &&
          (e === u || this.bit(this.startBits, e) === 0)
        ) {
          this.freeRange(freeFrom, u);
          live++;
          used += e - u + 1;
          freeFrom = e + 1;
          u = e + 1;
          continue;
        }
        this.setBit(this.startBits, u, false); // torn: never handed out
      } else if (this.bit(this.endBits, u) === 1) this.setBit(this.endBits, u, false);
      u++;
    }
    this.freeRange(freeFrom, this.units);
    m[ARENA_META.FREE_UNITS] = this.units - used;
    m[ARENA_META.LIVE_ALLOCS] = live;
    m[ARENA_META.LIVE_REQUESTED] = Math.min(m[ARENA_META.LIVE_REQUESTED] ?? 0, used * ARENA_UNIT_BYTES);
  }

  private bit(base: number, i: number): number {
    return ((this.meta[base + (i >>> 5)] ?? 0) >>> (i & 31)) & 1;
  }

  private setBit(base: number, i: number, on: boolean): void {
    const w = base + (i >>> 5);
    const cur = this.meta[w] ?? 0;
    this.meta[w] = on ? cur | (1 << (i & 31)) : cur & ~(1 << (i & 31));
  }

  /** True when any bit in [from, to) is set; scans whole words, so a 16 MiB block is ~8k reads. */
  private anyBit(base: number, from: number, to: number): boolean {
    for (let i = from; i < to;) {
      const off = i & 31;
      const n = Math.min(32 - off, to - i);
      const mask = n === 32 ? -1 : ((1 << n) - 1) << off;
      if (((this.meta[base + (i >>> 5)] ?? 0) & mask) !== 0) return true;
      i += n;
    }
    return false;
  }

  private checkUnit(u: number, what: string): void {
    if (!Number.isInteger(u) || u < NIL || u >= this.units)
      throw new ArenaCorruptError(`Arena: ${what} link ${u} out of range`);
  }

  private push(u: number, o: number): void {
    const headIdx = ARENA_META.FREE_HEADS + o;
    const next = this.meta[headIdx] ?? NIL;
    this.links[u * LINK_STRIDE] = next;
    this.links[u * LINK_STRIDE + 1] = NIL;
    if (next !== NIL) this.links[next * LINK_STRIDE + 1] = u;
    this.meta[headIdx] = u;
    this.setBit(this.freeBits[o] ?? 0, u >>> o, true);
  }

  private remove(u: number, o: number): void {
    const next = this.links[u * LINK_STRIDE] ?? NIL;
    const prev = this.links[u * LINK_STRIDE + 1] ?? NIL;
    this.checkUnit(next, 'next');
    this.checkUnit(prev, 'prev');
    if (prev === NIL) this.meta[ARENA_META.FREE_HEADS + o] = next;
    else this.links[prev * LINK_STRIDE] = next;
    if (next !== NIL) this.links[next * LINK_STRIDE + 1] = prev;
    this.setBit(this.freeBits[o] ?? 0, u >>> o, false);
  }

  private freeBlock(p: number, o: number): void {
    while (o < this.maxOrder) {
      const size = 1 << o;
      const buddy = p ^ size;
      if (buddy + size > this.units || this.bit(this.freeBits[o] ?? 0, buddy >>> o) === 0) break;
      this.remove(buddy, o);
      p = Math.min(p, buddy);
      o++;
    }
    this.push(p, o);
  }

  /** Returns [p, end) to the free lists as maximal aligned blocks. */
  private freeRange(p: number, end: number): void {
    while (p < end) {
      let o = p === 0 ? this.maxOrder : Math.min(this.maxOrder, 31 - Math.clz32(p & -p));
      while (p + (1 << o) > end) o--;
      this.freeBlock(p, o);
      p += 1 << o;
    }
  }

  private largestFreeOrder(): number {
    for (let o = this.maxOrder; o >= 0; o--)
      if ((this.meta[ARENA_META.FREE_HEADS + o] ?? NIL) !== NIL) return o;
    return -1;
  }

  /**
   * Allocates `bytes` (>= 1) and returns its ref; throws ArenaExhaustedError when no block fits. With
   * a worker `slot`, the block is recorded there as the worker's output (see `recover`).
   */
  alloc(bytes: number, slot?: Int32Array): ArenaRef {
    if (!Number.isInteger(bytes) || bytes < 1)
      throw new RangeError(`Arena.alloc: bytes must be a positive integer; got ${bytes}`);
    const n = Math.ceil(bytes / ARENA_UNIT_BYTES);
    const k = n > 2 ** this.maxOrder ? this.maxOrder + 1 : n === 1 ? 0 : 32 - Math.clz32(n - 1);
    const m = this.meta;
    this.lock();
    let u = NIL;
    try {
      let o = k;
      while (o <= this.maxOrder && (m[ARENA_META.FREE_HEADS + o] ?? NIL) === NIL) o++;
      if (o > this.maxOrder) {
        m[ARENA_META.FAILED_ALLOCS] = (m[ARENA_META.FAILED_ALLOCS] ?? 0) + 1;
        const largest = this.largestFreeOrder();
        throw new ArenaExhaustedError(
          bytes,
          (m[ARENA_META.FREE_UNITS] ?? 0) * ARENA_UNIT_BYTES,
          largest < 0 ? 0 : 2 ** largest * ARENA_UNIT_BYTES,
        );
      }
      u = m[ARENA_META.FREE_HEADS + o] ?? NIL;
      if (u < 0 || u >= this.units || u % (1 << o) !== 0 || this.bit(this.freeBits[o] ?? 0, u >>> o) === 0) {
        throw new ArenaCorruptError(`Arena: free list ${o} head ${u} is not a free block`);
      }
      if (slot) {
        // Recorded before it is marked: a thread killed from here on leaves a record that recover()
        // checks against the bitmaps.
        Atomics.store(slot, WORKER_SLOT.OUT_UNIT, u + 1);
        Atomics.store(slot, WORKER_SLOT.OUT_BYTES, bytes);
      }
      this.remove(u, o);
      this.hook?.('alloc');
      while (o > k) {
        o--;
        this.push(u + (1 << o), o);
      }
      if (n < 1 << k) this.freeRange(u + n, u + (1 << k));
      this.setBit(this.startBits, u, true);
      this.setBit(this.endBits, u + n - 1, true);
      const free = (m[ARENA_META.FREE_UNITS] ?? 0) - n;
      m[ARENA_META.FREE_UNITS] = free;
      m[ARENA_META.LIVE_ALLOCS] = (m[ARENA_META.LIVE_ALLOCS] ?? 0) + 1;
      m[ARENA_META.LIVE_REQUESTED] = (m[ARENA_META.LIVE_REQUESTED] ?? 0) + bytes;
      m[ARENA_META.TOTAL_ALLOCS] = (m[ARENA_META.TOTAL_ALLOCS] ?? 0) + 1;
      if (this.units - free > (m[ARENA_META.PEAK_USED_UNITS] ?? 0))
        m[ARENA_META.PEAK_USED_UNITS] = this.units - free;
    } finally {
      this.unlock();
    }
    return { offset: this.layout.arenaOffset + u * ARENA_UNIT_BYTES, length: bytes };
  }

  /** Like alloc, but returns null instead of throwing when the arena is exhausted. */
  tryAlloc(bytes: number): ArenaRef | null {
    try {
      return this.alloc(bytes);
    } catch (e) {
      if (e instanceof ArenaExhaustedError) return null;
      throw e;
    }
  }

  /** Units [u, u+n) of a ref, after bounds checks that need no lock. */
  private unitsOf(ref: ArenaRef, method: string): [number, number] {
    const { offset, length } = ref;
    const rel = offset - this.layout.arenaOffset;
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      length < 1 ||
      rel < 0 ||
      rel % ARENA_UNIT_BYTES !== 0
    ) {
      throw new ArenaRefError(
        `Arena.${method}: {offset: ${offset}, length: ${length}} is not an allocation of this arena`,
      );
    }
    const u = rel / ARENA_UNIT_BYTES;
    const n = Math.ceil(length / ARENA_UNIT_BYTES);
    if (u + n > this.units)
      throw new ArenaRefError(`Arena.${method}: {offset: ${offset}, length: ${length}} runs past the arena`);
    return [u, n];
  }

  /**
   * Releases a live allocation; throws ArenaRefError on a double free, a foreign or a resized ref.
   * With a worker `slot` whose record names this block, the record is cleared too.
   */
  free(ref: ArenaRef, slot?: Int32Array): void {
    const [u, n] = this.unitsOf(ref, 'free');
    this.lock();
    try {
      if (this.bit(this.startBits, u) === 0) {
        throw new ArenaRefError(
          `Arena.free: no live allocation starts at offset ${ref.offset} (double free or foreign ref)`,
        );
      }
      if (this.bit(this.endBits, u + n - 1) === 0 || this.anyBit(this.startBits, u + 1, u + n)) {
        throw new ArenaRefError(
          `Arena.free: length ${ref.length} does not match the allocation at offset ${ref.offset}`,
        );
      }
      this.release(u, n, ref.length);
      if (slot && Atomics.load(slot, WORKER_SLOT.OUT_UNIT) === u + 1) {
        Atomics.store(slot, WORKER_SLOT.OUT_UNIT, 0);
        Atomics.store(slot, WORKER_SLOT.OUT_BYTES, 0);
      }
    } finally {
      this.unlock();
    }
    // Lets a thread that waits for memory (on CTRL.ARENA_EPOCH) retry.
    Atomics.add(this.ctrl, CTRL.ARENA_EPOCH, 1);
    Atomics.notify(this.ctrl, CTRL.ARENA_EPOCH);
  }

  /** Frees [u, u+n), a checked live allocation of `bytes` (lock held). Marks go first (see header). */
  private release(u: number, n: number, bytes: number): void {
    const m = this.meta;
    this.setBit(this.startBits, u, false);
    this.setBit(this.endBits, u + n - 1, false);
    this.hook?.('free');
    this.freeRange(u, u + n);
    m[ARENA_META.FREE_UNITS] = (m[ARENA_META.FREE_UNITS] ?? 0) + n;
    m[ARENA_META.LIVE_ALLOCS] = (m[ARENA_META.LIVE_ALLOCS] ?? 0) - 1;
    m[ARENA_META.LIVE_REQUESTED] = (m[ARENA_META.LIVE_REQUESTED] ?? 0) - bytes;
    m[ARENA_META.TOTAL_FREES] = (m[ARENA_META.TOTAL_FREES] ?? 0) + 1;
  }

  /** Zero-copy view of a live allocation inside the SharedArrayBuffer (exactly `ref.length` bytes). */
  view(ref: ArenaRef): Uint8Array {
    const [u] = this.unitsOf(ref, 'view');
    // Atomic load without the lock: the start bit of a live allocation is stable while it lives.
    if (((Atomics.load(this.meta, this.startBits + (u >>> 5)) >>> (u & 31)) & 1) === 0) {
      throw new ArenaRefError(`Arena.view: no live allocation starts at offset ${ref.offset}`);
    }
    return new Uint8Array(this.sab, ref.offset, ref.length);
  }

  stats(): ArenaStats {
    const m = this.meta;
    this.lock();
    try {
      const freeUnits = m[ARENA_META.FREE_UNITS] ?? 0;
      const reserved = (this.units - freeUnits) * ARENA_UNIT_BYTES;
      const requested = m[ARENA_META.LIVE_REQUESTED] ?? 0;
      const largest = this.largestFreeOrder();
      return {
        capacityBytes: this.units * ARENA_UNIT_BYTES,
        freeBytes: freeUnits * ARENA_UNIT_BYTES,
        reservedBytes: reserved,
        requestedBytes: requested,
        efficiency: reserved === 0 ? 1 : requested / reserved,
        liveAllocations: m[ARENA_META.LIVE_ALLOCS] ?? 0,
        largestFreeBlockBytes: largest < 0 ? 0 : 2 ** largest * ARENA_UNIT_BYTES,
        maxAllocBytes: 2 ** this.maxOrder * ARENA_UNIT_BYTES,
        peakReservedBytes: (m[ARENA_META.PEAK_USED_UNITS] ?? 0) * ARENA_UNIT_BYTES,
        totalAllocs: m[ARENA_META.TOTAL_ALLOCS] ?? 0,
        totalFrees: m[ARENA_META.TOTAL_FREES] ?? 0,
        failedAllocs: m[ARENA_META.FAILED_ALLOCS] ?? 0,
        metadataBytes: this.layout.arenaMetaBytes,
      };
    } finally {
      this.unlock();
    }
  }
}
