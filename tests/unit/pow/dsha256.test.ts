import { describe, expect, it } from 'vitest';
import { HeaderHasher, digestDisplayHex } from '../../../src/capsules/pow/dsha256.ts';
import {
  buildNoncePlan,
  evaluateUniforms,
  interpretPlan,
  kernelParams,
  planCost,
} from '../../../src/capsules/pow/_plan.ts';
import {
  buildSimdKernelBytes,
  createSimdKernelSync,
  simdSupported,
} from '../../../src/capsules/pow/dsha256-simd.ts';
import { bswap32 } from '../../../src/capsules/pow/target.ts';
import { SEED, nobleDisplayHash, prng, randomHeader } from './_helpers.ts';
import { need } from '../../_tools.ts';

describe('scalar double-SHA256 with midstate', () => {
  it(`matches @noble/hashes on random headers and nonces (seed ${SEED})`, () => {
    const next = prng(SEED);
    for (let i = 0; i < 200; i++) {
      const header = randomHeader(next);
      const nonce = next();
      expect(digestDisplayHex(new HeaderHasher(header).hashNonce(nonce)), `seed ${SEED} case ${i}`).toBe(
        nobleDisplayHash(header, nonce),
      );
    }
  });

  it('reuses one hasher across nonces without state leaking between calls', () => {
    const next = prng(SEED + 1);
    const header = randomHeader(next);
    const hasher = new HeaderHasher(header);
    for (const nonce of [0, 1, 0xffffffff, 0x80000000, 12345, 0]) {
      expect(digestDisplayHex(hasher.hashNonce(nonce))).toBe(nobleDisplayHash(header, nonce));
    }
  });
});

describe('nonce plan (partial evaluation shared by the SIMD kernel and the shader)', () => {
  const plan = buildNoncePlan();

  it(`computes H7 of the outer hash exactly (seed ${SEED})`, () => {
    const next = prng(SEED + 2);
    for (let i = 0; i < 50; i++) {
      const header = randomHeader(next);
      const hasher = new HeaderHasher(header);
      const slots = evaluateUniforms(plan, hasher.mid, hasher.words);
      for (let j = 0; j < 4; j++) {
        const nonce = next();
        expect(interpretPlan(plan, slots, bswap32(nonce)), `seed ${SEED} case ${i}/${j}`).toBe(
          hasher.hashNonce(nonce)[7],
        );
      }
    }
  });

  it('does less work than two full compressions (61 outer rounds, header-only work hoisted)', () => {
    const cost = planCost(plan);
    // Two full compressions: 128 Σ0, 128 Σ1, 128 Ch, 128 Maj, 96 σ0, 96 σ1.
    // Σ1 runs on e: block 2 rounds 4..63 (e is header-only through round 3), outer rounds 1..60.
    expect(cost.S1).toBe(60 + 60);
    expect(cost.S0).toBeLessThan(128);
    expect(cost.s0 + cost.s1).toBeLessThan(192);
    expect(plan.kernelSlots.length).toBeLessThanOrEqual(32);
  });
});

describe.skipIf(!need('WebAssembly SIMD', simdSupported()))('WASM SIMD kernel', () => {
  const plan = buildNoncePlan();
  const kernel = createSimdKernelSync()!;

  it('is valid WebAssembly', () => {
    expect(WebAssembly.validate(buildSimdKernelBytes(plan) as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it(`reports exactly the groups whose lanes pass the top-word test (seed ${SEED})`, () => {
    const next = prng(SEED + 3);
    const header = randomHeader(next);
    const hasher = new HeaderHasher(header);
    // Top word ≤ 2^24: about 1 nonce in 256 is a candidate, so many groups are exercised.
    const top = 0x00ffffff;
    kernel.setParams(kernelParams(plan, evaluateUniforms(plan, hasher.mid, hasher.words)), top);
    const base = next() & ~0xfffff;
    let pos = base;
    for (let k = 0; k < 40; k++) {
      const it = kernel.scan(pos, 4096);
      let expected = -1;
      for (let n = pos; n < pos + 4096 * kernel.lanes && expected < 0; n++) {
        if (bswap32(hasher.hashNonce(n)[7]!) <= top) expected = Math.floor((n - pos) / kernel.lanes);
      }
      expect(it, `seed ${SEED} pos ${pos}`).toBe(expected);
      pos += (it < 0 ? 4096 : it + 1) * kernel.lanes;
    }
  });

  it('wraps lanes across the top of the nonce space', () => {
    const header = randomHeader(prng(SEED + 4));
    const hasher = new HeaderHasher(header);
    kernel.setParams(kernelParams(plan, evaluateUniforms(plan, hasher.mid, hasher.words)), 0xffffffff);
    expect(kernel.scan(0xfffffffc, 1)).toBe(0);
  });
});
