/**
 * One thread of the arena check: random alloc / write a pattern / verify / free on a shared Arena.
 * Besides the pattern (which catches a block written by someone else), every allocation claims its
 * 64-byte units in a shared owner map with compareExchange(0 → tag): a unit already owned means two
 * live allocations overlap, whichever thread holds the other one.
 */
import { Arena, ARENA_UNIT_BYTES, type ArenaRef } from '../sab/index.ts';
import { mulberry32 } from './_stats.ts';
import type { ArenaStressReq, ArenaStressRes } from './role-protocol.ts';

interface Live {
  ref: ArenaRef;
  fill: number;
}

export function arenaStress(req: ArenaStressReq): ArenaStressRes {
  const arena = new Arena(req.sab, req.region);
  const owners = new Int32Array(req.owners);
  const rnd = mulberry32(req.seed);
  const live: Live[] = [];
  let overlaps = 0;
  let patternErrors = 0;
  let allocFailures = 0;
  let bytesVerified = 0;
  const unitsOf = (ref: ArenaRef): [number, number] => {
    const first = (ref.offset - req.region.arenaOffset) / ARENA_UNIT_BYTES;
    return [first, first + Math.ceil(ref.length / ARENA_UNIT_BYTES)];
  };
  const release = (l: Live): void => {
    const view = arena.view(l.ref);
    for (let i = 0; i < view.length; i++) if (view[i] !== l.fill) patternErrors++;
    bytesVerified += view.length;
    const [a, b] = unitsOf(l.ref);
    for (let u = a; u < b; u++) if (Atomics.compareExchange(owners, u, req.tag, 0) !== req.tag) overlaps++;
    arena.free(l.ref);
  };
  const t0 = performance.now();
  for (let i = 0; i < req.ops; i++) {
    if (live.length >= req.maxLive || (live.length > 0 && rnd() < 0.45)) {
      release(live.splice(Math.floor(rnd() * live.length), 1)[0]!);
      continue;
    }
    const bytes = 1 + Math.floor(Math.exp(rnd() * Math.log(req.maxBytes)));
    const ref = arena.tryAlloc(bytes);
    if (!ref) {
      allocFailures++;
      continue;
    }
    const [a, b] = unitsOf(ref);
    for (let u = a; u < b; u++) if (Atomics.compareExchange(owners, u, 0, req.tag) !== 0) overlaps++;
    const fill = (req.tag * 31 + i) & 0xff;
    arena.view(ref).fill(fill);
    live.push({ ref, fill });
  }
  while (live.length > 0) release(live.pop()!);
  return { ops: req.ops, overlaps, patternErrors, allocFailures, bytesVerified, ms: performance.now() - t0 };
}
