/** capsule.capnp:JobRequest <-> plain object. Layout comes from schemas/gen/layouts.ts. */
import { aString, aU64, anObject } from './_assert.ts';
import { bindStruct, groupOf, pointerSlot, scalarSlot } from './_bind.ts';
import type { DecodeLimits } from './_pointer.ts';
import { readRoot } from './_reader.ts';
import { FrameWriter, frameBytes, textWords } from './_writer.ts';
import { guardDecode } from './frame-error.ts';
import {
  bindPayload,
  checkPayload,
  type PayloadData,
  payloadWords,
  readPayload,
  writePayload,
} from './payload.ts';

export interface JobRequestData {
  id: string;
  /** Capsule name, e.g. "hash". */
  library: string;
  method: string;
  /** JSON object text; the capsule parses it. */
  params: string;
  /** Credits the requester will pay at most. */
  budget: bigint;
  /** Unix milliseconds after which the result is worthless. */
  deadlineMs: bigint;
  input: PayloadData;
}

const L = bindStruct('capsule.capnp:JobRequest');
const ID = pointerSlot(L, 'id', 'text');
const LIBRARY = pointerSlot(L, 'library', 'text');
const METHOD = pointerSlot(L, 'method', 'text');
const PARAMS = pointerSlot(L, 'params', 'text');
const BUDGET = scalarSlot(L, 'budget', 'uint64');
const DEADLINE = scalarSlot(L, 'deadlineMs', 'uint64');
const INPUT = bindPayload(groupOf(L, 'input'));

export function encodeJobRequest(req: JobRequestData): Uint8Array {
  const o = anObject(req, 'JobRequest');
  const id = aString(o.id, 'JobRequest.id');
  const library = aString(o.library, 'JobRequest.library');
  const method = aString(o.method, 'JobRequest.method');
  const params = aString(o.params, 'JobRequest.params');
  const budget = aU64(o.budget, 'JobRequest.budget');
  const deadlineMs = aU64(o.deadlineMs, 'JobRequest.deadlineMs');
  const input = checkPayload(o.input, 'JobRequest.input');

  const extra =
    textWords(id) + textWords(library) + textWords(method) + textWords(params) + payloadWords(input);
  const w = new FrameWriter(frameBytes(L.dataWords, L.pointerCount, extra));
  const s = w.root(L.dataWords, L.pointerCount);
  s.text(ID, id);
  s.text(LIBRARY, library);
  s.text(METHOD, method);
  s.text(PARAMS, params);
  s.u64(BUDGET, budget);
  s.u64(DEADLINE, deadlineMs);
  writePayload(s, INPUT, input);
  return w.finish();
}

/** Reads one JobRequest frame; throws only FrameError. Safe on views of a SharedArrayBuffer. */
export function decodeJobRequest(bytes: Uint8Array, limits?: DecodeLimits): JobRequestData {
  return guardDecode('JobRequest', () => {
    const s = readRoot(bytes, 'JobRequest', limits);
    return {
      id: s.text(ID, 'id'),
      library: s.text(LIBRARY, 'library'),
      method: s.text(METHOD, 'method'),
      params: s.text(PARAMS, 'params'),
      budget: s.u64(BUDGET),
      deadlineMs: s.u64(DEADLINE),
      input: readPayload(s, INPUT, 'input'),
    };
  });
}
