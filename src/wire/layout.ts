/**
 * Schema layouts: what a decoder needs to know about a struct, taken from capnpc's
 * CodeGeneratorRequest (see `schema-layout.ts`), never written by hand. The committed copy for our
 * own schemas lives in `schemas/gen/layouts.ts`; the CLI computes the same thing at run time for any
 * schema file.
 *
 * Offsets follow the Cap'n Proto encoding spec: a scalar slot's `offset` counts units of its own
 * width from the start of the data section (a UInt64 at offset 1 occupies bytes 8..15; a Bool at
 * offset 17 is bit 17), a pointer slot's `offset` is its index in the pointer section.
 */

export type ScalarKind =
  | 'void'
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64';

export type PointerKind = 'text' | 'data' | 'struct' | 'list' | 'anyPointer' | 'interface';

export type TypeLayout =
  | { readonly kind: ScalarKind }
  | { readonly kind: 'enum'; readonly enumName: string }
  | { readonly kind: 'text' }
  | { readonly kind: 'data' }
  | { readonly kind: 'struct'; readonly structName: string }
  | { readonly kind: 'list'; readonly element: TypeLayout }
  | { readonly kind: 'anyPointer' }
  | { readonly kind: 'interface' };

/**
 * An explicit schema default (`foo @0 :UInt32 = 5`). Scalars are stored XOR their default, so
 * readers and writers need it. 64-bit integers are decimal strings so the layout stays JSON; Data
 * defaults are hex.
 */
export type DefaultValue = boolean | number | string;

export interface SlotField {
  readonly kind: 'slot';
  readonly name: string;
  readonly type: TypeLayout;
  readonly offset: number;
  readonly default?: DefaultValue;
  /** Present when the field is a member of its struct's (or group's) union. */
  readonly discriminant?: number;
}

export interface GroupField {
  readonly kind: 'group';
  readonly name: string;
  /** The group's own node (it shares the parent's data and pointer sections). */
  readonly structName: string;
  readonly discriminant?: number;
}

export type FieldLayout = SlotField | GroupField;

export interface StructLayout {
  readonly kind: 'struct';
  /** Node id as 16 hex digits. */
  readonly id: string;
  readonly dataWords: number;
  readonly pointerCount: number;
  /** Number of union members; 0 when the struct (or group) has no union. */
  readonly discriminantCount: number;
  /** In 16-bit units from the start of the data section. */
  readonly discriminantOffset: number;
  /** In declaration order. */
  readonly fields: readonly FieldLayout[];
}

export interface EnumLayout {
  readonly kind: 'enum';
  readonly id: string;
  /** Index = wire value. */
  readonly enumerants: readonly string[];
}

/** Nodes keyed by capnp display name, e.g. `capsule.capnp:JobRequest`, `capsule.capnp:JobRequest.input`. */
export interface SchemaLayouts {
  readonly nodes: { readonly [displayName: string]: StructLayout | EnumLayout };
}

/** Bits a scalar occupies; slot offsets are in these units. */
export const SCALAR_BITS: Readonly<Record<ScalarKind, number>> = {
  void: 0,
  bool: 1,
  int8: 8,
  uint8: 8,
  int16: 16,
  uint16: 16,
  int32: 32,
  uint32: 32,
  float32: 32,
  int64: 64,
  uint64: 64,
  float64: 64,
};

export function isScalarKind(kind: TypeLayout['kind']): kind is ScalarKind {
  return kind in SCALAR_BITS;
}

export function findStruct(layouts: SchemaLayouts, name: string): StructLayout | undefined {
  const node = layouts.nodes[name];
  return node?.kind === 'struct' ? node : undefined;
}

export function findEnum(layouts: SchemaLayouts, name: string): EnumLayout | undefined {
  const node = layouts.nodes[name];
  return node?.kind === 'enum' ? node : undefined;
}
