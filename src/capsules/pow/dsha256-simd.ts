/**
 * The CPU hot path: the nonce plan (_plan.ts) compiled to a WebAssembly SIMD kernel that hashes
 * 4 nonces per 128-bit vector, `streams` vectors per loop iteration.
 *
 * Why generated WASM: a scalar JS loop peaks at ~1.3 MH/s (rolled) or ~2.0 MH/s (unrolled) on the
 * dev box, under the 0.25 × native goal (native ≈ 9 MH/s there, SHA-NI); i32x4 lanes do four
 * nonces for roughly the price of one. The kernel only computes H7 of the outer hash and reports
 * the first group of lanes whose bswap(H7) ≤ the target's top word; the caller confirms each lane
 * with the scalar hash and the full 256-bit comparison, so an early reject can never accept a
 * wrong nonce.
 *
 * Memory (one 64 KiB page): u32 at index i < P = the plan's kernel parameter i; index P = the
 * target's most significant word.
 * Export `scan(base, iters) → i32`: tests nonces base .. base + iters × lanes − 1 and returns the
 * first iteration whose group holds a candidate, or −1.
 */
import { ByteWriter, buildModule, I32, OP, SIMD, V128 } from './_wasm.ts';
import { buildNoncePlan, type NoncePlan, type PlanOp, type Ref } from './_plan.ts';

export interface SimdKernel {
  /** Nonces per iteration of `scan`. */
  readonly lanes: number;
  /** Kernel parameters (`kernelParams`) and the target's top word for the next scans. */
  setParams(params: Uint32Array, targetTop: number): void;
  /** First iteration in `0 .. iters-1` holding a candidate lane, or −1. `iters` ≥ 1. */
  scan(base: number, iters: number): number;
  /** The kernel's WebAssembly memory, for `ctx.trackMemory` (capsule.ts). */
  readonly memory?: WebAssembly.Memory;
}

const BSWAP_LANES = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
/**
 * Vectors per iteration. Measured on the dev box (Node 20): 1 stream 5.0–5.7 MH/s, 2 streams
 * 2.3–3.0 MH/s (twice the live vectors spill out of the 16 XMM registers). Keeping the K
 * constants in memory instead of v128.const immediates made no measurable difference.
 */
export const DEFAULT_STREAMS = 1;

const ROT: Record<Exclude<PlanOp, 'add' | 'ch' | 'maj'>, readonly [number[], number]> = {
  S0: [[2, 13, 22], 0],
  S1: [[6, 11, 25], 0],
  s0: [[7, 18], 3],
  s1: [[17, 19], 10],
};

/** The kernel's WebAssembly bytes for `plan`, `streams` × 4 lanes per iteration. */
export function buildSimdKernelBytes(plan: NoncePlan, streams = DEFAULT_STREAMS): Uint8Array {
  const P = plan.kernelSlots.length;
  const slotIndex = new Map(plan.kernelSlots.map((s, i) => [s, i]));
  const nodes = plan.nodes;
  const lastUse = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((n, i) => n?.args.forEach((r) => r.kind === 'v' && (lastUse[r.id] = i)));
  lastUse[plan.output] = nodes.length;

  const body = new ByteWriter();
  const BASE = 0,
    ITERS = 1,
    I = 2,
    FIRST_V128 = 3;
  let nextLocal = FIRST_V128;
  const free: number[] = [];
  const alloc = (): number => free.pop() ?? nextLocal++;
  const locals: number[][] = Array.from({ length: streams }, () => new Array<number>(nodes.length).fill(-1));

  const get = (l: number): void => void body.byte(OP.local_get).u32(l);
  const i32c = (n: number): void => void body.byte(OP.i32_const).s32(n);
  const vconst = (v: number): void => {
    body.simd(SIMD.v128_const);
    for (let j = 0; j < 4; j++)
      body.bytes([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
  };
  const splatLoad = (index: number): void => {
    i32c(0);
    body
      .simd(SIMD.v128_load32_splat)
      .u32(2)
      .u32(index * 4);
  };
  const push = (r: Ref, s: number): void => {
    if (r.kind === 'k') vconst(r.value);
    else if (r.kind === 'u') splatLoad(slotIndex.get(r.slot)!);
    else get(locals[s]![r.id]!);
  };
  const shift = (op: number, n: number): void => {
    i32c(n);
    body.simd(op);
  };
  const bswap = (): void => {
    body.simd(SIMD.i8x16_shuffle).bytes(BSWAP_LANES);
  };

  body.byte(OP.block).byte(OP.void).byte(OP.loop).byte(OP.void);
  for (let s = 0; s < streams; s++) {
    // Node 0: bswap(nonce) lanes = base + i × lanes + 4s + (0, 1, 2, 3).
    const l = alloc();
    locals[s]![0] = l;
    get(BASE);
    get(I);
    i32c(streams * 4);
    body.byte(OP.i32_mul).byte(OP.i32_add);
    i32c(s * 4);
    body.byte(OP.i32_add).simd(SIMD.i32x4_splat);
    body.simd(SIMD.v128_const).bytes([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]).simd(SIMD.i32x4_add);
    body.byte(OP.local_tee).u32(l);
    get(l);
    bswap();
    body.byte(OP.local_set).u32(l);
  }
  for (let n = 1; n < nodes.length; n++) {
    const node = nodes[n];
    if (!node) continue;
    for (let s = 0; s < streams; s++) {
      const a = node.args;
      switch (node.op) {
        case 'add':
          push(a[0]!, s);
          push(a[1]!, s);
          body.simd(SIMD.i32x4_add);
          break;
        case 'ch': // g ^ (e & (f ^ g)) = bitselect(f, g, e)
          push(a[1]!, s);
          push(a[2]!, s);
          push(a[0]!, s);
          body.simd(SIMD.v128_bitselect);
          break;
        case 'maj': // a == b ? a : c  = bitselect(c, b, a ^ b)
          push(a[2]!, s);
          push(a[1]!, s);
          push(a[0]!, s);
          push(a[1]!, s);
          body.simd(SIMD.v128_xor).simd(SIMD.v128_bitselect);
          break;
        default: {
          const [rots, shr] = ROT[node.op];
          let first = true;
          for (const r of rots) {
            push(a[0]!, s);
            shift(SIMD.i32x4_shr_u, r);
            push(a[0]!, s);
            shift(SIMD.i32x4_shl, 32 - r);
            body.simd(SIMD.v128_xor);
            if (!first) body.simd(SIMD.v128_xor);
            first = false;
          }
          if (shr) {
            push(a[0]!, s);
            shift(SIMD.i32x4_shr_u, shr);
            body.simd(SIMD.v128_xor);
          }
        }
      }
      const l = alloc();
      locals[s]![n] = l;
      body.byte(OP.local_set).u32(l);
    }
    const dying = new Set<number>();
    for (const r of node.args) if (r.kind === 'v' && lastUse[r.id] === n) dying.add(r.id);
    for (const id of dying) for (let s = 0; s < streams; s++) free.push(locals[s]![id]!);
  }
  // Candidate test: any lane with bswap(H7) ≤ target top word.
  for (let s = 0; s < streams; s++) {
    get(locals[s]![plan.output]!);
    get(locals[s]![plan.output]!);
    bswap();
    splatLoad(P);
    body.simd(SIMD.i32x4_le_u);
    if (s > 0) body.simd(SIMD.v128_or);
  }
  body.simd(SIMD.v128_any_true).byte(OP.if).byte(OP.void);
  get(I);
  body.byte(OP.return).byte(OP.end);
  get(I);
  i32c(1);
  body.byte(OP.i32_add).byte(OP.local_tee).u32(I);
  get(ITERS);
  body.byte(OP.i32_lt_u).byte(OP.br_if).u32(0);
  body.byte(OP.end).byte(OP.end);
  i32c(-1);

  return buildModule({
    params: [I32, I32],
    results: [I32],
    locals: [
      { count: 1, type: I32 },
      { count: nextLocal - FIRST_V128, type: V128 },
    ],
    body,
    name: 'scan',
    pages: 1,
  });
}

let sharedPlan: NoncePlan | undefined;
/** The nonce plan, built once per realm (~5 ms). */
export function noncePlan(): NoncePlan {
  return (sharedPlan ??= buildNoncePlan());
}

/** False where WebAssembly or its SIMD extension is missing (the scalar path is then used). */
export function simdSupported(): boolean {
  // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
  const probe = Uint8Array.of(
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    5,
    1,
    96,
    0,
    1,
    123,
    3,
    2,
    1,
    0,
    10,
    22,
    1,
    20,
    0,
    253,
    12,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    11,
  );
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
}

function instantiate(module: WebAssembly.Module, streams: number): SimdKernel {
  const instance = new WebAssembly.Instance(module, {});
  const mem = instance.exports['mem'] as WebAssembly.Memory;
  const scan = instance.exports['scan'] as (base: number, iters: number) => number;
  const words = new Uint32Array(mem.buffer);
  return {
    lanes: streams * 4,
    memory: mem,
    setParams(params, targetTop) {
      words.set(params, 0);
      words[params.length] = targetTop;
    },
    scan: (base, iters) => scan(base | 0, iters | 0),
  };
}

/**
 * Compiles the kernel synchronously. Fine in Workers and Node; Chrome refuses synchronous
 * compilation of modules over 4 KiB on a document's main thread, so use `loadSimdKernel` there.
 */
export function createSimdKernelSync(streams = DEFAULT_STREAMS): SimdKernel | null {
  if (!simdSupported()) return null;
  return instantiate(
    new WebAssembly.Module(buildSimdKernelBytes(noncePlan(), streams) as Uint8Array<ArrayBuffer>),
    streams,
  );
}

export async function loadSimdKernel(streams = DEFAULT_STREAMS): Promise<SimdKernel | null> {
  if (!simdSupported()) return null;
  const module = await WebAssembly.compile(
    buildSimdKernelBytes(noncePlan(), streams) as Uint8Array<ArrayBuffer>,
  );
  return instantiate(module, streams);
}

let shared: Promise<SimdKernel | null> | undefined;
/** One kernel per realm, compiled asynchronously on first use; null where SIMD is missing or compilation fails. */
export function sharedSimdKernel(): Promise<SimdKernel | null> {
  return (shared ??= loadSimdKernel().catch(() => null));
}
