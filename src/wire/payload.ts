/**
 * The inline-or-arena union shared by JobRequest.input and JobResult.output: small bytes travel in
 * the frame, large ones stay in the local SharedArrayBuffer arena and only an ArenaRef travels.
 */
import { aBytes, anObject, aString, aU64 } from './_assert.ts';
import { bindStruct, discriminantOf, pointerSlot, scalarSlot } from './_bind.ts';
import type { StructReader } from './_reader.ts';
import { dataWords, type StructWriter } from './_writer.ts';
import { EncodeError } from './encode-error.ts';
import { FrameError } from './frame-error.ts';
import type { StructLayout } from './layout.ts';

export interface ArenaRefData {
  /** Byte offset from the start of the arena region. */
  offset: bigint;
  /** Byte count. */
  length: bigint;
}

export type PayloadData = { kind: 'inline'; bytes: Uint8Array } | ({ kind: 'arena' } & ArenaRefData);

const ARENA_REF = bindStruct('capsule.capnp:ArenaRef');
const REF_OFFSET = scalarSlot(ARENA_REF, 'offset', 'uint64');
const REF_LENGTH = scalarSlot(ARENA_REF, 'length', 'uint64');

export interface PayloadBinding {
  readonly discriminantByte: number;
  readonly inlineTag: number;
  readonly inlinePtr: number;
  readonly arenaTag: number;
  readonly arenaPtr: number;
}

/** `group` is the union group's layout (e.g. `capsule.capnp:JobRequest.input`). */
export function bindPayload(group: StructLayout): PayloadBinding {
  return {
    discriminantByte: group.discriminantOffset * 2,
    inlineTag: discriminantOf(group, 'inline'),
    inlinePtr: pointerSlot(group, 'inline', 'data'),
    arenaTag: discriminantOf(group, 'arena'),
    arenaPtr: pointerSlot(group, 'arena', 'struct'),
  };
}

export function readPayload(s: StructReader, b: PayloadBinding, field: string): PayloadData {
  const tag = s.u16(b.discriminantByte);
  if (tag === b.inlineTag) return { kind: 'inline', bytes: s.data(b.inlinePtr, `${field}.inline`) };
  if (tag === b.arenaTag) {
    // A null ArenaRef reads as all defaults (0, 0), as a null struct pointer does in Cap'n Proto.
    const ref = s.struct(b.arenaPtr, `${field}.arena`);
    return {
      kind: 'arena',
      offset: ref === null ? 0n : ref.u64(REF_OFFSET),
      length: ref === null ? 0n : ref.u64(REF_LENGTH),
    };
  }
  throw new FrameError(
    'value',
    `unknown union member ${tag} (this decoder knows inline, arena)`,
    `${s.path}.${field}`,
  );
}

/** Validates before writing anything. */
export function checkPayload(v: unknown, path: string): PayloadData {
  const o = anObject(v, path);
  const kind = aString(o.kind, `${path}.kind`);
  if (kind === 'inline') return { kind, bytes: aBytes(o.bytes, `${path}.bytes`) };
  if (kind === 'arena') {
    return { kind, offset: aU64(o.offset, `${path}.offset`), length: aU64(o.length, `${path}.length`) };
  }
  throw new EncodeError(`${path}.kind`, `expected "inline" or "arena", got ${JSON.stringify(kind)}`);
}

export function writePayload(s: StructWriter, b: PayloadBinding, p: PayloadData): void {
  if (p.kind === 'inline') {
    s.u16(b.discriminantByte, b.inlineTag);
    s.data(b.inlinePtr, p.bytes);
    return;
  }
  s.u16(b.discriminantByte, b.arenaTag);
  const ref = s.struct(b.arenaPtr, ARENA_REF.dataWords, ARENA_REF.pointerCount);
  ref.u64(REF_OFFSET, p.offset);
  ref.u64(REF_LENGTH, p.length);
}

/** Words the payload adds to a frame beyond its pointer. */
export function payloadWords(p: PayloadData): number {
  return p.kind === 'inline' ? dataWords(p.bytes) : ARENA_REF.dataWords + ARENA_REF.pointerCount;
}
