/**
 * Known-answer shader jobs: vector add (u32, exact), inclusive prefix sum (u32, exact; three passes,
 * barriers inside loops) and a tiled f32 matrix multiply (tolerance; sliced through `inos_offset`).
 * Each builds the job's params and input from seeded data and carries a CPU reference, so the unit
 * tests (Dawn), the self-test page (Chromium) and `npm run bench:shader` check the same kernels.
 */
import { mulberry32 } from '../../random/mulberry32';
import type { ExecuteParams } from './params.ts';

export interface KernelJob {
  name: string;
  /** JSON-ready params for `shader.execute`. */
  params: ExecuteParams;
  input: Uint8Array;
  /** The output a correct GPU produces (compare with compareShaderOutputs and params.output). */
  expected: Uint8Array;
  /** Floating-point operations, for GFLOP/s (0 for integer kernels). */
  flops: number;
}

/** A job is a pure function of its seed wherever it is built. */
const prng = mulberry32;

const bytes = (a: Uint32Array | Float32Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const defaults = { output: { type: 'u32', absTol: 0, relTol: 0 }, loopSteps: 1 << 16 } as const;

export const VECTOR_ADD_WGSL = `
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> c: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&c)) { c[id.x] = a[id.x] + b[id.x]; }
}
`;

export function vectorAddJob(n: number, seed = 1): KernelJob {
  const r = prng(seed);
  const a = Uint32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32));
  const b = Uint32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32));
  const c = a.map((x, i) => (x + b[i]!) >>> 0);
  return {
    name: `vector add u32 n=${n}`,
    params: {
      code: VECTOR_ADD_WGSL,
      buffers: [
        { binding: 0, size: n * 4, init: 'input', read: false },
        { binding: 1, size: n * 4, init: 'input', read: false },
        { binding: 2, size: n * 4, init: 'zero', read: true },
      ],
      passes: [{ entryPoint: 'main', dispatch: [Math.ceil(n / 64)] }],
      ...defaults,
    },
    input: concat(bytes(a), bytes(b)),
    expected: bytes(c),
    flops: 0,
  };
}

/** Blocks of 256 scanned in workgroup memory (Hillis–Steele), block sums scanned, then added back. */
export const PREFIX_SUM_WGSL = `
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<storage, read_write> sums: array<u32>;
var<workgroup> tile: array<u32, 256>;

fn scan_tile(li: u32) {
  for (var s = 1u; s < 256u; s = s * 2u) {
    workgroupBarrier();
    var add = 0u;
    if (li >= s) { add = tile[li - s]; }
    workgroupBarrier();
    tile[li] += add;
  }
  workgroupBarrier();
}

@compute @workgroup_size(256)
fn scan_blocks(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) li: u32,
               @builtin(workgroup_id) w: vec3u) {
  let n = arrayLength(&data);
  tile[li] = select(0u, data[g.x], g.x < n);
  scan_tile(li);
  if (g.x < n) { data[g.x] = tile[li]; }
  if (li == 255u) { sums[w.x] = tile[255]; }
}

@compute @workgroup_size(256)
fn scan_sums(@builtin(local_invocation_index) li: u32) {
  tile[li] = select(0u, sums[li], li < arrayLength(&sums));
  scan_tile(li);
  if (li < arrayLength(&sums)) { sums[li] = tile[li]; }
}

@compute @workgroup_size(256)
fn add_sums(@builtin(global_invocation_id) g: vec3u, @builtin(workgroup_id) w: vec3u) {
  if (w.x > 0u && g.x < arrayLength(&data)) { data[g.x] += sums[w.x - 1u]; }
}
`;

/** n ≤ 65536 (256 blocks of 256). */
export function prefixSumJob(n: number, seed = 2): KernelJob {
  const r = prng(seed);
  const data = Uint32Array.from({ length: n }, () => Math.floor(r() * 1000));
  const out = new Uint32Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) out[i] = acc = (acc + data[i]!) >>> 0;
  const blocks = Math.ceil(n / 256);
  return {
    name: `prefix sum u32 n=${n}`,
    params: {
      code: PREFIX_SUM_WGSL,
      buffers: [
        { binding: 0, size: n * 4, init: 'input', read: true },
        { binding: 1, size: blocks * 4, init: 'zero', read: false },
      ],
      passes: [
        { entryPoint: 'scan_blocks', dispatch: [blocks] },
        { entryPoint: 'scan_sums', dispatch: [1] },
        { entryPoint: 'add_sums', dispatch: [blocks] },
      ],
      ...defaults,
    },
    input: bytes(data),
    expected: bytes(out),
    flops: 0,
  };
}

/** C = A·B for n×n row-major f32, 16×16 tiles; n a multiple of 16. Sliced along x by the capsule. */
export const MATMUL_WGSL = `
struct Dims { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(1) @binding(0) var<uniform> inos_offset: vec3u;
var<workgroup> ta: array<array<f32, 16>, 16>;
var<workgroup> tb: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = dims.n;
  let g = wid + inos_offset;
  let col = g.x * 16u + lid.x;
  let row = g.y * 16u + lid.y;
  var acc = 0.0;
  for (var t = 0u; t < n / 16u; t++) {
    ta[lid.y][lid.x] = a[row * n + t * 16u + lid.x];
    tb[lid.y][lid.x] = b[(t * 16u + lid.y) * n + col];
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) { acc += ta[lid.y][k] * tb[k][lid.x]; }
    workgroupBarrier();
  }
  c[row * n + col] = acc;
}
`;

export function matmulJob(n: number, seed = 3, withReference = true): KernelJob {
  if (n % 16 !== 0) throw new RangeError(`matmul n must be a multiple of 16, got ${n}`);
  const r = prng(seed);
  const a = Float32Array.from({ length: n * n }, () => r() * 2 - 1);
  const b = Float32Array.from({ length: n * n }, () => r() * 2 - 1);
  const c = new Float32Array(n * n);
  if (withReference)
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const aik = a[i * n + k]!;
        for (let j = 0; j < n; j++) c[i * n + j]! += aik * b[k * n + j]!;
      }
  return {
    name: `matmul f32 ${n}×${n}`,
    params: {
      code: MATMUL_WGSL,
      buffers: [
        { binding: 0, size: 16, init: 'input', read: false },
        { binding: 1, size: n * n * 4, init: 'input', read: false },
        { binding: 2, size: n * n * 4, init: 'input', read: false },
        { binding: 3, size: n * n * 4, init: 'zero', read: true },
      ],
      passes: [{ entryPoint: 'main', dispatch: [n / 16, n / 16] }],
      // Inputs in [-1, 1): sums of n products; f32 rounding in any order stays far below 1e-3·√n.
      output: { type: 'f32', absTol: 1e-4 * Math.sqrt(n), relTol: 1e-4 },
      loopSteps: 1 << 16,
    },
    input: concat(bytes(Uint32Array.of(n, 0, 0, 0)), bytes(a), bytes(b)),
    expected: bytes(c),
    flops: 2 * n * n * n,
  };
}
