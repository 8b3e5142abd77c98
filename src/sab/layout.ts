/**
 * The SharedArrayBuffer memory map of the INOS job bus: every byte offset lives here.
 * (Over 400 lines on purpose: STYLE.md wants every binary layout of the bus in this one module.)
 *
 * | region           | offset (bytes)                 | size (bytes)                          | view / unit            |
 * |------------------|--------------------------------|---------------------------------------|------------------------|
 * | header           | 0                              | HEADER_BYTES = 128                    | Uint32 words, `HDR`    |
 * | control words    | controlOffset = 128            | CONTROL_WORDS * 4 = 256               | Int32 words, `CTRL`    |
 * | worker registry  | registryOffset = 384           | workers * WORKER_SLOT_BYTES (64)      | Int32, `WORKER_SLOT`   |
 * | capsule registry | capsulesOffset (64-aligned)    | CAPSULE_SLOTS * CAPSULE_ENTRY_BYTES   | Int32, `CAPSULE_ENTRY` |
 * | rings            | ringsOffset (4096-aligned)     | workers * 2 * ringStride              | inbox i, outbox i      |
 * |   ring i*2       |   ringsOffset + 2i * ringStride|   RING_HEADER_BYTES + ringBytes       | `RING_HDR` + data      |
 * |   ring i*2+1     |   inbox + ringStride           |   (outbox of worker i)                |                        |
 * | arena metadata   | arenaMetaOffset (64-aligned)   | arenaMetaBytes(arenaUnits)            | `ARENA_META` + bitmaps |
 * | arena            | arenaOffset (4096-aligned)     | arenaUnits * ARENA_UNIT_BYTES (rest)  | buddy blocks           |
 *
 * Every region start is at least 64-byte aligned (one cache line), so that words written by different
 * threads (a ring's head vs. its tail, two workers' heartbeats) do not share a line.
 * Ring data capacities are powers of two so that 32-bit wrapping byte counters map onto ring indices
 * with a mask (2^32 is a multiple of the capacity).
 */

export type Tier = 'light' | 'moderate' | 'heavy';

const MiB = 1024 * 1024;

/** Total SharedArrayBuffer size per tier (the economic tiers of the design doc: 32/64/256 MB). */
export const TIER_BYTES: Record<Tier, number> = { light: 32 * MiB, moderate: 64 * MiB, heavy: 256 * MiB };

/** Default per-ring data capacity per tier; 32 workers x 2 rings stays below 13% of any tier. */
export const TIER_RING_BYTES: Record<Tier, number> = {
  light: 64 * 1024,
  moderate: 128 * 1024,
  heavy: 512 * 1024,
};

/** Stored in the header as a non-zero code, so an all-zero buffer never parses as a valid tier. */
const TIER_CODE: Record<Tier, number> = { light: 1, moderate: 2, heavy: 3 };
const TIER_BY_CODE: readonly (Tier | undefined)[] = [undefined, 'light', 'moderate', 'heavy'];

/** 'INOS' read as a little-endian Uint32 (bytes 49 4E 4F 53). */
export const LAYOUT_MAGIC = 0x534f4e49;
export const LAYOUT_VERSION = 1;
export const MAX_WORKERS = 32;

/** Header: Uint32 word indices at byte 0. */
export const HDR = {
  MAGIC: 0,
  VERSION: 1,
  TIER: 2,
  WORKERS: 3,
  BYTE_LENGTH: 4,
  CONTROL_OFFSET: 5,
  REGISTRY_OFFSET: 6,
  WORKER_SLOT_BYTES: 7,
  CAPSULES_OFFSET: 8,
  RINGS_OFFSET: 9,
  RING_BYTES: 10,
  RING_STRIDE: 11,
  ARENA_META_OFFSET: 12,
  ARENA_META_BYTES: 13,
  ARENA_OFFSET: 14,
  ARENA_BYTES: 15,
} as const;
export const HEADER_BYTES = 128;

/** Control words: Int32 indices into `new Int32Array(sab, layout.controlOffset, CONTROL_WORDS)`. */
export const CTRL = {
  LIFECYCLE: 0,
  LIFECYCLE_EPOCH: 1,
  // Words 2, 4, 5 and 8 are reserved (were BUS_EPOCH, CANCEL_EPOCH, REGISTRY_EPOCH, JOB_SEQ: never
  // written, so removed from the map rather than documented as if they worked).
  /**
   * Bumped after a worker publishes a result into its outbox; the host's engine waits on this one
   * word for all its workers (one wake-up collects every result published meanwhile).
   */
  OUTBOX_EPOCH: 3,
  /** Bumped after the host (re)writes the capsule table (`writeCapsuleTable`). */
  CAPSULE_EPOCH: 6,
  /** Bumped after every arena free, so a thread waiting for memory can re-try. */
  ARENA_EPOCH: 7,
  WORKERS_READY: 9,
  /** Throttle: workers with index ≥ this park (set by the host from the user's limits). */
  ACTIVE_WORKERS: 10,
  /** Throttle: percent of each DUTY_CYCLE_MS a worker may run before it parks for the rest. */
  DUTY_PERCENT: 11,
  /** Bumped whenever ACTIVE_WORKERS or DUTY_PERCENT changes, so parked workers re-read them. */
  THROTTLE_EPOCH: 12,
  /** Throttle: 1 while the user's limits allow GPU capsules (by default only while idle). */
  GPU_ALLOWED: 13,
  /**
   * Dispatch latency: microseconds a worker polls its inbox after finishing a job before it may
   * sleep in Atomics.wait (0: no linger). Only while DUTY_PERCENT is 100: an in-use cap spends no CPU
   * on latency. Set by the pool (`DISPATCH_SPIN_DEFAULTS`).
   */
  WORKER_SPIN_US: 14,
  /**
   * Dispatch latency: microseconds the host's engine polls a worker's outbox right after handing it
   * a job, before it yields to Atomics.waitAsync (a task hop on a page). Same rule as WORKER_SPIN_US.
   */
  HOST_SPIN_US: 15,
  /** 1 while the host sleeps on OUTBOX_EPOCH: only then does a worker pay for Atomics.notify. */
  HOST_WAITING: 16,
} as const;

/**
 * The pool's defaults for CTRL.WORKER_SPIN_US / HOST_SPIN_US, chosen from `npm run bench:dispatch`
 * (interleaved variants of the same run, bench/results/dispatch.json; see docs/PERFORMANCE.md).
 * Each is a per-job bound: an idle worker never spins (see tests/unit/engine/idle-cpu.test.ts).
 * Quiet 2-core VM, Chromium, three runs at load 0.2–2: 200/200 µs gave p50 25/15/20 µs against
 * 55/15/30 for 50/50 and 70–80 for none; 1000/1000 was no better (15/20).
 */
export const DISPATCH_SPIN_DEFAULTS = { workerUs: 200, hostUs: 200 } as const;
/** Upper bound accepted for either spin word: beyond a millisecond a sleep costs less than a spin. */
export const DISPATCH_SPIN_MAX_US = 1_000;
export const CONTROL_WORDS = 64;

export const LIFECYCLE_CODE = { paused: 0, running: 1, draining: 2, suspended: 3, stopped: 4 } as const;
export type Lifecycle = keyof typeof LIFECYCLE_CODE;

/** Worker registry slot: Int32 indices into `workerSlot(...)`. */
export const WORKER_SLOT = {
  STATE: 0,
  READY: 1,
  HEARTBEAT: 2,
  JOBS_DONE: 3,
  /**
   * Milliseconds this worker spent running jobs (not parked), wrapping Int32; the host turns its
   * rate into the heartbeat's `load`.
   */
  LOAD: 4,
  CURRENT_JOB: 5,
  CANCEL_JOB: 6,
  /** Jobs that ended in internalError (a capsule threw something other than a bad input). */
  ERRORS: 7,
  /** Capsule table index + 1 of the job running now (0: none). */
  CAPSULE: 8,
  /** Bumped on every STATE change so a supervisor can wait for it. */
  EPOCH: 9,
  GENERATION: 10,
  /**
   * The arena block this worker's current job output lives in: unit index + 1 (0: none) and its
   * requested bytes. Written and cleared under the arena lock (Arena.alloc/free with the slot), so a
   * supervisor that kills the worker can free the block (Arena.recover).
   */
  OUT_UNIT: 11,
  OUT_BYTES: 12,
  /** WebAssembly memory the worker's capsules hold, bytes (updated after each job; see capsule.ts). */
  WASM_BYTES: 13,
  /** Bytes the worker copied into the last job's output block (a capsule returned a fresh array). */
  COPIED_BYTES: 14,
  /**
   * 1 when the worker asks to be replaced after the job it just published: a memory past its
   * capsule's own high-water mark, or the capsule's `wantsRecycle()` (written before the result).
   */
  RECYCLE: 15,
} as const;
export const WORKER_SLOT_BYTES = 64;
export const WORKER_STATE = {
  empty: 0,
  starting: 1,
  idle: 2,
  busy: 3,
  stopping: 4,
  stopped: 5,
  crashed: 6,
  /** Loading a capsule's library before that capsule's first job here (capsule.ts `load`). */
  loading: 7,
} as const;

/**
 * Capsule table entry (written by the host at start, `writeCapsuleTable`; read by every worker,
 * which refuses to start when its own capsules differ — a worker bundle from another build). Int32
 * indices; the tail of each 96-byte entry is reserved.
 */
export const CAPSULE_ENTRY = {
  /** 1: registered; 0: empty. */
  STATE: 0,
  /** FNV-1a of the library name. */
  ID_HASH: 1,
  /** FNV-1a of the version string. */
  VERSION: 2,
  /** CAPSULE_EPOCH when written. */
  EPOCH: 3,
} as const;
export const CAPSULE_ENTRY_BYTES = 96;
export const CAPSULE_SLOTS = 64;

/**
 * Ring header: Int32 indices. Producer-owned words sit in the first cache line, consumer-owned
 * words in the second, so the two sides do not invalidate each other's line on every frame.
 */
export const RING_HDR = {
  HEAD: 0,
  WRITE_EPOCH: 1,
  READER_WAITING: 2,
  CAPACITY: 3,
  MAGIC: 4,
  TAIL: 16,
  READ_EPOCH: 17,
  WRITER_WAITING: 18,
} as const;
export const RING_HEADER_BYTES = 128;
export const RING_MAGIC = 0x52494e47; // 'RING'
export const RING_MIN_BYTES = 256;

/** Arena metadata header: Int32 indices; free-list heads for order o at FREE_HEADS + o. */
export const ARENA_META = {
  LOCK: 0,
  INIT: 1,
  UNITS: 2,
  MAX_ORDER: 3,
  FREE_UNITS: 4,
  LIVE_ALLOCS: 5,
  LIVE_REQUESTED: 6,
  TOTAL_ALLOCS: 7,
  TOTAL_FREES: 8,
  FAILED_ALLOCS: 9,
  PEAK_USED_UNITS: 10,
  FREE_HEADS: 16,
} as const;
export const ARENA_META_HEADER_BYTES = 256;
export const ARENA_MAX_ORDERS = 48 - ARENA_META.FREE_HEADS; // FREE_HEADS..47
/** Smallest buddy block: one cache line, and room for the two free-list links a free block holds. */
export const ARENA_UNIT_BYTES = 64;

export interface Layout {
  tier: Tier;
  workers: number;
  byteLength: number;
  controlOffset: number;
  registryOffset: number;
  workerSlotBytes: number;
  capsulesOffset: number;
  capsuleSlots: number;
  capsuleEntryBytes: number;
  ringsOffset: number;
  /** Data capacity of each ring in bytes (power of two). */
  ringBytes: number;
  /** Header + data bytes per ring. */
  ringStride: number;
  arenaMetaOffset: number;
  arenaMetaBytes: number;
  arenaOffset: number;
  arenaBytes: number;
  arenaUnits: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
const words32 = (bits: number): number => Math.ceil(bits / 32);

/** Highest buddy order for an arena of `units` units (2^order <= units). */
export function arenaMaxOrder(units: number): number {
  return Math.min(ARENA_MAX_ORDERS - 1, Math.floor(Math.log2(Math.max(1, units))));
}

/** Int32 word offsets (relative to the metadata start) of the arena bitmaps. */
export function arenaBitmapWords(units: number): {
  freeBits: number[];
  startBits: number;
  endBits: number;
  total: number;
} {
  const freeBits: number[] = [];
  let w = ARENA_META_HEADER_BYTES / 4;
  for (let o = 0; o <= arenaMaxOrder(units); o++) {
    freeBits.push(w);
    w += words32(Math.ceil(units / 2 ** o));
  }
  const startBits = w;
  w += words32(units);
  const endBits = w;
  w += words32(units);
  return { freeBits, startBits, endBits, total: w };
}

export function arenaMetaBytes(units: number): number {
  return align(arenaBitmapWords(units).total * 4, 64);
}

function assertTier(tier: unknown): asserts tier is Tier {
  if (typeof tier !== 'string' || !Object.hasOwn(TIER_BYTES, tier)) {
    throw new RangeError(
      `layout: tier must be one of ${Object.keys(TIER_BYTES).join(', ')}; got ${String(tier)}`,
    );
  }
}

/** The one sizing function: every offset of the bus derives from tier, workers and ring size. */
export function computeLayout(opts: { tier: Tier; workers: number; ringBytes?: number }): Layout {
  const { tier, workers } = opts;
  assertTier(tier);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new RangeError(`layout: workers must be an integer in 1..${MAX_WORKERS}; got ${workers}`);
  }
  const ringBytes = opts.ringBytes ?? TIER_RING_BYTES[tier];
  if (!Number.isInteger(ringBytes) || ringBytes < RING_MIN_BYTES || (ringBytes & (ringBytes - 1)) !== 0) {
    throw new RangeError(`layout: ringBytes must be a power of two >= ${RING_MIN_BYTES}; got ${ringBytes}`);
  }
  const byteLength = TIER_BYTES[tier];
  const controlOffset = HEADER_BYTES;
  const registryOffset = controlOffset + CONTROL_WORDS * 4;
  const capsulesOffset = align(registryOffset + workers * WORKER_SLOT_BYTES, 64);
  const ringsOffset = align(capsulesOffset + CAPSULE_SLOTS * CAPSULE_ENTRY_BYTES, 4096);
  const ringStride = RING_HEADER_BYTES + ringBytes;
  const arenaMetaOffset = align(ringsOffset + workers * 2 * ringStride, 64);
  // Largest unit count whose metadata + data fit (fit is monotonic in units, so binary search).
  const fits = (u: number): boolean =>
    align(arenaMetaOffset + arenaMetaBytes(u), 4096) + u * ARENA_UNIT_BYTES <= byteLength;
  let lo = 0;
  let hi = Math.max(0, Math.floor((byteLength - arenaMetaOffset) / ARENA_UNIT_BYTES));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const units = lo;
  if (units < 1)
    throw new RangeError(`layout: rings of ${ringBytes} B x ${workers} workers leave no arena in ${tier}`);
  const arenaMetaBytesN = arenaMetaBytes(units);
  const arenaOffset = align(arenaMetaOffset + arenaMetaBytesN, 4096);
  return {
    tier,
    workers,
    byteLength,
    controlOffset,
    registryOffset,
    workerSlotBytes: WORKER_SLOT_BYTES,
    capsulesOffset,
    capsuleSlots: CAPSULE_SLOTS,
    capsuleEntryBytes: CAPSULE_ENTRY_BYTES,
    ringsOffset,
    ringBytes,
    ringStride,
    arenaMetaOffset,
    arenaMetaBytes: arenaMetaBytesN,
    arenaOffset,
    arenaBytes: units * ARENA_UNIT_BYTES,
    arenaUnits: units,
  };
}

/** The part of a layout an Arena needs: a full bus Layout, or a standalone arena's. */
export type ArenaRegion = Pick<
  Layout,
  | 'byteLength'
  | 'controlOffset'
  | 'arenaMetaOffset'
  | 'arenaMetaBytes'
  | 'arenaOffset'
  | 'arenaBytes'
  | 'arenaUnits'
>;

/** Byte map of an arena outside a bus (tests, scratch space): control words, metadata, data. */
export function computeArenaRegion(arenaBytes: number): ArenaRegion {
  const units = Math.floor(arenaBytes / ARENA_UNIT_BYTES);
  if (!Number.isInteger(arenaBytes) || units < 1 || arenaBytes > 2 ** 30) {
    throw new RangeError(
      `layout: arenaBytes must be an integer in ${ARENA_UNIT_BYTES}..${2 ** 30}; got ${arenaBytes}`,
    );
  }
  const arenaMetaOffset = CONTROL_WORDS * 4;
  const metaBytes = arenaMetaBytes(units);
  const arenaOffset = align(arenaMetaOffset + metaBytes, 4096);
  return {
    byteLength: arenaOffset + units * ARENA_UNIT_BYTES,
    controlOffset: 0,
    arenaMetaOffset,
    arenaMetaBytes: metaBytes,
    arenaOffset,
    arenaBytes: units * ARENA_UNIT_BYTES,
    arenaUnits: units,
  };
}

function assertWorkerIndex(layout: Layout, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= layout.workers) {
    throw new RangeError(`layout: worker index must be an integer in 0..${layout.workers - 1}; got ${index}`);
  }
}

/** Byte offset of worker `index`'s inbox ring (host -> worker). */
export function inboxOffset(layout: Layout, index: number): number {
  assertWorkerIndex(layout, index);
  return layout.ringsOffset + 2 * index * layout.ringStride;
}

/** Byte offset of worker `index`'s outbox ring (worker -> host). */
export function outboxOffset(layout: Layout, index: number): number {
  return inboxOffset(layout, index) + layout.ringStride;
}

/** Allocates the bus and writes the header and ring headers; the arena initialises itself lazily. */
export function createBus(layout: Layout): SharedArrayBuffer {
  const expected = computeLayout({ tier: layout.tier, workers: layout.workers, ringBytes: layout.ringBytes });
  for (const key of Object.keys(expected) as (keyof Layout)[]) {
    if (expected[key] !== layout[key])
      throw new RangeError(`createBus: layout.${key} was modified; use computeLayout`);
  }
  const sab = new SharedArrayBuffer(layout.byteLength);
  const h = new Uint32Array(sab, 0, HEADER_BYTES / 4);
  h[HDR.VERSION] = LAYOUT_VERSION;
  h[HDR.TIER] = TIER_CODE[layout.tier];
  h[HDR.WORKERS] = layout.workers;
  h[HDR.BYTE_LENGTH] = layout.byteLength;
  h[HDR.CONTROL_OFFSET] = layout.controlOffset;
  h[HDR.REGISTRY_OFFSET] = layout.registryOffset;
  h[HDR.WORKER_SLOT_BYTES] = layout.workerSlotBytes;
  h[HDR.CAPSULES_OFFSET] = layout.capsulesOffset;
  h[HDR.RINGS_OFFSET] = layout.ringsOffset;
  h[HDR.RING_BYTES] = layout.ringBytes;
  h[HDR.RING_STRIDE] = layout.ringStride;
  h[HDR.ARENA_META_OFFSET] = layout.arenaMetaOffset;
  h[HDR.ARENA_META_BYTES] = layout.arenaMetaBytes;
  h[HDR.ARENA_OFFSET] = layout.arenaOffset;
  h[HDR.ARENA_BYTES] = layout.arenaBytes;
  for (let i = 0; i < layout.workers * 2; i++) {
    const ring = new Int32Array(sab, layout.ringsOffset + i * layout.ringStride, RING_HEADER_BYTES / 4);
    ring[RING_HDR.CAPACITY] = layout.ringBytes;
    ring[RING_HDR.MAGIC] = RING_MAGIC;
  }
  // Magic last, with a release store: a reader that sees it also sees the rest of the header.
  Atomics.store(new Int32Array(sab, 0, 1), HDR.MAGIC, LAYOUT_MAGIC | 0);
  return sab;
}

/** Reads the header back and checks it against the sizing function; throws on any mismatch. */
export function assertLayout(sab: SharedArrayBuffer): Layout {
  if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('assertLayout: expected a SharedArrayBuffer');
  if (sab.byteLength < HEADER_BYTES) {
    throw new Error(
      `assertLayout: buffer of ${sab.byteLength} B is smaller than the ${HEADER_BYTES} B header`,
    );
  }
  const h = new Uint32Array(sab, 0, HEADER_BYTES / 4);
  const magic = Atomics.load(new Int32Array(sab, 0, 1), 0) >>> 0;
  if (magic !== LAYOUT_MAGIC) {
    throw new Error(
      `assertLayout: bad magic 0x${magic.toString(16)} (expected 0x${LAYOUT_MAGIC.toString(16)}): not an INOS bus`,
    );
  }
  const version = h[HDR.VERSION] ?? 0;
  if (version !== LAYOUT_VERSION) {
    throw new Error(
      `assertLayout: layout version ${version} is not supported (this build reads ${LAYOUT_VERSION})`,
    );
  }
  const tier = TIER_BY_CODE[h[HDR.TIER] ?? 0];
  if (tier === undefined) throw new Error(`assertLayout: unknown tier code ${h[HDR.TIER]}`);
  let expected: Layout;
  try {
    expected = computeLayout({ tier, workers: h[HDR.WORKERS] ?? 0, ringBytes: h[HDR.RING_BYTES] ?? 0 });
  } catch (cause) {
    throw new Error(`assertLayout: header describes an invalid layout`, { cause });
  }
  if (sab.byteLength !== expected.byteLength) {
    throw new Error(
      `assertLayout: buffer is ${sab.byteLength} B but tier ${tier} needs ${expected.byteLength} B`,
    );
  }
  const stored: Record<string, number | undefined> = {
    byteLength: h[HDR.BYTE_LENGTH],
    controlOffset: h[HDR.CONTROL_OFFSET],
    registryOffset: h[HDR.REGISTRY_OFFSET],
    workerSlotBytes: h[HDR.WORKER_SLOT_BYTES],
    capsulesOffset: h[HDR.CAPSULES_OFFSET],
    ringsOffset: h[HDR.RINGS_OFFSET],
    ringStride: h[HDR.RING_STRIDE],
    arenaMetaOffset: h[HDR.ARENA_META_OFFSET],
    arenaMetaBytes: h[HDR.ARENA_META_BYTES],
    arenaOffset: h[HDR.ARENA_OFFSET],
    arenaBytes: h[HDR.ARENA_BYTES],
  };
  for (const [key, value] of Object.entries(stored)) {
    const want = expected[key as keyof Layout];
    if (value !== want)
      throw new Error(`assertLayout: header ${key}=${value} but layout v${version} computes ${want}`);
  }
  return expected;
}

export function controlWords(sab: SharedArrayBuffer, layout: Pick<Layout, 'controlOffset'>): Int32Array {
  return new Int32Array(sab, layout.controlOffset, CONTROL_WORDS);
}

export function workerSlot(sab: SharedArrayBuffer, layout: Layout, index: number): Int32Array {
  assertWorkerIndex(layout, index);
  return new Int32Array(
    sab,
    layout.registryOffset + index * layout.workerSlotBytes,
    layout.workerSlotBytes / 4,
  );
}

export function capsuleEntry(sab: SharedArrayBuffer, layout: Layout, index: number): Int32Array {
  if (!Number.isInteger(index) || index < 0 || index >= layout.capsuleSlots) {
    throw new RangeError(
      `layout: capsule index must be an integer in 0..${layout.capsuleSlots - 1}; got ${index}`,
    );
  }
  return new Int32Array(
    sab,
    layout.capsulesOffset + index * layout.capsuleEntryBytes,
    layout.capsuleEntryBytes / 4,
  );
}

/** Distinct per worker, and never 0 (the zeroed value), so a stale or foreign slot cannot look ready. */
export function workerReadyValue(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_WORKERS) {
    throw new RangeError(`layout: worker index must be an integer in 0..${MAX_WORKERS - 1}; got ${index}`);
  }
  return 0x5ead0000 | index;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units: the capsule table's name and version hashes. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

export interface CapsuleTableEntry {
  library: string;
  version: string;
}

/** Host side: publishes the capsules this bus serves, in order (the index is the table index). */
export function writeCapsuleTable(
  sab: SharedArrayBuffer,
  layout: Layout,
  capsules: readonly CapsuleTableEntry[],
): void {
  if (capsules.length > layout.capsuleSlots)
    throw new RangeError(`layout: ${capsules.length} capsules; the table holds ${layout.capsuleSlots}`);
  const ctrl = new Int32Array(sab, layout.controlOffset, CONTROL_WORDS);
  const epoch = Atomics.add(ctrl, CTRL.CAPSULE_EPOCH, 1) + 1;
  for (let i = 0; i < layout.capsuleSlots; i++) {
    const e = capsuleEntry(sab, layout, i);
    const c = capsules[i];
    Atomics.store(e, CAPSULE_ENTRY.STATE, 0);
    if (!c) continue;
    Atomics.store(e, CAPSULE_ENTRY.ID_HASH, fnv1a(c.library));
    Atomics.store(e, CAPSULE_ENTRY.VERSION, fnv1a(c.version));
    Atomics.store(e, CAPSULE_ENTRY.EPOCH, epoch);
    Atomics.store(e, CAPSULE_ENTRY.STATE, 1);
  }
  Atomics.notify(ctrl, CTRL.CAPSULE_EPOCH);
}

/**
 * Worker side: the table index of each of `capsules` (by library name), after checking that the
 * table and `capsules` list the same libraries at the same versions. Throws a RangeError naming the
 * difference otherwise. An empty table (a bus without a host-written table) maps nothing.
 */
export function checkCapsuleTable(
  sab: SharedArrayBuffer,
  layout: Layout,
  capsules: readonly CapsuleTableEntry[],
): Map<string, number> {
  const index = new Map<string, number>();
  const table: Array<{ id: number; version: number; i: number }> = [];
  for (let i = 0; i < layout.capsuleSlots; i++) {
    const e = capsuleEntry(sab, layout, i);
    if (Atomics.load(e, CAPSULE_ENTRY.STATE) !== 1) continue;
    table.push({
      id: Atomics.load(e, CAPSULE_ENTRY.ID_HASH),
      version: Atomics.load(e, CAPSULE_ENTRY.VERSION),
      i,
    });
  }
  if (table.length === 0) return index;
  for (const c of capsules) {
    const t = table.find((x) => x.id === fnv1a(c.library));
    if (!t)
      throw new RangeError(
        `capsule table: the host does not serve "${c.library}" (a worker from another build?)`,
      );
    if (t.version !== fnv1a(c.version))
      throw new RangeError(`capsule table: "${c.library}" ${c.version} here differs from the host's version`);
    index.set(c.library, t.i);
  }
  if (index.size !== table.length)
    throw new RangeError(
      `capsule table: the host serves ${table.length} capsules, this worker ${index.size}`,
    );
  return index;
}
