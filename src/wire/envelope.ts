/** base.capnp:Envelope <-> plain object. Layout comes from schemas/gen/layouts.ts. */
import { aBytes, aString, aU64, anObject } from './_assert.ts';
import { bindStruct, pointerSlot, scalarSlot } from './_bind.ts';
import type { DecodeLimits } from './_pointer.ts';
import { readRoot } from './_reader.ts';
import { dataWords, FrameWriter, frameBytes, textWords } from './_writer.ts';
import { guardDecode } from './frame-error.ts';

export interface EnvelopeData {
  /** Unique per message; receivers de-duplicate on it. */
  id: string;
  /** Names the payload's struct, e.g. "capsule.JobRequest". */
  type: string;
  /** Sender's wall clock, Unix milliseconds. */
  timestampMs: bigint;
  /** The inner frame, opaque to routing. */
  payload: Uint8Array;
}

const L = bindStruct('base.capnp:Envelope');
const ID = pointerSlot(L, 'id', 'text');
const TYPE = pointerSlot(L, 'type', 'text');
const TIMESTAMP = scalarSlot(L, 'timestampMs', 'uint64');
const PAYLOAD = pointerSlot(L, 'payload', 'data');

export function encodeEnvelope(env: EnvelopeData): Uint8Array {
  const o = anObject(env, 'Envelope');
  const id = aString(o.id, 'Envelope.id');
  const type = aString(o.type, 'Envelope.type');
  const timestampMs = aU64(o.timestampMs, 'Envelope.timestampMs');
  const payload = aBytes(o.payload, 'Envelope.payload');

  const w = new FrameWriter(
    frameBytes(L.dataWords, L.pointerCount, textWords(id) + textWords(type) + dataWords(payload)),
  );
  const s = w.root(L.dataWords, L.pointerCount);
  s.text(ID, id);
  s.text(TYPE, type);
  s.u64(TIMESTAMP, timestampMs);
  s.data(PAYLOAD, payload);
  return w.finish();
}

export function decodeEnvelope(bytes: Uint8Array, limits?: DecodeLimits): EnvelopeData {
  return guardDecode('Envelope', () => {
    const s = readRoot(bytes, 'Envelope', limits);
    return {
      id: s.text(ID, 'id'),
      type: s.text(TYPE, 'type'),
      timestampMs: s.u64(TIMESTAMP),
      payload: s.data(PAYLOAD, 'payload'),
    };
  });
}
