/**
 * Property cases and the efficiency workload for Arena, shared by the fast and slow suites.
 *
 * Efficiency is measured as (bytes requested by live allocations) / (bytes reserved by their blocks),
 * the same ratio `Arena.stats().efficiency` reports, sampled after every operation once the arena
 * has reached its target fill; the report gives the mean and the minimum over those samples.
 */
import {
  Arena,
  ARENA_UNIT_BYTES,
  ArenaExhaustedError,
  ArenaRefError,
  type ArenaRef,
} from '../../../src/sab/index.ts';
import type { Prng } from './_prng.ts';

function fail(msg: string): never {
  throw new Error(msg);
}

interface Live {
  ref: ArenaRef;
  id: number;
}

/** Random alloc/free/misuse against a unit-ownership model: no overlap, exact accounting, clean errors. */
export function arenaModelCase(rng: Prng): void {
  const arena = Arena.standalone(rng.bool(0.5) ? 2 ** rng.int(12, 18) : rng.int(64, 300_000));
  const units = arena.layout.arenaUnits;
  const capacity = units * ARENA_UNIT_BYTES;
  const base = arena.layout.arenaOffset;
  const owner = new Int32Array(units);
  const live: Live[] = [];
  const freed: ArenaRef[] = [];
  const initialLargest = arena.stats().largestFreeBlockBytes;
  let nextId = 1;
  let requested = 0;
  let reservedUnits = 0;
  const ops = rng.int(20, 150);
  for (let op = 0; op < ops; op++) {
    const roll = rng.next();
    if (roll < 0.55 || live.length === 0) {
      const bytes = rng.logInt(1, Math.max(1, capacity >> rng.int(0, 4)));
      let ref: ArenaRef;
      try {
        ref = arena.alloc(bytes);
      } catch (e) {
        if (!(e instanceof ArenaExhaustedError)) throw e;
        const n = Math.ceil(bytes / ARENA_UNIT_BYTES);
        if (e.largestFreeBlockBytes >= 2 ** Math.ceil(Math.log2(n)) * ARENA_UNIT_BYTES) {
          fail(`op ${op}: exhausted for ${bytes} B although a ${e.largestFreeBlockBytes} B block was free`);
        }
        continue;
      }
      const u = (ref.offset - base) / ARENA_UNIT_BYTES;
      const n = Math.ceil(bytes / ARENA_UNIT_BYTES);
      if (ref.length !== bytes || !Number.isInteger(u) || u < 0 || u + n > units)
        fail(`op ${op}: bad ref ${JSON.stringify(ref)}`);
      const id = nextId++;
      for (let i = u; i < u + n; i++) {
        if (owner[i] !== 0) fail(`op ${op}: unit ${i} handed out twice (owners ${owner[i]} and ${id})`);
        owner[i] = id;
      }
      const v = arena.view(ref);
      v[v.length - 1] = (id >> 8) & 255;
      v[0] = id & 255; // last: a 1-byte block keeps this one
      live.push({ ref, id });
      requested += bytes;
      reservedUnits += n;
    } else if (roll < 0.9) {
      const k = rng.int(0, live.length - 1);
      const { ref, id } = live[k]!;
      live[k] = live[live.length - 1]!;
      live.pop();
      const v = arena.view(ref);
      if (v[0] !== (id & 255) || (v.length > 1 && v[v.length - 1] !== ((id >> 8) & 255)))
        fail(`op ${op}: block ${id} was overwritten`);
      arena.free(ref);
      const u = (ref.offset - base) / ARENA_UNIT_BYTES;
      const n = Math.ceil(ref.length / ARENA_UNIT_BYTES);
      for (let i = u; i < u + n; i++) owner[i] = 0;
      requested -= ref.length;
      reservedUnits -= n;
      freed.push(ref);
    } else {
      const before = arena.stats();
      const victim = live.length > 0 ? live[rng.int(0, live.length - 1)]!.ref : undefined;
      const bad: ArenaRef[] = [];
      const old = freed[rng.int(0, Math.max(0, freed.length - 1))];
      if (old !== undefined && owner[(old.offset - base) / ARENA_UNIT_BYTES] === 0) bad.push(old); // double free
      if (victim !== undefined) {
        bad.push({ offset: victim.offset, length: victim.length + ARENA_UNIT_BYTES });
        // Only for multi-unit blocks: one unit further may legitimately start the next allocation.
        if (victim.length > ARENA_UNIT_BYTES) {
          bad.push({ offset: victim.offset + ARENA_UNIT_BYTES, length: victim.length - ARENA_UNIT_BYTES });
          bad.push({ offset: victim.offset, length: victim.length - ARENA_UNIT_BYTES });
        }
        bad.push({ offset: victim.offset + 1, length: victim.length });
      }
      bad.push(
        { offset: base - ARENA_UNIT_BYTES, length: 1 },
        { offset: base + capacity, length: 1 },
        { offset: base, length: 0 },
      );
      for (const ref of bad) {
        try {
          arena.free(ref);
          fail(`op ${op}: free accepted a bad ref ${JSON.stringify(ref)}`);
        } catch (e) {
          if (!(e instanceof ArenaRefError)) throw e;
        }
      }
      const after = arena.stats();
      if (after.freeBytes !== before.freeBytes || after.liveAllocations !== before.liveAllocations) {
        fail(`op ${op}: a rejected free changed the arena`);
      }
    }
    const s = arena.stats();
    if (
      s.requestedBytes !== requested ||
      s.reservedBytes !== reservedUnits * ARENA_UNIT_BYTES ||
      s.liveAllocations !== live.length
    ) {
      fail(
        `op ${op}: stats ${JSON.stringify(s)} disagree with model (requested ${requested}, units ${reservedUnits})`,
      );
    }
    if (s.freeBytes + s.reservedBytes !== capacity) fail(`op ${op}: free + reserved != capacity`);
  }
  for (const { ref } of live) arena.free(ref);
  const end = arena.stats();
  if (end.freeBytes !== capacity || end.largestFreeBlockBytes !== initialLargest) {
    fail(
      `after freeing everything: ${end.freeBytes}/${capacity} B free, largest ${end.largestFreeBlockBytes} (was ${initialLargest}): blocks did not coalesce`,
    );
  }
}

export interface EfficiencyReport {
  workload: string;
  samples: number;
  mean: number;
  min: number;
  /** reserved/capacity when the first allocation failed while filling past the target. */
  fillAtFirstFailure: number;
}

/**
 * Steady-state workload: fill the arena to `targetFill` of its capacity with sizes log-uniform in
 * [minBytes, maxBytes], then alternate random frees and allocations around that fill for `ops`
 * operations. Finally allocate until the first failure to see how much fragmentation costs.
 */
export function arenaEfficiency(
  rng: Prng,
  arena: Arena,
  opts: { workload: string; minBytes: number; maxBytes: number; ops: number; targetFill: number },
): EfficiencyReport {
  const capacity = arena.stats().capacityBytes;
  const live: ArenaRef[] = [];
  let sum = 0;
  let min = 1;
  let samples = 0;
  const step = (): void => {
    const s = arena.stats();
    if (s.reservedBytes < opts.targetFill * capacity) {
      const ref = arena.tryAlloc(rng.logInt(opts.minBytes, opts.maxBytes));
      if (ref !== null) live.push(ref);
    } else {
      const k = rng.int(0, live.length - 1);
      arena.free(live[k]!);
      live[k] = live[live.length - 1]!;
      live.pop();
    }
  };
  while (arena.stats().reservedBytes < opts.targetFill * capacity) step();
  for (let i = 0; i < opts.ops; i++) {
    step();
    const e = arena.stats().efficiency;
    sum += e;
    min = Math.min(min, e);
    samples++;
  }
  let fillAtFirstFailure = 1;
  for (;;) {
    const ref = arena.tryAlloc(rng.logInt(opts.minBytes, opts.maxBytes));
    if (ref === null) {
      fillAtFirstFailure = arena.stats().reservedBytes / capacity;
      break;
    }
    live.push(ref);
  }
  for (const ref of live) arena.free(ref);
  return { workload: opts.workload, samples, mean: sum / samples, min, fillAtFirstFailure };
}
