/** The Submit page's params form: fields from each built-in method's schema (as the offscreen document makes it). */
import { describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { submitCatalog } from '../../../src/offscreen/market-requester.ts';
import { fieldsOf, paramsFrom } from '../../../src/popup/submit/params-form.ts';

describe('Submit page params form', () => {
  it('has a JSON Schema for every method a peer may run, and no method with secret params', () => {
    const cat = submitCatalog();
    expect(cat.map((c) => c.library).sort()).toEqual(builtinCapsules.map((c) => c.library).sort());
    for (const c of cat)
      for (const m of c.methods) {
        expect(m.schema, `${c.library}.${m.name}`).not.toBeNull();
        const cap = builtinCapsules.find((k) => k.library === c.library)!;
        expect(cap.methods[m.name]!.secretParams).toBeUndefined();
      }
  });

  it('makes fields of pow.search params and builds params the schema accepts', () => {
    const search = submitCatalog()
      .find((c) => c.library === 'pow')!
      .methods.find((m) => m.name === 'search')!;
    const { fields } = fieldsOf(search.schema);
    const names = fields.map((f) => f.name);
    expect(names).toContain('count');
    const count = fields.find((f) => f.name === 'count')!;
    expect(['integer', 'number']).toContain(count.kind);
    const p = paramsFrom(fields, { count: '1000', nonceStart: '' });
    expect(p).toEqual({ count: 1000 });
  });

  it('keeps what a form cannot hold for the raw-JSON editor, and reads enums and booleans', () => {
    const { fields, rest } = fieldsOf({
      type: 'object',
      properties: {
        mode: { enum: ['a', 'b'] },
        on: { type: 'boolean' },
        list: { type: 'array' },
      },
      required: ['mode'],
    });
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['mode', 'enum', true],
      ['on', 'boolean', false],
    ]);
    expect(rest).toEqual(['list']);
    expect(paramsFrom(fields, { mode: 'b', on: 'false' })).toEqual({ mode: 'b', on: false });
    expect(fieldsOf(null)).toEqual({ fields: [], rest: [] });
  });
});
