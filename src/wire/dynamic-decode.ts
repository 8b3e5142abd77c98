/**
 * Schema-driven decoding: any struct described by `SchemaLayouts` (e.g. from the CLI compiling a
 * .capnp file at run time) to a plain value tree. Same bounds-checked readers and the same
 * "only FrameError" guarantee as the typed decoders.
 *
 * Output: Void -> null; Bool -> boolean; 8..32-bit ints and floats -> number; 64-bit ints -> bigint;
 * enums -> enumerant name (the number when unknown); Text -> string; Data -> Uint8Array; lists ->
 * arrays; structs and groups -> objects in declaration order; a union shows only its active member;
 * null struct/list pointers -> null. With `json: true`, 64-bit ints become decimal strings, Data
 * becomes base64, and non-finite floats become "NaN" / "Infinity" / "-Infinity".
 */
import { toBase64 } from './_base64.ts';
import { type DecodeLimits, DEFAULT_LIMITS, ElementSize } from './_pointer.ts';
import { type ListReader, readRoot, type StructReader } from './_reader.ts';
import { fromBits, readBits, type ScalarValue, xorDefault } from './_scalar.ts';
import { FrameError, guardDecode } from './frame-error.ts';
import {
  findEnum,
  findStruct,
  isScalarKind,
  SCALAR_BITS,
  type SchemaLayouts,
  type SlotField,
  type StructLayout,
  type TypeLayout,
} from './layout.ts';

export type WireValue = null | boolean | number | bigint | string | Uint8Array | WireValue[] | WireObject;
export interface WireObject {
  [field: string]: WireValue;
}

export interface DynamicDecodeOptions {
  limits?: DecodeLimits;
  /** JSON-safe output (see module comment). */
  json?: boolean;
}

interface Ctx {
  readonly layouts: SchemaLayouts;
  readonly json: boolean;
}

/** `structName` is a layout key, e.g. `capsule.capnp:JobRequest`. */
export function decodeDynamic(
  bytes: Uint8Array,
  layouts: SchemaLayouts,
  structName: string,
  options: DynamicDecodeOptions = {},
): WireObject {
  const layout = findStruct(layouts, structName);
  if (layout === undefined)
    throw new FrameError('unsupported', `no struct named ${structName} in the schema`);
  const short = structName.slice(structName.indexOf(':') + 1);
  return guardDecode(short, () => {
    const root = readRoot(bytes, short, options.limits ?? DEFAULT_LIMITS);
    return readStruct(root, layout, { layouts, json: options.json === true });
  });
}

function structLayout(c: Ctx, name: string, path: string): StructLayout {
  const s = findStruct(c.layouts, name);
  if (s === undefined) throw new FrameError('unsupported', `schema has no struct ${name}`, path);
  return s;
}

function readStruct(s: StructReader, layout: StructLayout, c: Ctx): WireObject {
  const out: WireObject = {};
  const which = layout.discriminantCount > 0 ? s.u16(layout.discriminantOffset * 2) : -1;
  for (const f of layout.fields) {
    // Only the active union member is present; an unknown discriminant (newer writer) shows none.
    if (f.discriminant !== undefined && f.discriminant !== which) continue;
    out[f.name] =
      f.kind === 'group'
        ? readStruct(s, structLayout(c, f.structName, `${s.path}.${f.name}`), c)
        : readSlot(s, f, c);
  }
  return out;
}

function scalarOut(v: ScalarValue, c: Ctx): WireValue {
  if (!c.json) return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function enumOut(c: Ctx, enumName: string, value: number): WireValue {
  return findEnum(c.layouts, enumName)?.enumerants[value] ?? value;
}

function bytesOut(b: Uint8Array, c: Ctx): WireValue {
  return c.json ? toBase64(b) : b;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function readSlot(s: StructReader, f: SlotField, c: Ctx): WireValue {
  const t = f.type;
  if (t.kind === 'enum') {
    return enumOut(c, t.enumName, Number(xorDefault('enum', s.u16(f.offset * 2), f.default)));
  }
  if (isScalarKind(t.kind)) {
    const at = t.kind === 'bool' ? f.offset : (f.offset * SCALAR_BITS[t.kind]) / 8;
    return scalarOut(fromBits(t.kind, xorDefault(t.kind, readBits(s, t.kind, at), f.default)), c);
  }
  switch (t.kind) {
    case 'text':
      if (typeof f.default === 'string' && s.isNull(f.offset, f.name)) return f.default;
      return s.text(f.offset, f.name);
    case 'data':
      if (typeof f.default === 'string' && s.isNull(f.offset, f.name))
        return bytesOut(hexBytes(f.default), c);
      return bytesOut(s.data(f.offset, f.name), c);
    case 'struct': {
      const child = s.struct(f.offset, f.name);
      return child === null ? null : readStruct(child, structLayout(c, t.structName, child.path), c);
    }
    case 'list': {
      const list = s.list(f.offset, f.name);
      return list === null ? null : readList(list, t.element, c);
    }
    default:
      if (s.isNull(f.offset, f.name)) return null;
      throw new FrameError(
        'unsupported',
        `${t.kind} fields are not supported by the JSON codec`,
        `${s.path}.${f.name}`,
      );
  }
}

const LIST_SIZE: Partial<Record<TypeLayout['kind'], ElementSize>> = {
  void: ElementSize.VOID,
  bool: ElementSize.BIT,
  int8: ElementSize.BYTE,
  uint8: ElementSize.BYTE,
  int16: ElementSize.TWO_BYTES,
  uint16: ElementSize.TWO_BYTES,
  enum: ElementSize.TWO_BYTES,
  int32: ElementSize.FOUR_BYTES,
  uint32: ElementSize.FOUR_BYTES,
  float32: ElementSize.FOUR_BYTES,
  int64: ElementSize.EIGHT_BYTES,
  uint64: ElementSize.EIGHT_BYTES,
  float64: ElementSize.EIGHT_BYTES,
  text: ElementSize.POINTER,
  data: ElementSize.POINTER,
  list: ElementSize.POINTER,
  struct: ElementSize.COMPOSITE,
};

/** The element size a list of `t` must have on the wire. */
export function listElementSize(t: TypeLayout): ElementSize | undefined {
  return LIST_SIZE[t.kind];
}

function readList(list: ListReader, t: TypeLayout, c: Ctx): WireValue[] {
  const size = listElementSize(t);
  if (size === undefined)
    throw new FrameError('unsupported', `lists of ${t.kind} are not supported`, list.path);
  list.expect(size, `a list of ${t.kind}`);
  const out: WireValue[] = [];
  const n = list.length;
  if (t.kind === 'enum') {
    for (let i = 0; i < n; i++) out.push(enumOut(c, t.enumName, list.u16(i)));
  } else if (isScalarKind(t.kind)) {
    for (let i = 0; i < n; i++) out.push(scalarOut(fromBits(t.kind, readBits(list, t.kind, i)), c));
  } else if (t.kind === 'text') {
    for (let i = 0; i < n; i++) out.push(list.text(i));
  } else if (t.kind === 'data') {
    for (let i = 0; i < n; i++) out.push(bytesOut(list.data(i), c));
  } else if (t.kind === 'list') {
    for (let i = 0; i < n; i++) {
      const inner = list.list(i);
      out.push(inner === null ? null : readList(inner, t.element, c));
    }
  } else if (t.kind === 'struct') {
    const layout = structLayout(c, t.structName, list.path);
    for (let i = 0; i < n; i++) out.push(readStruct(list.struct(i), layout, c));
  }
  return out;
}
