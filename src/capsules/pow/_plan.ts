/**
 * The per-nonce work of a header search, partially evaluated once so the WASM SIMD kernel and the
 * WGSL shader share one optimised program.
 *
 * Every value of "double-SHA256 of the header at nonce n" is classified by when it is known:
 *  - `k` constant: the SHA-256 constants and padding words (inlined as immediates);
 *  - `u` uniform: depends on the header only (midstate, header words 16..18 and everything derived
 *    from them alone); the host computes these once per job (`evaluateUniforms`);
 *  - `v` varying: depends on the nonce; only these become kernel code.
 * Values are kept as `varying + constant` so chains of additions fold their constant parts on the
 * host. What this removes per nonce (of 128 rounds + 96 schedule steps): rounds 0..2 of the second
 * block (their message words are header words), most of round 3, schedule words 16, 17 and the
 * header-only halves of 18, 19, 23, 24, 30..33, K+W for every constant message word, and, by
 * dead-code elimination from the only output (H7 of the outer hash, which alone decides the
 * early reject), outer rounds 61..63 and schedule words 61..63.
 * Node ids are SSA: each varying node is defined once, before its uses.
 */
import { LEN_32_BITS, LEN_80_BITS, PAD_80, SHA256_IV, SHA256_K } from './dsha256.ts';

export type PlanOp = 'add' | 'S0' | 'S1' | 's0' | 's1' | 'ch' | 'maj';

/** An operand: a 32-bit immediate, a uniform slot, or a varying node (node 0 is the nonce word). */
export type Ref =
  | { readonly kind: 'k'; readonly value: number }
  | { readonly kind: 'u'; readonly slot: number }
  | { readonly kind: 'v'; readonly id: number };

export interface PlanNode {
  readonly op: PlanOp;
  readonly args: readonly Ref[];
}

export interface NoncePlan {
  /** Varying nodes; index = node id. Node 0 is the input: the nonce as a big-endian word, bswap(n). */
  readonly nodes: readonly (PlanNode | null)[];
  /** Uniform ops, evaluated in order; op i defines slot `UNIFORM_INPUTS + i`. */
  readonly uniformOps: readonly PlanNode[];
  /** The node holding H7 of the outer hash (before byte swap). */
  readonly output: number;
  /** Uniform slots read by live varying nodes, in first-use order: the kernel's parameter table. */
  readonly kernelSlots: readonly number[];
}

/** Uniform inputs: slots 0..7 midstate, 8..10 header words 16..18 (big-endian). */
export const UNIFORM_INPUTS = 11;

interface Sym {
  readonly v: number | null;
  readonly c: Ref;
  mat?: Ref;
}

const ZERO: Ref = { kind: 'k', value: 0 };
const k = (value: number): Ref => ({ kind: 'k', value: value >>> 0 });

export function buildNoncePlan(): NoncePlan {
  const nodes: PlanNode[] = [{ op: 'add', args: [ZERO, ZERO] }];
  const uniformOps: PlanNode[] = [];
  const uni = (op: PlanOp, args: Ref[]): Ref => {
    uniformOps.push({ op, args });
    return { kind: 'u', slot: UNIFORM_INPUTS + uniformOps.length - 1 };
  };
  const vary = (op: PlanOp, args: Ref[]): number => nodes.push({ op, args }) - 1;
  const sym = (c: Ref): Sym => ({ v: null, c });

  const addC = (a: Ref, b: Ref): Ref => {
    if (a.kind === 'k' && b.kind === 'k') return k(a.value + b.value);
    if (a.kind === 'k' && a.value === 0) return b;
    if (b.kind === 'k' && b.value === 0) return a;
    return uni('add', [a, b]);
  };
  const add = (...xs: Sym[]): Sym => {
    let v: number | null = null;
    let c: Ref = ZERO;
    for (const x0 of xs) {
      // Once a value has been materialised, reuse that node instead of re-adding its constant.
      const x = x0.mat?.kind === 'v' ? { v: x0.mat.id, c: ZERO } : x0;
      c = addC(c, x.c);
      if (x.v !== null)
        v =
          v === null
            ? x.v
            : vary('add', [
                { kind: 'v', id: v },
                { kind: 'v', id: x.v },
              ]);
    }
    return { v, c };
  };
  const mat = (x: Sym): Ref => {
    if (x.mat) return x.mat;
    if (x.v === null) return (x.mat = x.c);
    const vr: Ref = { kind: 'v', id: x.v };
    x.mat = x.c.kind === 'k' && x.c.value === 0 ? vr : { kind: 'v', id: vary('add', [vr, x.c]) };
    return x.mat;
  };
  const whole = (x: Sym): Sym => {
    const r = mat(x);
    return r.kind === 'v' ? { v: r.id, c: ZERO } : sym(r);
  };
  const fn = (op: PlanOp, ...xs: Sym[]): Sym => {
    if (xs.every((x) => x.v === null)) {
      const cs = xs.map((x) => x.c);
      if (cs.every((c) => c.kind === 'k'))
        return sym(
          k(
            applyOp(
              op,
              cs.map((c) => (c.kind === 'k' ? c.value : 0)),
            ),
          ),
        );
      return sym(uni(op, cs));
    }
    return { v: vary(op, xs.map(mat)), c: ZERO };
  };

  const compressSym = (state: Sym[], w: Sym[], rounds: number): Sym[] => {
    for (let i = 16; i < rounds; i++)
      w[i] = add(fn('s1', w[i - 2]!), w[i - 7]!, fn('s0', w[i - 15]!), w[i - 16]!);
    let [a, b, c, d, e, f, g, h] = state as [Sym, Sym, Sym, Sym, Sym, Sym, Sym, Sym];
    for (let i = 0; i < rounds; i++) {
      // t1 feeds both e and a: materialise it once so its constant (K + W) is added once.
      const t1 = whole(add(h, fn('S1', e), fn('ch', e, f, g), sym(k(SHA256_K[i]!)), w[i]!));
      const t2 = add(fn('S0', a), fn('maj', a, b, c));
      h = g;
      g = f;
      f = e;
      e = add(d, t1);
      d = c;
      c = b;
      b = a;
      a = add(t1, t2);
    }
    return [a, b, c, d, e, f, g, h];
  };

  const mid = Array.from({ length: 8 }, (_, i) => sym({ kind: 'u', slot: i }));
  const block2: Sym[] = [
    sym({ kind: 'u', slot: 8 }),
    sym({ kind: 'u', slot: 9 }),
    sym({ kind: 'u', slot: 10 }),
  ];
  block2.push({ v: 0, c: ZERO }, sym(k(PAD_80)));
  for (let i = 5; i < 15; i++) block2.push(sym(ZERO));
  block2.push(sym(k(LEN_80_BITS)));
  const s2 = compressSym(mid, block2, 64);
  const inner = s2.map((x, i) => add(x, mid[i]!));
  const outerW: Sym[] = [...inner, sym(k(PAD_80))];
  for (let i = 9; i < 15; i++) outerW.push(sym(ZERO));
  outerW.push(sym(k(LEN_32_BITS)));
  // H7 = IV7 + h after 64 rounds = IV7 + e after round 60 (h ← g ← f ← e): 61 rounds suffice.
  const outer = compressSym(
    Array.from(SHA256_IV, (x) => sym(k(x))),
    outerW,
    61,
  );
  const h7 = mat(add(outer[4]!, sym(k(SHA256_IV[7]!))));
  if (h7.kind !== 'v') throw new Error('plan: H7 must depend on the nonce');
  return finish(nodes, uniformOps, h7.id);
}

/** Dead-code elimination from the output and the kernel's slot table. */
function finish(nodes: PlanNode[], uniformOps: PlanNode[], output: number): NoncePlan {
  const live = new Uint8Array(nodes.length);
  live[output] = 1;
  for (let i = output; i > 0; i--) {
    if (!live[i]) continue;
    for (const r of nodes[i]!.args) if (r.kind === 'v') live[r.id] = 1;
  }
  live[0] = 1;
  const kernelSlots: number[] = [];
  const kept = nodes.map((n, i) => (live[i] ? n : null));
  for (const n of kept) {
    if (!n) continue;
    for (const r of n.args) if (r.kind === 'u' && !kernelSlots.includes(r.slot)) kernelSlots.push(r.slot);
  }
  return { nodes: kept, uniformOps, output, kernelSlots };
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** Scalar semantics of every op (the host's uniform evaluation and the reference interpreter). */
export function applyOp(op: PlanOp, a: readonly number[]): number {
  const x = a[0]!;
  switch (op) {
    case 'add':
      return (x + a[1]!) >>> 0;
    case 'S0':
      return (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22)) >>> 0;
    case 'S1':
      return (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25)) >>> 0;
    case 's0':
      return (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
    case 's1':
      return (rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)) >>> 0;
    case 'ch':
      return (a[2]! ^ (x & (a[1]! ^ a[2]!))) >>> 0;
    case 'maj':
      return ((x & a[1]!) | (a[2]! & (x | a[1]!))) >>> 0;
  }
}

/**
 * All uniform slots for one header. `mid` is the midstate, `words` the header's 20 big-endian
 * words. Then `kernelParams` picks the slots a kernel reads.
 */
export function evaluateUniforms(plan: NoncePlan, mid: Uint32Array, words: Uint32Array): Uint32Array {
  const slots = new Uint32Array(UNIFORM_INPUTS + plan.uniformOps.length);
  slots.set(mid.subarray(0, 8), 0);
  slots[8] = words[16]!;
  slots[9] = words[17]!;
  slots[10] = words[18]!;
  const val = (r: Ref): number => (r.kind === 'k' ? r.value : r.kind === 'u' ? slots[r.slot]! : 0);
  plan.uniformOps.forEach((op, i) => {
    slots[UNIFORM_INPUTS + i] = applyOp(op.op, op.args.map(val));
  });
  return slots;
}

/** The kernel parameter table: `slots[plan.kernelSlots[i]]` at index i. */
export function kernelParams(plan: NoncePlan, slots: Uint32Array): Uint32Array {
  return Uint32Array.from(plan.kernelSlots, (s) => slots[s]!);
}

/** Interprets the varying nodes for one nonce: H7 of the outer hash. For tests of the plan itself. */
export function interpretPlan(plan: NoncePlan, slots: Uint32Array, nonceWord: number): number {
  const vals = new Uint32Array(plan.nodes.length);
  vals[0] = nonceWord;
  const val = (r: Ref): number => (r.kind === 'k' ? r.value : r.kind === 'u' ? slots[r.slot]! : vals[r.id]!);
  for (let i = 1; i < plan.nodes.length; i++) {
    const n = plan.nodes[i];
    if (n) vals[i] = applyOp(n.op, n.args.map(val));
  }
  return vals[plan.output]!;
}

/** Counts of live varying nodes by op: the per-nonce cost the kernels pay. */
export function planCost(plan: NoncePlan): Record<PlanOp, number> {
  const cost: Record<PlanOp, number> = { add: 0, S0: 0, S1: 0, s0: 0, s1: 0, ch: 0, maj: 0 };
  plan.nodes.forEach((n, i) => {
    if (n && i > 0) cost[n.op]++;
  });
  return cost;
}
