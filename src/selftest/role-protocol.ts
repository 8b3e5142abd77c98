/**
 * The page ↔ role-worker protocol of the self-test (one typed map, declared once). The page sends
 * `{id, cmd, req}`; the worker answers `{id, ok: true, res}` or `{id, ok: false, err}`. Bulk bytes
 * never travel here: requests carry SharedArrayBuffers (shared, not copied) and small numbers.
 */
import type { ArenaRegion } from '../sab/index.ts';

export interface RingRunReq {
  sab: SharedArrayBuffer;
  offset: number;
  capacity: number;
  frames: number;
  timeoutMs: number;
}

export interface ArenaStressReq {
  sab: SharedArrayBuffer;
  region: ArenaRegion;
  /** One Int32 per arena unit: the tag of the allocation that owns it, 0 when free. */
  owners: SharedArrayBuffer;
  tag: number;
  ops: number;
  seed: number;
  maxBytes: number;
  maxLive: number;
}

export interface ArenaStressRes {
  ops: number;
  overlaps: number;
  patternErrors: number;
  allocFailures: number;
  bytesVerified: number;
  ms: number;
}

/** Commands of the bus benchmark; thread "a" is the host side, "b" the worker side (as in Node). */
export type BusBenchCmd =
  | { cmd: 'spin'; n: number }
  | { cmd: 'ring-send' | 'ring-recv-into' | 'ring-recv-copy' | 'pm-send' | 'pm-recv'; n: number }
  | { cmd: 'ring-ping' | 'ring-pong' | 'pm-ping' | 'pm-pong'; n: number }
  | { cmd: 'handoff-ping' | 'pm-handoff-ping'; n: number; bytes: number }
  | { cmd: 'handoff-pong' | 'pm-handoff-pong'; n: number }
  | { cmd: 'arena-ops'; n: number; seed: number; maxBytes: number };

export interface BusBenchRes {
  /** performance.timeOrigin + performance.now(): comparable across the page's threads. */
  t0?: number;
  t1?: number;
  latenciesUs?: number[];
  opsPerSec?: number;
  check?: number;
}

export interface RoleProtocol {
  'ring-produce': {
    req: RingRunReq & { seed: number; maxPayload: number };
    res: { sent: number; checksum: number; bytes: number; ms: number };
  };
  'ring-consume': {
    req: RingRunReq;
    res: { received: number; badChecksums: number; outOfOrder: number; checksum: number; bytes: number };
  };
  'arena-stress': { req: ArenaStressReq; res: ArenaStressRes };
  'bus-init': { req: { sab: SharedArrayBuffer; side: 'a' | 'b'; port: MessagePort }; res: null };
  'bus-bench': { req: BusBenchCmd; res: BusBenchRes };
  'pow-mhps': {
    req: { slice: number; slices: number; warmupMs: number; ms: number; rounds: number };
    res: { samples: number[]; path: 'wasm-simd' | 'scalar' };
  };
}

export type RoleCmd = keyof RoleProtocol;

export interface RoleRequest<K extends RoleCmd = RoleCmd> {
  id: number;
  cmd: K;
  req: RoleProtocol[K]['req'];
}

export type RoleReply =
  { id: number; ok: true; res: unknown } | { id: number; ok: false; err: { name: string; message: string } };
