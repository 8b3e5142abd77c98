/** capsule.capnp:JobResult <-> plain object. Layout comes from schemas/gen/layouts.ts. */
import { aEnum, aString, aU64, anObject } from './_assert.ts';
import { bindStruct, type EnumNames, enumerants, groupOf, pointerSlot, scalarSlot } from './_bind.ts';
import type { DecodeLimits } from './_pointer.ts';
import { readRoot } from './_reader.ts';
import { FrameWriter, frameBytes, textWords } from './_writer.ts';
import { FrameError, guardDecode } from './frame-error.ts';
import {
  bindPayload,
  checkPayload,
  type PayloadData,
  payloadWords,
  readPayload,
  writePayload,
} from './payload.ts';

export type JobStatus = EnumNames<'capsule.capnp:JobResult.Status'>;
export const JOB_STATUSES: readonly JobStatus[] = enumerants('capsule.capnp:JobResult.Status');

export interface JobResultData {
  jobId: string;
  status: JobStatus;
  output: PayloadData;
  /** Credits actually consumed; never above the request's budget. */
  costUsed: bigint;
  /** Human-readable reason when status is not "ok"; empty otherwise. */
  error: string;
}

const L = bindStruct('capsule.capnp:JobResult');
const JOB_ID = pointerSlot(L, 'jobId', 'text');
const STATUS = scalarSlot(L, 'status', 'enum');
const COST = scalarSlot(L, 'costUsed', 'uint64');
const ERROR = pointerSlot(L, 'error', 'text');
const OUTPUT = bindPayload(groupOf(L, 'output'));

export function encodeJobResult(res: JobResultData): Uint8Array {
  const o = anObject(res, 'JobResult');
  const jobId = aString(o.jobId, 'JobResult.jobId');
  const status = aEnum(o.status, JOB_STATUSES, 'JobResult.status');
  const output = checkPayload(o.output, 'JobResult.output');
  const costUsed = aU64(o.costUsed, 'JobResult.costUsed');
  const error = aString(o.error, 'JobResult.error');

  const w = new FrameWriter(
    frameBytes(L.dataWords, L.pointerCount, textWords(jobId) + textWords(error) + payloadWords(output)),
  );
  const s = w.root(L.dataWords, L.pointerCount);
  s.text(JOB_ID, jobId);
  s.u16(STATUS, status);
  writePayload(s, OUTPUT, output);
  s.u64(COST, costUsed);
  s.text(ERROR, error);
  return w.finish();
}

/** Reads one JobResult frame; throws only FrameError (also for a status this build does not know). */
export function decodeJobResult(bytes: Uint8Array, limits?: DecodeLimits): JobResultData {
  return guardDecode('JobResult', () => {
    const s = readRoot(bytes, 'JobResult', limits);
    const statusValue = s.u16(STATUS);
    const status = JOB_STATUSES[statusValue];
    if (status === undefined) {
      throw new FrameError(
        'value',
        `unknown status ${statusValue} (known: ${JOB_STATUSES.join(', ')})`,
        'JobResult.status',
      );
    }
    return {
      jobId: s.text(JOB_ID, 'jobId'),
      status,
      output: readPayload(s, OUTPUT, 'output'),
      costUsed: s.u64(COST),
      error: s.text(ERROR, 'error'),
    };
  });
}
