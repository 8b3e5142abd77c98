/**
 * Binds the typed codecs to the generated layouts (schemas/gen/layouts.ts) at module load, so no
 * offset is ever typed by hand. A schema change that breaks a codec's assumptions (renamed field,
 * new type) fails here, loudly, on import, and in every test, instead of producing wrong frames.
 */
import { layouts } from '../../schemas/gen/layouts.ts';
import {
  findStruct,
  SCALAR_BITS,
  type ScalarKind,
  type SchemaLayouts,
  type SlotField,
  type StructLayout,
} from './layout.ts';

/** Compile-time check that the generated file matches the layout types. */
export const OUR_LAYOUTS: SchemaLayouts = layouts;

type Nodes = (typeof layouts)['nodes'];
/** Enumerant names of a generated enum, e.g. `EnumNames<'capsule.capnp:JobResult.Status'>`. */
export type EnumNames<K extends keyof Nodes> = Nodes[K] extends { readonly enumerants: readonly (infer N)[] }
  ? N
  : never;

export function bindStruct(name: keyof Nodes): StructLayout {
  const s = findStruct(OUR_LAYOUTS, name);
  if (s === undefined)
    throw new Error(`schemas/gen/layouts.ts has no struct ${name}; run npm run schemas:gen`);
  return s;
}

export function enumerants<K extends keyof Nodes>(name: K): readonly EnumNames<K>[] {
  const node = OUR_LAYOUTS.nodes[name];
  if (node?.kind !== 'enum') throw new Error(`schemas/gen/layouts.ts has no enum ${name}`);
  return node.enumerants as readonly EnumNames<K>[];
}

function slot(s: StructLayout, field: string): SlotField {
  const f = s.fields.find((x) => x.name === field);
  if (f?.kind !== 'slot') throw new Error(`struct ${s.id} has no field ${field}`);
  return f;
}

/** Pointer-section index of a Text/Data/struct field. */
export function pointerSlot(s: StructLayout, field: string, kind: 'text' | 'data' | 'struct'): number {
  const f = slot(s, field);
  if (f.type.kind !== kind) throw new Error(`field ${field} is ${f.type.kind}, codec expects ${kind}`);
  if (f.default !== undefined)
    throw new Error(`field ${field} has a schema default; the typed codec does not apply defaults`);
  return f.offset;
}

/** Byte offset in the data section (bit offset for bool) of a scalar or enum field. */
export function scalarSlot(s: StructLayout, field: string, kind: ScalarKind | 'enum'): number {
  const f = slot(s, field);
  if (f.type.kind !== kind) throw new Error(`field ${field} is ${f.type.kind}, codec expects ${kind}`);
  if (f.default !== undefined)
    throw new Error(`field ${field} has a schema default; the typed codec does not apply defaults`);
  const bits = kind === 'enum' ? 16 : SCALAR_BITS[kind];
  return kind === 'bool' ? f.offset : (f.offset * bits) / 8;
}

export function groupOf(s: StructLayout, field: string): StructLayout {
  const f = s.fields.find((x) => x.name === field);
  if (f?.kind !== 'group') throw new Error(`field ${field} is not a group`);
  return bindStruct(f.structName as keyof Nodes);
}

export function discriminantOf(s: StructLayout, member: string): number {
  const f = s.fields.find((x) => x.name === member);
  if (f?.discriminant === undefined) throw new Error(`field ${member} is not a union member`);
  return f.discriminant;
}
