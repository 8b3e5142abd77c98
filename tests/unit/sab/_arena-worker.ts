/**
 * Worker side of the threaded arena test: random alloc/free, claiming every unit in a shared owner
 * map with compareExchange (two threads holding one unit is caught at once) and filling every block
 * with a thread-specific pattern that is verified before the free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena, ARENA_UNIT_BYTES, type ArenaRef, type ArenaRegion } from '../../../src/sab/index.ts';
import { mulberry32 } from './_prng.ts';

interface ArenaWorkerData {
  sab: SharedArrayBuffer;
  region: ArenaRegion;
  owners: SharedArrayBuffer;
  tid: number;
  ops: number;
  seed: number;
  maxBytes: number;
}
const d = workerData as ArenaWorkerData;
const arena = new Arena(d.sab, d.region);
const owners = new Int32Array(d.owners);
const rng = mulberry32(d.seed);
const live: { ref: ArenaRef; tag: number }[] = [];
let allocs = 0;
let exhausted = 0;

const unitsOf = (ref: ArenaRef): [number, number] => [
  (ref.offset - d.region.arenaOffset) / ARENA_UNIT_BYTES,
  Math.ceil(ref.length / ARENA_UNIT_BYTES),
];

function release(k: number): void {
  const { ref, tag } = live[k]!;
  const v = arena.view(ref);
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== ((tag + i) & 255))
      throw new Error(`thread ${d.tid}: block at ${ref.offset} overwritten at byte ${i}`);
  }
  const [u, n] = unitsOf(ref);
  for (let i = u; i < u + n; i++) {
    if (Atomics.compareExchange(owners, i, d.tid + 1, 0) !== d.tid + 1)
      throw new Error(`thread ${d.tid}: lost unit ${i}`);
  }
  arena.free(ref);
  live[k] = live[live.length - 1]!;
  live.pop();
}

for (let op = 0; op < d.ops; op++) {
  if (live.length === 0 || rng.bool(0.55)) {
    const ref = arena.tryAlloc(rng.logInt(1, d.maxBytes));
    if (ref === null) {
      exhausted++;
      continue;
    }
    allocs++;
    const [u, n] = unitsOf(ref);
    for (let i = u; i < u + n; i++) {
      const prev = Atomics.compareExchange(owners, i, 0, d.tid + 1);
      if (prev !== 0) throw new Error(`thread ${d.tid}: unit ${i} already owned by thread ${prev - 1}`);
    }
    const tag = (d.tid * 37 + op) & 255;
    const v = arena.view(ref);
    for (let i = 0; i < v.length; i++) v[i] = (tag + i) & 255;
    live.push({ ref, tag });
  } else {
    release(rng.int(0, live.length - 1));
  }
}
while (live.length > 0) release(live.length - 1);
parentPort?.postMessage({ allocs, exhausted });
