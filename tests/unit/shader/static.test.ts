import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/capsules/capsule.ts';
import {
  blankComments,
  compareShaderOutputs,
  executeParams,
  guardLoops,
  matmulJob,
  planPasses,
  prefixSumJob,
  reflectShader,
  shaderCapsule,
  vectorAddJob,
  type BufferSpec,
} from '../../../src/capsules/shader/index.ts';

const f32 = (...xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);
const buf = (binding: number, size: number, extra: Partial<BufferSpec> = {}): BufferSpec => ({
  binding,
  size,
  init: 'zero',
  read: false,
  ...extra,
});

describe('loop guards', () => {
  it('guards loop, for and while bodies, and nothing in comments', () => {
    const code = `// for (;;) { in a comment }
/* while (true) { nested /* loop { */ } */
fn f() { loop { break; } for (var i = 0u; i < 4u; i++) { } while (false) { } }`;
    const g = guardLoops(code, 100);
    expect(g.loops).toBe(3);
    expect(g.code.match(/_inos_guard\(\)\) \{ break; \}/g)).toHaveLength(3);
    expect(g.code).toContain('_inos_steps > 100u');
    // Inserted only on existing lines: compiler line numbers still match the requester's source.
    expect(
      g.code
        .split('\n')
        .slice(0, 3)
        .join('\n')
        .replace(/ if \(_inos_guard\(\)\) \{ break; \}/g, ''),
    ).toBe(code);
  });

  it('uses the workgroup-uniform guard where a loop reaches a barrier, also through a call', () => {
    const g = guardLoops(prefixSumJob(512).params.code, 10);
    expect(g.code).toMatch(/for \(var s = 1u; s < 256u; s = s \* 2u\) \{ if \(_inos_wguard\(\)\)/);
    const viaCall = guardLoops('fn b() { workgroupBarrier(); }\nfn m() { loop { b(); } }', 5).code;
    expect(viaCall).toContain('loop { if (_inos_wguard())');
    expect(guardLoops('fn m() { let x = 1; }', 5).loops).toBe(0);
  });

  it('blanks comments but keeps offsets', () => {
    expect(blankComments('a /* b\nc */ d // e')).toBe('a     \n     d     ');
  });
});

describe('reflection and limits', () => {
  const { params } = vectorAddJob(256);
  const refl = reflectShader(params.code);

  it('reflects entry points, bindings, kinds and minimum sizes', () => {
    expect(refl.entryPoints).toEqual([
      {
        name: 'main',
        workgroupSize: [64, 1, 1],
        sliceable: false,
        sliceRows: false,
        bindings: [
          expect.objectContaining({ binding: 0, kind: 'read-only-storage', minBytes: 4 }),
          expect.objectContaining({ binding: 1, kind: 'read-only-storage', minBytes: 4 }),
          expect.objectContaining({ binding: 2, kind: 'storage', minBytes: 4 }),
        ],
      },
    ]);
    expect(reflectShader(matmulJob(32, 1, false).params.code).entryPoints[0]).toMatchObject({
      sliceable: true,
      sliceRows: true,
    });
    const decl =
      '@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@group(1) @binding(0) var<uniform> inos_offset: vec3u;\n';
    const rowsOf = (body: string) =>
      reflectShader(`${decl}@compute @workgroup_size(1) fn main(@builtin(workgroup_id) w: vec3u) { ${body} }`)
        .entryPoints[0]!.sliceRows;
    expect(rowsOf('o[w.x + inos_offset.x] = 1u; /* inos_offset.y */')).toBe(false);
    expect(rowsOf('o[w.x + inos_offset[0]] = 1u;')).toBe(false);
    expect(rowsOf('o[w.x + inos_offset.x + inos_offset.y] = 1u;')).toBe(true);
    expect(rowsOf('let g = w + inos_offset; o[g.x] = 1u;')).toBe(true);
  });

  it('refuses what would fail or overrun on the GPU, saying what is allowed', () => {
    const plan = (buffers: BufferSpec[], dispatch: number[], entryPoint = 'main') =>
      planPasses(refl, buffers, [{ entryPoint, dispatch }]);
    const ok = [buf(0, 1024), buf(1, 1024), buf(2, 1024)];
    expect(plan(ok, [4])[0]!.invocations).toBe(256);
    expect(() => plan(ok.slice(0, 2), [4])).toThrow(/@binding\(2\) c.*which buffers does not declare/);
    expect(() => plan([...ok, buf(5, 4)], [4])).toThrow(/@binding\(5\), which no pass's entry point uses/);
    expect(() => plan(ok, [65536])).toThrow(/exceeds 65535 workgroups per dimension/);
    expect(() => plan(ok, [65535, 65535])).toThrow(/at most 268435456 per pass/);
    expect(() => plan(ok, [1], 'nope')).toThrow(/no @compute entry point "nope" \(found: main\)/);
    const fixed = reflectShader(
      '@group(0) @binding(0) var<storage, read_write> x: array<u32, 64>;\n@compute @workgroup_size(1) fn main() { x[0] = 1u; }',
    );
    expect(() => planPasses(fixed, [buf(0, 128)], [{ entryPoint: 'main', dispatch: [1] }])).toThrow(
      /is 128 bytes; it needs at least 256/,
    );
    const big = reflectShader('@compute @workgroup_size(1024) fn main() { }');
    expect(() => planPasses(big, [], [{ entryPoint: 'main', dispatch: [1] }])).toThrow(
      /workgroup_size\(1024, 1, 1\)/,
    );
  });

  it('refuses textures, other groups, non-compute stages and unparsable code as bad input', () => {
    const bad = [
      '@group(0) @binding(0) var t: texture_2d<f32>;\n@compute @workgroup_size(1) fn main() { _ = textureLoad(t, vec2i(0), 0); }',
      '@group(2) @binding(0) var<storage, read_write> x: array<u32>;\n@compute @workgroup_size(1) fn main() { x[0] = 1u; }',
      '@vertex fn main() -> @builtin(position) vec4f { return vec4f(); }',
      'fn main( { oops',
    ];
    for (const code of bad) expect(() => reflectShader(code)).toThrow(BadInputError);
  });

  it('the params schema refuses sizes that are not words, unknown keys and oversized code', () => {
    const base = vectorAddJob(64).params;
    expect(executeParams.safeParse(base).success).toBe(true);
    expect(executeParams.safeParse({ ...base, buffers: [buf(0, 6)] }).error?.message).toMatch(
      /multiple of 4/,
    );
    expect(executeParams.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(executeParams.safeParse({ ...base, code: 'x'.repeat(70_000) }).error?.message).toMatch(
      /65536 bytes/,
    );
  });

  it('compile reports parse errors without a GPU', async () => {
    const out = await shaderCapsule.methods['compile']!.run(
      {
        input: new Uint8Array(0),
        output: () => new Uint8Array(0),
        checkpoint: () => undefined,
        costSoFar: 0,
        services: {},
      },
      { code: 'fn main( {' },
    );
    const report = JSON.parse(new TextDecoder().decode(out as Uint8Array));
    expect(report).toMatchObject({ ok: false, checkedBy: 'wgsl_reflect' });
    expect(report.messages[0]).toMatch(/does not parse/);
  });
});

describe('output comparison for the quorum', () => {
  it('integers are exact', () => {
    const a = new Uint8Array([1, 2, 3, 4]);
    expect(compareShaderOutputs(a, a.slice(), { type: 'u32', absTol: 1, relTol: 1 }).agree).toBe(true);
    expect(
      compareShaderOutputs(a, new Uint8Array([1, 2, 3, 5]), { type: 'i32', absTol: 1, relTol: 1 }),
    ).toEqual({
      agree: false,
      firstMismatch: 0,
      maxAbsDiff: Infinity,
    });
  });

  it('floats agree within absTol + relTol·max(|a|,|b|); NaN only with NaN; infinities only with themselves', () => {
    const spec = { type: 'f32', absTol: 1e-3, relTol: 1e-2 } as const;
    expect(compareShaderOutputs(f32(1, 100), f32(1.0009, 100.9), spec).agree).toBe(true);
    expect(compareShaderOutputs(f32(1, 100), f32(1.02, 100), spec)).toMatchObject({
      agree: false,
      firstMismatch: 0,
    });
    expect(compareShaderOutputs(f32(NaN), f32(NaN), spec).agree).toBe(true);
    expect(compareShaderOutputs(f32(NaN), f32(0), spec).agree).toBe(false);
    expect(compareShaderOutputs(f32(Infinity), f32(Infinity), spec).agree).toBe(true);
    expect(compareShaderOutputs(f32(Infinity), f32(-Infinity), spec).agree).toBe(false);
    expect(compareShaderOutputs(f32(1), f32(1, 2), spec).agree).toBe(false);
  });
});
