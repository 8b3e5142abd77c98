/**
 * arenaAcrossWorkers: several Workers allocate, fill, verify and free concurrently on one Arena in
 * a SharedArrayBuffer. An owner map (one Int32 per 64-byte unit, claimed with compareExchange)
 * counts every unit two live allocations held at once; the fill pattern catches foreign writes.
 */
import { Arena, ARENA_UNIT_BYTES, computeArenaRegion, type ArenaStats } from '../sab/index.ts';
import { round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

export interface ArenaCheckResult {
  workers: number;
  opsPerWorker: number;
  totalOps: number;
  overlaps: number;
  patternErrors: number;
  allocFailures: number;
  bytesVerified: number;
  /** Owner-map units still claimed at the end (a unit freed twice or never released): must be 0. */
  ownersLeft: number;
  /** Arena statistics after every worker freed everything (liveAllocations must be 0). */
  after: ArenaStats;
  ms: number;
}

export async function arenaAcrossWorkers(
  host: SelfTestHost,
  opts: { workers?: number; ops?: number } = {},
): Promise<ArenaCheckResult> {
  const workers = opts.workers ?? 4;
  const ops = opts.ops ?? 20_000;
  const region = computeArenaRegion(8 << 20);
  const sab = new SharedArrayBuffer(region.byteLength);
  const arena = new Arena(sab, region); // formats the metadata before any worker attaches
  const owners = new SharedArrayBuffer(region.arenaUnits * 4);
  const t0 = performance.now();
  const results = await host.withRoles('arena', workers, (roles) =>
    Promise.all(
      roles.map((r, i) =>
        r.call('arena-stress', {
          sab,
          region,
          owners,
          tag: i + 1,
          ops,
          seed: 0xa7e4a + i,
          maxBytes: 64 * ARENA_UNIT_BYTES * 16, // 64 KiB: up to 1024 units per block
          maxLive: 32,
        }),
      ),
    ),
  );
  const sum = (k: 'overlaps' | 'patternErrors' | 'allocFailures' | 'bytesVerified'): number =>
    results.reduce((s, r) => s + r[k], 0);
  return {
    workers,
    opsPerWorker: ops,
    totalOps: workers * ops,
    overlaps: sum('overlaps'),
    patternErrors: sum('patternErrors'),
    allocFailures: sum('allocFailures'),
    bytesVerified: sum('bytesVerified'),
    ownersLeft: new Int32Array(owners).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0),
    after: arena.stats(),
    ms: round(performance.now() - t0),
  };
}
