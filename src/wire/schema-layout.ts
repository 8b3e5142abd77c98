/**
 * Turns capnpc's CodeGeneratorRequest (`capnp compile -o- file.capnp`) into `SchemaLayouts`.
 * Used by `scripts/schemas-gen.mjs` (committed layouts for our schemas) and by the CLI (any schema
 * at run time), so both read the layout capnpc computed rather than one we re-derive.
 *
 * The request comes from capnpc itself, a trusted local process, so capnp-es reads it directly;
 * untrusted frames never go through capnp-es's reader (see `_reader.ts` for why).
 */
import { Message } from 'capnp-es';
import { CodeGeneratorRequest, Field, Node, Type, Value } from 'capnp-es/capnp/schema';
import type {
  DefaultValue,
  EnumLayout,
  FieldLayout,
  SchemaLayouts,
  StructLayout,
  TypeLayout,
} from './layout.ts';

const NO_DISCRIMINANT = 0xffff;

export function layoutsFromCodeGeneratorRequest(request: Uint8Array): SchemaLayouts {
  const req = new Message(request, false).getRoot(CodeGeneratorRequest);
  const names = new Map<bigint, string>();
  for (const node of req.nodes) names.set(node.id, node.displayName);
  const nameOf = (id: bigint): string => {
    const name = names.get(id);
    if (name === undefined) throw new Error(`CodeGeneratorRequest references unknown node ${hexId(id)}`);
    return name;
  };

  const entries: Array<[string, StructLayout | EnumLayout]> = [];
  for (const node of req.nodes) {
    const which = node.which();
    if (which === Node.STRUCT) entries.push([node.displayName, structLayout(node, nameOf)]);
    else if (which === Node.ENUM) entries.push([node.displayName, enumLayout(node)]);
  }
  // Sorted so the generated file does not depend on capnpc's node order.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { nodes: Object.fromEntries(entries) };
}

export function hexId(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

function structLayout(node: Node, nameOf: (id: bigint) => string): StructLayout {
  const s = node.struct;
  const fields = [...s.fields].sort((a, b) => a.codeOrder - b.codeOrder);
  return {
    kind: 'struct',
    id: hexId(node.id),
    dataWords: s.dataWordCount,
    pointerCount: s.pointerCount,
    discriminantCount: s.discriminantCount,
    discriminantOffset: s.discriminantOffset,
    fields: fields.map((f) => fieldLayout(f, nameOf)),
  };
}

function enumLayout(node: Node): EnumLayout {
  const enumerants = [...node.enum.enumerants].map((e) => e.name);
  return { kind: 'enum', id: hexId(node.id), enumerants };
}

function fieldLayout(f: Field, nameOf: (id: bigint) => string): FieldLayout {
  const discriminant = f.discriminantValue === NO_DISCRIMINANT ? {} : { discriminant: f.discriminantValue };
  if (f.which() === Field.GROUP) {
    return { kind: 'group', name: f.name, structName: nameOf(f.group.typeId), ...discriminant };
  }
  const slot = f.slot;
  const type = typeLayout(slot.type, nameOf);
  const def = slot.hadExplicitDefault ? defaultValue(slot.defaultValue) : undefined;
  return {
    kind: 'slot',
    name: f.name,
    type,
    offset: slot.offset,
    ...(def === undefined ? {} : { default: def }),
    ...discriminant,
  };
}

function typeLayout(t: Type, nameOf: (id: bigint) => string): TypeLayout {
  switch (t.which()) {
    case Type.VOID:
      return { kind: 'void' };
    case Type.BOOL:
      return { kind: 'bool' };
    case Type.INT8:
      return { kind: 'int8' };
    case Type.INT16:
      return { kind: 'int16' };
    case Type.INT32:
      return { kind: 'int32' };
    case Type.INT64:
      return { kind: 'int64' };
    case Type.UINT8:
      return { kind: 'uint8' };
    case Type.UINT16:
      return { kind: 'uint16' };
    case Type.UINT32:
      return { kind: 'uint32' };
    case Type.UINT64:
      return { kind: 'uint64' };
    case Type.FLOAT32:
      return { kind: 'float32' };
    case Type.FLOAT64:
      return { kind: 'float64' };
    case Type.TEXT:
      return { kind: 'text' };
    case Type.DATA:
      return { kind: 'data' };
    case Type.LIST:
      return { kind: 'list', element: typeLayout(t.list.elementType, nameOf) };
    case Type.ENUM:
      return { kind: 'enum', enumName: nameOf(t.enum.typeId) };
    case Type.STRUCT:
      return { kind: 'struct', structName: nameOf(t.struct.typeId) };
    case Type.INTERFACE:
      return { kind: 'interface' };
    default:
      return { kind: 'anyPointer' };
  }
}

/** Struct, list and AnyPointer defaults are not carried: a null pointer then reads as absent. */
function defaultValue(v: Value): DefaultValue | undefined {
  switch (v.which()) {
    case Value.BOOL:
      return v.bool;
    case Value.INT8:
      return v.int8;
    case Value.INT16:
      return v.int16;
    case Value.INT32:
      return v.int32;
    case Value.INT64:
      return v.int64.toString();
    case Value.UINT8:
      return v.uint8;
    case Value.UINT16:
      return v.uint16;
    case Value.UINT32:
      return v.uint32;
    case Value.UINT64:
      return v.uint64.toString();
    case Value.FLOAT32:
      return v.float32;
    case Value.FLOAT64:
      return v.float64;
    case Value.ENUM:
      return v.enum;
    case Value.TEXT:
      return v.text;
    case Value.DATA:
      return [...v.data.toUint8Array()].map((b) => b.toString(16).padStart(2, '0')).join('');
    default:
      return undefined;
  }
}
