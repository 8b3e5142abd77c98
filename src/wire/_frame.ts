/**
 * Stream framing (capnproto.org/encoding.html#serialization-over-a-stream):
 *
 * | bytes            | content                                             |
 * |------------------|-----------------------------------------------------|
 * | 0..3             | u32 LE: segment count - 1                           |
 * | 4..4+4n          | u32 LE per segment: its size in 8-byte words        |
 * | padding          | 4 zero bytes when n is even, so segments are word-aligned |
 * | then             | the segments, back to back                          |
 *
 * Everything here is untrusted: sizes are checked against the bytes actually present before any
 * segment is used, and the segment count is capped before anything is allocated for it.
 */
import { isSharedBuffer } from './_text.ts';
import { FrameError } from './frame-error.ts';

/** Same cap as the C++ reference (`kj::Array` segment table limit in serialize.c++). */
export const MAX_SEGMENTS = 512;

export interface Segment {
  /** Byte offset of the segment's first word within the frame. */
  readonly start: number;
  readonly words: number;
}

export interface Frame {
  readonly bytes: Uint8Array;
  /** Covers exactly `bytes`, so even a reader bug cannot reach memory outside the frame. */
  readonly view: DataView;
  readonly segments: readonly Segment[];
  /** Header plus segments; equals bytes.byteLength for exact frames. */
  readonly byteLength: number;
  /** The bytes live in a SharedArrayBuffer (text must be copied out before decoding, see _text.ts). */
  readonly shared: boolean;
}

export function assertBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    // toString tag, not `.constructor.name`: a null-prototype object would make that throw.
    const got = typeof bytes === 'object' ? Object.prototype.toString.call(bytes).slice(8, -1) : typeof bytes;
    throw new FrameError('input-type', `expected a Uint8Array frame, got ${got}`);
  }
}

/**
 * Total byte length of the first message in `bytes`, read from its segment table; for splitting a
 * stream. Throws FrameError('truncated') when not even the table is complete.
 */
export function frameLength(bytes: Uint8Array): number {
  assertBytes(bytes);
  return readTable(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)).byteLength;
}

/** Parses the segment table. `exact`: the message must fill `bytes` (no trailing bytes). */
export function parseFrame(bytes: unknown, exact = true): Frame {
  assertBytes(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = readTable(bytes, view);
  if (table.byteLength > bytes.byteLength) {
    throw new FrameError(
      'truncated',
      `segment table declares ${table.byteLength} bytes (${table.segments.length} segment(s)) but the frame has ${bytes.byteLength}`,
    );
  }
  if (exact && table.byteLength < bytes.byteLength) {
    throw new FrameError(
      'trailing-bytes',
      `${bytes.byteLength - table.byteLength} byte(s) follow the ${table.byteLength}-byte message; a frame holds exactly one message`,
    );
  }
  const first = table.segments[0];
  if (first === undefined || first.words === 0) {
    throw new FrameError('segment-table', 'segment 0 is empty, so there is no root pointer');
  }
  return {
    bytes,
    view,
    segments: table.segments,
    byteLength: table.byteLength,
    shared: isSharedBuffer(bytes.buffer),
  };
}

function readTable(bytes: Uint8Array, view: DataView): { segments: Segment[]; byteLength: number } {
  if (bytes.byteLength < 8) {
    throw new FrameError(
      'truncated',
      `frame is ${bytes.byteLength} byte(s); a Cap'n Proto message needs at least an 8-byte segment table`,
    );
  }
  const count = view.getUint32(0, true) + 1;
  if (count > MAX_SEGMENTS) {
    throw new FrameError(
      'segment-table',
      `segment table declares ${count} segments; at most ${MAX_SEGMENTS} are allowed`,
    );
  }
  const headerBytes = 4 + count * 4 + (count % 2 === 0 ? 4 : 0);
  if (headerBytes > bytes.byteLength) {
    throw new FrameError(
      'truncated',
      `segment table for ${count} segments needs ${headerBytes} bytes but the frame has ${bytes.byteLength}`,
    );
  }
  const segments: Segment[] = [];
  let offset = headerBytes;
  for (let i = 0; i < count; i++) {
    const words = view.getUint32(4 + i * 4, true);
    segments.push({ start: offset, words });
    // Plain numbers stay exact: at most 512 * (2^32 - 1) * 8 < 2^45.
    offset += words * 8;
  }
  return { segments, byteLength: offset };
}
