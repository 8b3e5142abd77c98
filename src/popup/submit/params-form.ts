/**
 * Form fields from a capsule method's params schema (zod → JSON Schema, made in the offscreen
 * document): one field per top-level property a form can hold (string, number, integer, boolean,
 * an enum); anything else (arrays, nested objects) is left to the raw-JSON editor.
 */
export interface ParamField {
  name: string;
  kind: 'string' | 'number' | 'integer' | 'boolean' | 'enum';
  options: string[];
  required: boolean;
  description: string;
  min?: number;
  max?: number;
}

export function fieldsOf(schema: Record<string, unknown> | null): { fields: ParamField[]; rest: string[] } {
  const props = schema?.['properties'];
  if (typeof props !== 'object' || props === null) return { fields: [], rest: [] };
  const required = Array.isArray(schema?.['required']) ? (schema['required'] as unknown[]) : [];
  const fields: ParamField[] = [];
  const rest: string[] = [];
  for (const [name, raw] of Object.entries(props as Record<string, Record<string, unknown>>)) {
    const t = raw['type'];
    const base = {
      name,
      required: required.includes(name),
      description: typeof raw['description'] === 'string' ? raw['description'] : '',
      ...(typeof raw['minimum'] === 'number' ? { min: raw['minimum'] } : {}),
      ...(typeof raw['maximum'] === 'number' ? { max: raw['maximum'] } : {}),
    };
    if (Array.isArray(raw['enum']) && raw['enum'].every((v) => typeof v === 'string'))
      fields.push({ ...base, kind: 'enum', options: raw['enum'] as string[] });
    else if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean')
      fields.push({ ...base, kind: t, options: [] });
    else rest.push(name);
  }
  return { fields, rest };
}

/** The params object from the form's values (empty fields left out: the schema's default applies). */
export function paramsFrom(
  fields: readonly ParamField[],
  values: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined || v === '') continue;
    if (f.kind === 'boolean') out[f.name] = v === 'true';
    else if (f.kind === 'number' || f.kind === 'integer') out[f.name] = Number(v);
    else out[f.name] = v;
  }
  return out;
}
