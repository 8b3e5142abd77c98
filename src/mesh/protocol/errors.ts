/**
 * The mesh layer's one error class. `code` is stable (metrics, reputation outcomes, tests);
 * `message` tells a person what went wrong and what is allowed.
 */
export type MeshErrorCode =
  /** A frame failed to decode, had the wrong version, or broke a field limit. */
  | 'bad-frame'
  /** A frame was longer than the protocol allows. */
  | 'oversize'
  /** The peer was connected but did not answer in time. */
  | 'timeout'
  /** No connection could be made (peer offline, partitioned, dial failed); not the peer's fault. */
  | 'unreachable'
  /** The peer is banned or the local limit (rate, concurrent streams) refused the operation. */
  | 'refused'
  /** The peer answered "busy" or "not found". */
  | 'declined'
  /** A chunk's bytes did not hash to its address. */
  | 'bad-chunk'
  /** The caller aborted. */
  | 'aborted';

export class MeshError extends Error {
  override readonly name = 'MeshError';
  readonly code: MeshErrorCode;
  /** The remote peer involved, when there is one. */
  readonly peer: string | undefined;

  constructor(code: MeshErrorCode, message: string, options?: { peer?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.peer = options?.peer;
  }
}

export function isMeshError(err: unknown, code?: MeshErrorCode): err is MeshError {
  return err instanceof MeshError && (code === undefined || err.code === code);
}
