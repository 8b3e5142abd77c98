import { readlinkSync } from 'node:fs';
import { z } from 'zod';
import { method, type Capsule } from '../../../src/capsules/capsule';

/**
 * A capsule that exists only in tests: it lets the engine be exercised with jobs that echo, loop
 * forever while checkpointing, or loop forever without ever checkpointing (a stuck worker).
 */
/** One per worker thread, like a capsule's long-lived WASM instance. */
let workerMemory: WebAssembly.Memory | undefined;

export const testCapsule: Capsule = {
  library: 'test',
  version: '1',
  summary: 'engine test jobs',
  limits: {
    maxInputBytes: 64 * 1024 * 1024,
    maxOutputBytes: 64 * 1024 * 1024,
    timeoutMs: 2_000,
    maxMemoryBytes: 1 << 26,
    costCap: 100_000,
  },
  methods: {
    echo: method({
      params: z.object({}).strict(),
      summary: 'copies the input to the output',
      run(ctx) {
        ctx.output(ctx.input.length).set(ctx.input);
      },
    }),
    threadId: method({
      params: z.object({}).strict(),
      summary: 'the Linux thread id of the worker that ran it (for per-thread CPU clocks in /proc)',
      run(ctx) {
        const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
        const out = ctx.output(4);
        new DataView(out.buffer, out.byteOffset, 4).setUint32(0, tid, true);
      },
    }),
    sum: method({
      params: z.object({ times: z.number().int().min(1).max(1000).default(1) }).strict(),
      summary: 'sums the input bytes (reads the shared view in place)',
      run(ctx, { times }) {
        let s = 0;
        for (let t = 0; t < times; t++)
          for (let i = 0; i < ctx.input.length; i++) s = (s + ctx.input[i]!) >>> 0;
        const out = ctx.output(4);
        new DataView(out.buffer, out.byteOffset, 4).setUint32(0, s, true);
      },
    }),
    spin: method({
      params: z.object({}).strict(),
      summary: 'loops forever, checking in every ~1 ms',
      run(ctx) {
        for (;;) {
          const until = performance.now() + 1;
          while (performance.now() < until);
          ctx.checkpoint();
        }
      },
    }),
    hang: method({
      params: z.object({}).strict(),
      summary: 'loops forever and never checks in',
      run() {
        for (;;);
      },
    }),
    hangOwningOutput: method({
      params: z.object({}).strict(),
      summary: 'takes a 4 KiB output block, then loops forever without checking in',
      run(ctx) {
        ctx.output(4096);
        for (;;);
      },
    }),
    growWasm: method({
      params: z.object({ pages: z.number().int().min(1).max(1024) }).strict(),
      summary: "grows this worker's one WebAssembly memory to `pages` × 64 KiB (kept across jobs)",
      run(ctx, { pages }) {
        workerMemory ??= new WebAssembly.Memory({ initial: 1, maximum: 1024 });
        ctx.trackMemory?.(workerMemory);
        const have = workerMemory.buffer.byteLength / 65_536;
        if (pages > have) workerMemory.grow(pages - have);
        ctx.checkpoint();
      },
    }),
    hangLong: method({
      params: z.object({}).strict(),
      summary: 'never checks in, under limits longer than the heartbeat timeout',
      limits: { timeoutMs: 60_000 },
      run() {
        for (;;);
      },
    }),
    pricedBusy: method({
      params: z.object({ ms: z.number().int().min(0).max(1_000) }).strict(),
      summary: 'works `ms` of wall time, checking in every ~1 ms; priced at 1 credit whatever it takes',
      price: () => 1,
      priceBound: () => 1,
      run(ctx, { ms }) {
        const until = performance.now() + ms;
        while (performance.now() < until) {
          const step = performance.now() + 1;
          while (performance.now() < step);
          ctx.checkpoint();
        }
        ctx.output(1)[0] = 1;
      },
    }),
    blindThenSpin: method({
      params: z.object({ blindMs: z.number().int().min(1).max(10_000) }).strict(),
      summary:
        'runs blindMs without checking in (a slow worker: missed the grace), then loops forever checking in every ~1 ms',
      limits: { timeoutMs: 60_000 },
      run(ctx, { blindMs }) {
        const blindUntil = performance.now() + blindMs;
        while (performance.now() < blindUntil);
        for (;;) {
          const until = performance.now() + 1;
          while (performance.now() < until);
          ctx.checkpoint();
        }
      },
    }),
    pricedSpin: method({
      params: z.object({}).strict(),
      summary: 'checks in forever; priced (1 credit) with a price bound of 1 credit',
      price: () => 1,
      priceBound: () => 1,
      run(ctx) {
        for (;;) ctx.checkpoint();
      },
    }),
    lazyLoads: method({
      params: z.object({}).strict(),
      summary: "how many times this worker ran the lazy capsule's load() (one byte)",
      run: () => Uint8Array.of(lazyLoads),
    }),
    fail: method({
      params: z.object({}).strict(),
      summary: 'throws',
      run() {
        throw new Error('boom');
      },
    }),
  },
};

/** One per worker thread: the recycle capsule's memory, under its own high-water mark. */
let recycleMemory: WebAssembly.Memory | undefined;
/** Set by `poison`: the capsule then asks for a fresh thread (as physics does after a Rapier panic). */
let poisoned = false;

/** Exercises the engine's recycling paths: a per-capsule high-water mark and wantsRecycle(). */
export const recycleCapsule: Capsule = {
  library: 'recycletest',
  version: '1',
  summary: 'engine recycling test jobs',
  limits: {
    maxInputBytes: 0,
    maxOutputBytes: 16,
    timeoutMs: 5_000,
    maxMemoryBytes: 1 << 26,
    costCap: 100_000,
    wasmHighWaterBytes: 2 << 20,
  },
  wantsRecycle: () => poisoned,
  methods: {
    grow: method({
      params: z.object({ pages: z.number().int().min(1).max(1024) }).strict(),
      summary: "grows this worker's recycle-test memory to `pages` × 64 KiB (kept across jobs)",
      run(ctx, { pages }) {
        recycleMemory ??= new WebAssembly.Memory({ initial: 1, maximum: 1024 });
        ctx.trackMemory?.(recycleMemory);
        const have = recycleMemory.buffer.byteLength / 65_536;
        if (pages > have) recycleMemory.grow(pages - have);
      },
    }),
    poison: method({
      params: z.object({}).strict(),
      summary: "marks this worker's state as untrustworthy",
      run() {
        poisoned = true;
      },
    }),
    noop: method({
      params: z.object({}).strict(),
      summary: 'does nothing',
      run() {},
    }),
  },
};

/** Times `lazyCapsule.load()` ran on this worker thread. */
let lazyLoads = 0;
/** How long the lazy capsule's library takes to "load": three times its jobs' time limit. */
export const LAZY_LOAD_MS = 600;

/**
 * A capsule with a library to load (capsule.ts `load`), as image (wasm-vips) and physics (Rapier)
 * have: the load takes LAZY_LOAD_MS, longer than a job's 200 ms limit, in awaited steps.
 */
export const lazyCapsule: Capsule = {
  library: 'lazytest',
  version: '1',
  summary: 'engine lazy-load test jobs',
  limits: { maxInputBytes: 0, maxOutputBytes: 16, timeoutMs: 200, maxMemoryBytes: 1 << 26, costCap: 100_000 },
  async load() {
    for (let t = 0; t < 4; t++) await new Promise((r) => setTimeout(r, LAZY_LOAD_MS / 4));
    lazyLoads++;
  },
  methods: {
    loads: method({
      params: z.object({}).strict(),
      summary: 'how many times load() ran on this worker (one byte)',
      run: () => Uint8Array.of(lazyLoads),
    }),
  },
};
