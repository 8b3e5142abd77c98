/**
 * The one error type a decoder throws. Frames come from peers and from shared memory that other
 * threads write, so "bad bytes" is an expected outcome, not a bug: callers catch `FrameError`, drop
 * the frame and report `code` (stable, for metrics) and `message` (for people).
 */
export type FrameErrorCode =
  /** The argument was not a Uint8Array. */
  | 'input-type'
  /** Fewer bytes than the segment table or a segment needs. */
  | 'truncated'
  /** The segment table is malformed or asks for more segments than allowed. */
  | 'segment-table'
  /** Bytes follow the message (decoders read exactly one message). */
  | 'trailing-bytes'
  /** A pointer's target lies outside its segment, or names a segment that does not exist. */
  | 'out-of-bounds'
  /** A pointer has the wrong kind for its field (e.g. a list where a struct belongs). */
  | 'pointer-kind'
  /** Traversal or nesting limit reached (amplification or deep-nesting defence). */
  | 'limit'
  /** A Text field is not NUL-terminated or not valid UTF-8. */
  | 'text'
  /** A value the schema does not allow (unknown enum or union member). */
  | 'value'
  /** Schema feature this decoder does not read (capabilities, AnyPointer). */
  | 'unsupported'
  /** A bug in the decoder surfaced as an unexpected exception; the cause is attached. */
  | 'internal';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code: FrameErrorCode;
  /** Field path where decoding failed, e.g. `JobRequest.input.arena`; empty for frame-level errors. */
  readonly path: string;

  constructor(code: FrameErrorCode, message: string, path = '', options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, options);
    this.code = code;
    this.path = path;
  }
}

/**
 * Runs a decoder and guarantees the "only FrameError escapes" contract. Anything else is a decoder
 * bug: it is wrapped (code `internal`, original as `cause`) so callers still see one error type,
 * and the fuzz tests fail on `internal` so the bug does not hide.
 */
export function guardDecode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FrameError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new FrameError('internal', `unexpected error while decoding ${what}: ${detail}`, '', {
      cause: err,
    });
  }
}
