/** orchestration.capnp:HealthHeartbeat <-> plain object. Layout comes from schemas/gen/layouts.ts. */
import { aNumber, aU32, aU64, anObject } from './_assert.ts';
import { bindStruct, scalarSlot } from './_bind.ts';
import type { DecodeLimits } from './_pointer.ts';
import { readRoot } from './_reader.ts';
import { FrameWriter, frameBytes } from './_writer.ts';
import { guardDecode } from './frame-error.ts';

export interface HeartbeatData {
  /** Worker index within this node. */
  worker: number;
  /** Monotonic per-worker counter; a gap means missed beats. */
  epoch: bigint;
  jobsDone: bigint;
  /** Busy fraction over the last interval, 0..1. Stored as Float32, so it reads back as Math.fround(load). */
  load: number;
  timestampMs: bigint;
}

const L = bindStruct('orchestration.capnp:HealthHeartbeat');
const WORKER = scalarSlot(L, 'worker', 'uint32');
const EPOCH = scalarSlot(L, 'epoch', 'uint64');
const JOBS_DONE = scalarSlot(L, 'jobsDone', 'uint64');
const LOAD = scalarSlot(L, 'load', 'float32');
const TIMESTAMP = scalarSlot(L, 'timestampMs', 'uint64');

export function encodeHeartbeat(hb: HeartbeatData): Uint8Array {
  const o = anObject(hb, 'HealthHeartbeat');
  const worker = aU32(o.worker, 'HealthHeartbeat.worker');
  const epoch = aU64(o.epoch, 'HealthHeartbeat.epoch');
  const jobsDone = aU64(o.jobsDone, 'HealthHeartbeat.jobsDone');
  const load = aNumber(o.load, 'HealthHeartbeat.load');
  const timestampMs = aU64(o.timestampMs, 'HealthHeartbeat.timestampMs');

  const w = new FrameWriter(frameBytes(L.dataWords, L.pointerCount, 0));
  const s = w.root(L.dataWords, L.pointerCount);
  s.u32(WORKER, worker);
  s.u64(EPOCH, epoch);
  s.u64(JOBS_DONE, jobsDone);
  s.f32(LOAD, load);
  s.u64(TIMESTAMP, timestampMs);
  return w.finish();
}

export function decodeHeartbeat(bytes: Uint8Array, limits?: DecodeLimits): HeartbeatData {
  return guardDecode('HealthHeartbeat', () => {
    const s = readRoot(bytes, 'HealthHeartbeat', limits);
    return {
      worker: s.u32(WORKER),
      epoch: s.u64(EPOCH),
      jobsDone: s.u64(JOBS_DONE),
      load: s.f32(LOAD),
      timestampMs: s.u64(TIMESTAMP),
    };
  });
}
