/**
 * Job-bus wire format: Cap'n Proto frames (stream framing, one unpacked segment when we write)
 * for the structs in schemas/*.capnp, as typed plain objects.
 *
 * Decoders read the caller's bytes in place (a SharedArrayBuffer view is fine), check every
 * offset, and throw only FrameError. Encoders check their input and throw EncodeError.
 * 64-bit integers are bigint; Data is Uint8Array (decoders return private copies).
 *
 * Tooling that compiles schemas at run time (the CLI) imports `./schema-layout.ts` directly, so
 * extension bundles never pull in capnp-es's schema reader.
 */
export { FrameError, type FrameErrorCode } from './frame-error.ts';
export { EncodeError } from './encode-error.ts';
export { type DecodeLimits, DEFAULT_LIMITS } from './_pointer.ts';
export { frameLength, MAX_SEGMENTS } from './_frame.ts';
export type { ArenaRefData, PayloadData } from './payload.ts';
export { decodeEnvelope, encodeEnvelope, type EnvelopeData } from './envelope.ts';
export { decodeJobRequest, encodeJobRequest, type JobRequestData } from './job-request.ts';
export {
  decodeJobResult,
  encodeJobResult,
  JOB_STATUSES,
  type JobResultData,
  type JobStatus,
} from './job-result.ts';
export {
  decodeLifecycleCmd,
  encodeLifecycleCmd,
  LIFECYCLE_COMMANDS,
  type LifecycleCmdData,
  type LifecycleCommand,
} from './lifecycle-cmd.ts';
export { decodeHeartbeat, encodeHeartbeat, type HeartbeatData } from './heartbeat.ts';
export {
  decodeDynamic,
  type DynamicDecodeOptions,
  type WireObject,
  type WireValue,
} from './dynamic-decode.ts';
export { encodeDynamic } from './dynamic-encode.ts';
export { OUR_LAYOUTS } from './_bind.ts';
export type * from './layout.ts';
export { findEnum, findStruct } from './layout.ts';
