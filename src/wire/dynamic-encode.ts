/**
 * Schema-driven encoding of a plain value tree (typically parsed JSON) into a single-segment frame.
 * Accepts the shapes `decodeDynamic` produces, in both flavours, so decode -> encode round-trips:
 * 64-bit integers as bigint, JSON number (only up to 2^53, where JSON numbers are exact) or decimal
 * string; Data as Uint8Array, padded base64 or an array of byte values; enums as name or number; floats also as "NaN",
 * "Infinity", "-Infinity". Unknown fields, two members of one union, and out-of-range numbers are
 * rejected with an EncodeError naming the field.
 */
import { fromBase64 } from './_base64.ts';
import { anObject, aString } from './_assert.ts';
import { ElementSize } from './_pointer.ts';
import { type ScalarValue, toBits, writeBits, xorDefault } from './_scalar.ts';
import { FrameWriter, type StructWriter } from './_writer.ts';
import { listElementSize } from './dynamic-decode.ts';
import { EncodeError } from './encode-error.ts';
import {
  findEnum,
  findStruct,
  isScalarKind,
  SCALAR_BITS,
  type ScalarKind,
  type SchemaLayouts,
  type SlotField,
  type StructLayout,
  type TypeLayout,
} from './layout.ts';

const MAX_DEPTH = 64;

interface Ctx {
  readonly layouts: SchemaLayouts;
  readonly w: FrameWriter;
}

export function encodeDynamic(value: unknown, layouts: SchemaLayouts, structName: string): Uint8Array {
  const layout = findStruct(layouts, structName);
  const short = structName.slice(structName.indexOf(':') + 1);
  if (layout === undefined) throw new EncodeError(short, `no struct named ${structName} in the schema`);
  const w = new FrameWriter(1024);
  const root = w.root(layout.dataWords, layout.pointerCount);
  writeStruct({ layouts, w }, root, layout, value, short, 0);
  return w.finish();
}

function structLayout(c: Ctx, name: string, path: string): StructLayout {
  const s = findStruct(c.layouts, name);
  if (s === undefined) throw new EncodeError(path, `schema has no struct ${name}`);
  return s;
}

function writeStruct(
  c: Ctx,
  s: StructWriter,
  layout: StructLayout,
  v: unknown,
  path: string,
  depth: number,
): void {
  if (depth > MAX_DEPTH) throw new EncodeError(path, `nesting deeper than ${MAX_DEPTH} levels`);
  const o = anObject(v, path);
  const known = layout.fields.map((f) => f.name);
  for (const key of Object.keys(o)) {
    if (!known.includes(key))
      throw new EncodeError(`${path}.${key}`, `unknown field; expected one of: ${known.join(', ')}`);
  }
  const members = layout.fields.filter((f) => f.discriminant !== undefined && o[f.name] !== undefined);
  const active = members[0];
  if (members.length > 1) {
    throw new EncodeError(path, `a union takes one member, got ${members.map((f) => f.name).join(' and ')}`);
  }
  if (active?.discriminant !== undefined) {
    writeBits(c.w.dataView(), s.dataByte + layout.discriminantOffset * 2, 0, 'uint16', active.discriminant);
  }
  for (const f of layout.fields) {
    const fv = o[f.name];
    if (fv === undefined || (f.discriminant !== undefined && f !== active)) continue;
    const fpath = `${path}.${f.name}`;
    if (f.kind === 'group') writeStruct(c, s, structLayout(c, f.structName, fpath), fv, fpath, depth + 1);
    else writeSlot(c, s, f, fv, fpath, depth);
  }
}

function writeSlot(c: Ctx, s: StructWriter, f: SlotField, v: unknown, path: string, depth: number): void {
  const t = f.type;
  if (t.kind === 'enum' || isScalarKind(t.kind)) {
    const kind = t.kind === 'enum' ? 'enum' : t.kind;
    const value = t.kind === 'enum' ? enumValue(c, t.enumName, v, path) : scalarValue(t.kind, v, path);
    const bits = xorDefault(kind, toBits(kind, value), f.default);
    const byte =
      kind === 'bool' ? f.offset >>> 3 : (f.offset * (kind === 'enum' ? 16 : SCALAR_BITS[kind])) / 8;
    writeBits(c.w.dataView(), s.dataByte + byte, f.offset & 7, kind, bits);
    return;
  }
  // A pointer field with a non-empty default must not encode "" / empty as null (null reads as the default).
  const keepEmpty = typeof f.default === 'string' && f.default !== '';
  writePointer(c, s.pointerWord(f.offset), t, v, path, depth, keepEmpty);
}

function writePointer(
  c: Ctx,
  ptrWord: number,
  t: TypeLayout,
  v: unknown,
  path: string,
  depth: number,
  keepEmpty = false,
): void {
  if (v === null) return;
  switch (t.kind) {
    case 'text':
      c.w.textAt(ptrWord, aString(v, path), keepEmpty);
      return;
    case 'data':
      c.w.dataAt(ptrWord, bytesValue(v, path), keepEmpty);
      return;
    case 'struct': {
      const layout = structLayout(c, t.structName, path);
      const child = c.w.structAt(ptrWord, layout.dataWords, layout.pointerCount);
      writeStruct(c, child, layout, v, path, depth + 1);
      return;
    }
    case 'list':
      writeList(c, ptrWord, t.element, v, path, depth + 1);
      return;
    default:
      throw new EncodeError(path, `${t.kind} fields are not supported by the JSON codec (only null)`);
  }
}

function writeList(c: Ctx, ptrWord: number, t: TypeLayout, v: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new EncodeError(path, `nesting deeper than ${MAX_DEPTH} levels`);
  if (!Array.isArray(v)) throw new EncodeError(path, 'expected an array');
  const items: unknown[] = v;
  const size = listElementSize(t);
  if (size === undefined) throw new EncodeError(path, `lists of ${t.kind} are not supported`);
  if (t.kind === 'struct') {
    const layout = structLayout(c, t.structName, path);
    const elems = c.w.structListAt(ptrWord, items.length, layout.dataWords, layout.pointerCount);
    elems.forEach((s, i) => writeStruct(c, s, layout, items[i], `${path}[${i}]`, depth + 1));
    return;
  }
  if (size === ElementSize.POINTER) {
    const first = c.w.listAt(ptrWord, size, items.length, 64);
    items.forEach((item, i) => writePointer(c, first + i, t, item, `${path}[${i}]`, depth));
    return;
  }
  const kind = t.kind === 'enum' ? 'enum' : (t.kind as ScalarKind);
  const bits = kind === 'enum' ? 16 : SCALAR_BITS[kind];
  const first = c.w.listAt(ptrWord, size, items.length, bits);
  const base = c.w.byteOf(first);
  items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const value =
      t.kind === 'enum' ? enumValue(c, t.enumName, item, p) : scalarValue(kind as ScalarKind, item, p);
    const byte = bits === 1 ? i >>> 3 : (i * bits) / 8;
    writeBits(c.w.dataView(), base + byte, i & 7, kind, toBits(kind, value));
  });
}

/** Base64 is ours; arrays of byte values are what `capnp convert binary:json` prints, so both are accepted. */
function bytesValue(v: unknown, path: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    const bytes = fromBase64(v);
    if (bytes !== null) return bytes;
  }
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    return Uint8Array.from(v);
  throw new EncodeError(
    path,
    'expected Data as a padded base64 string (RFC 4648, e.g. "aGk=") or an array of byte values',
  );
}

function enumValue(c: Ctx, enumName: string, v: unknown, path: string): number {
  const names = findEnum(c.layouts, enumName)?.enumerants ?? [];
  if (typeof v === 'string' && names.includes(v)) return names.indexOf(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff) return v;
  throw new EncodeError(
    path,
    `expected one of ${names.join(', ')} (or a number 0..65535), got ${JSON.stringify(v)}`,
  );
}

const INT_RANGE: Partial<Record<ScalarKind, readonly [bigint, bigint, string]>> = {
  int8: [-128n, 127n, '[-128, 127]'],
  uint8: [0n, 255n, '[0, 255]'],
  int16: [-32768n, 32767n, '[-32768, 32767]'],
  uint16: [0n, 65535n, '[0, 65535]'],
  int32: [-(2n ** 31n), 2n ** 31n - 1n, '[-2^31, 2^31 - 1]'],
  uint32: [0n, 2n ** 32n - 1n, '[0, 2^32 - 1]'],
  int64: [-(2n ** 63n), 2n ** 63n - 1n, '[-2^63, 2^63 - 1]'],
  uint64: [0n, 2n ** 64n - 1n, '[0, 2^64 - 1]'],
};

function scalarValue(kind: ScalarKind, v: unknown, path: string): ScalarValue {
  if (kind === 'void') {
    if (v === null) return null;
    throw new EncodeError(path, 'expected null for a Void field');
  }
  if (kind === 'bool') {
    if (typeof v === 'boolean') return v;
    throw new EncodeError(path, `expected true or false, got ${JSON.stringify(v)}`);
  }
  if (kind === 'float32' || kind === 'float64') {
    if (typeof v === 'number') return v;
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
    throw new EncodeError(
      path,
      `expected a number (or "NaN", "Infinity", "-Infinity"), got ${JSON.stringify(v)}`,
    );
  }
  const range = INT_RANGE[kind];
  if (range === undefined) throw new EncodeError(path, `unsupported scalar ${kind}`);
  const [min, max, label] = range;
  const wide = kind === 'int64' || kind === 'uint64';
  let n: bigint | undefined;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
    throw new EncodeError(
      path,
      `${v} is beyond 2^53 - 1, where JSON numbers lose precision (the digits you wrote may differ); pass it as a decimal string`,
    );
  }
  if (n === undefined || n < min || n > max) {
    const hint = wide ? ' (a JSON number up to 2^53 - 1, beyond that a decimal string)' : '';
    throw new EncodeError(
      path,
      `expected an integer in ${label}${hint}, got ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`,
    );
  }
  return wide ? n : Number(n);
}
