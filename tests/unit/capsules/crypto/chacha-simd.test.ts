/**
 * The generated WebAssembly SIMD ChaCha20-Poly1305 kernel (src/capsules/crypto/chacha-simd.ts):
 * RFC 8439's ChaCha20 and Poly1305 test vectors on the kernel itself, then the AEAD against noble
 * (the 'js' backend) and OpenSSL (node:crypto) on seeded random inputs at every length that straddles a
 * block, a 64 KiB slab or a 256 KiB chunk, with AAD of random length; `seal` (ChaCha20 and Poly1305
 * woven) and `mac` (two blocks per carry) against BigInt arithmetic and `xor`, in every generator
 * variant. Set SEED=n to reproduce a failure.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chachaDecryptInto, chachaEncryptInto, TAG_BYTES } from '../../../../src/capsules/crypto/aead.ts';
import {
  buildChachaPolyBytes,
  chachaPolyKernel,
  DATA,
  DATA_BYTES,
  DEFAULT_OPTIONS,
  instantiate,
  type ChachaPolyKernel,
  type KernelOptions,
} from '../../../../src/capsules/crypto/chacha-simd.ts';
import { simdSupported } from '../../../../src/capsules/pow/dsha256-simd.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { need } from '../../../_tools.ts';

const SEED = seedFromEnv(0xc4ac4a);
const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const noop = () => {};

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) >>> 0;
  return out;
}

describe.skipIf(!need('WebAssembly SIMD', simdSupported(), 'the ChaCha20-Poly1305 kernel needs it'))(
  `ChaCha20-Poly1305 WebAssembly SIMD kernel (SEED=${SEED})`,
  () => {
    const k = chachaPolyKernel();

    it('compiles where SIMD exists', () => {
      expect(k).not.toBeNull();
    });

    it('RFC 8439 §2.4.2: ChaCha20 encryption of the sunscreen text', () => {
      const key = unhex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
      const nonce = unhex('000000000000004a00000000');
      const pt = new TextEncoder().encode(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      );
      const data = pt.slice();
      k!.xorInPlace(key, nonce, 1, data);
      expect(hex(data)).toBe(
        '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357' +
          '1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736' +
          '5af90bbf74a35be6b40b8eedf2785e42874d',
      );
    });

    it('RFC 8439 §2.5.2: Poly1305 of "Cryptographic Forum Research Group"', () => {
      const otk = unhex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
      const msg = new TextEncoder().encode('Cryptographic Forum Research Group');
      // The kernel absorbs whole blocks with the 2^128 bit; check the 32 whole bytes against noble-free
      // arithmetic via OpenSSL-independent BigInt, and the full message through the AEAD tests below.
      const whole = msg.subarray(0, 32);
      k!.polyInit(otk.subarray(0, 16));
      k!.bytes.set(whole, DATA);
      k!.mac(2);
      const r =
        BigInt('0x' + hex(otk.subarray(0, 16).slice().reverse())) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
      const s = BigInt('0x' + hex(otk.subarray(16).slice().reverse()));
      const p = (1n << 130n) - 5n;
      let acc = 0n;
      for (let i = 0; i < 32; i += 16) {
        const n =
          BigInt(
            '0x' +
              hex(
                whole
                  .subarray(i, i + 16)
                  .slice()
                  .reverse(),
              ),
          ) +
          (1n << 128n);
        acc = ((acc + n) * r) % p;
      }
      const want = (acc + s) & ((1n << 128n) - 1n);
      const got = k!.polyFinish(otk.subarray(16));
      expect(hex(got)).toBe(
        hex(Uint8Array.from(Buffer.from(want.toString(16).padStart(32, '0'), 'hex')).reverse()),
      );
    });

    /** Poly1305 of whole 16-byte blocks (each with the 2^128 bit), h only (no s), in BigInt. */
    function polyRef(r: Uint8Array, msg: Uint8Array): bigint {
      const le = (b: Uint8Array) => BigInt('0x' + (hex(b.slice().reverse()) || '0'));
      const rr = le(r) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
      const p = (1n << 130n) - 5n;
      let acc = 0n;
      for (let i = 0; i < msg.length; i += 16)
        acc = ((acc + le(msg.subarray(i, i + 16)) + (1n << 128n)) * rr) % p;
      return acc;
    }
    const tagWithZeroS = (kk: ChachaPolyKernel) => polyRefTag(kk.polyFinish(new Uint8Array(16)));
    const polyRefTag = (t: Uint8Array) => hex(t);
    const refTag = (v: bigint) => {
      let t = v & ((1n << 128n) - 1n);
      const out = new Uint8Array(16);
      for (let i = 0; i < 16; i++, t >>= 8n) out[i] = Number(t & 0xffn);
      return hex(out);
    };

    const variants: [string, KernelOptions][] = [
      ['default', DEFAULT_OPTIONS],
      ['without anchors', { ...DEFAULT_OPTIONS, anchors: false }],
      ['round loop unrolled 10×', { ...DEFAULT_OPTIONS, doubleRoundsPerIteration: 10 }],
    ];
    for (const [name, options] of variants) {
      it(`${name}: mac of 0..9 and 4,096 blocks equals BigInt Poly1305; seal equals xor then mac`, () => {
        const kk = instantiate(
          new WebAssembly.Module(buildChachaPolyBytes(options) as Uint8Array<ArrayBuffer>),
        );
        const rand = prng(SEED + 2);
        for (const blocks of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 4096]) {
          const r = randomBytes(rand, 16);
          const msg = randomBytes(rand, blocks * 16);
          kk.polyInit(r);
          kk.bytes.set(msg, DATA);
          kk.mac(blocks);
          expect(tagWithZeroS(kk), `mac of ${blocks} blocks`).toBe(refTag(polyRef(r, msg)));
        }
        for (const passes of [1, 2, 3, 5, DATA_BYTES / kk.groupBytes]) {
          const key = randomBytes(rand, 32);
          const nonce = randomBytes(rand, 12);
          const r = randomBytes(rand, 16);
          const counter = 1 + ((rand() * 1000) >>> 0);
          const n = passes * kk.groupBytes;
          const pt = randomBytes(rand, n);
          const ct = pt.slice();
          kk.xorInPlace(key, nonce, counter, ct);
          kk.setKey(key, nonce);
          kk.polyInit(r);
          kk.bytes.set(pt, DATA);
          kk.seal(passes, counter);
          expect(hex(kk.bytes.subarray(DATA, DATA + n)), `seal of ${passes} passes: ciphertext`).toBe(
            hex(ct),
          );
          expect(tagWithZeroS(kk), `seal of ${passes} passes: MAC`).toBe(refTag(polyRef(r, ct)));
        }
      });
    }

    const SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, DATA_BYTES - 1, DATA_BYTES + 65];
    SIZES.push((256 << 10) + 63, 1 << 20, (1 << 20) + 1);

    it('equals noble and OpenSSL on seeded random inputs and opens what OpenSSL seals', () => {
      const rand = prng(SEED);
      for (const n of SIZES) {
        const key = randomBytes(rand, 32);
        const nonce = randomBytes(rand, 12);
        const aad = randomBytes(rand, [0, 1, 16, 17, 300][n % 5]!);
        const pt = randomBytes(rand, n);
        const wasm = new Uint8Array(n + TAG_BYTES);
        const js = new Uint8Array(n + TAG_BYTES);
        chachaEncryptInto(key, nonce, aad, pt, wasm, noop);
        chachaEncryptInto(key, nonce, aad, pt, js, noop, 'js');
        const e = nodeCrypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
        e.setAAD(aad, { plaintextLength: n });
        const ossl = Buffer.concat([e.update(pt), e.final(), e.getAuthTag()]);
        expect(hex(wasm), `${n} bytes vs noble`).toBe(hex(js));
        expect(hex(wasm), `${n} bytes vs OpenSSL`).toBe(ossl.toString('hex'));
        let opened: Uint8Array | undefined;
        chachaDecryptInto(key, nonce, aad, ossl, (m) => (opened = new Uint8Array(m)), noop);
        expect(hex(opened!), `${n} bytes opened`).toBe(hex(pt));
      }
    });

    it('rejects a flipped bit in the ciphertext, tag or AAD before writing any plaintext', () => {
      const rand = prng(SEED + 1);
      for (const n of [0, 1, 64, 70_000]) {
        const key = randomBytes(rand, 32);
        const nonce = randomBytes(rand, 12);
        const aad = randomBytes(rand, 5);
        const sealed = new Uint8Array(n + TAG_BYTES);
        chachaEncryptInto(key, nonce, aad, randomBytes(rand, n), sealed, noop);
        const at = (rand() * sealed.length) >>> 0;
        const bad = sealed.slice();
        bad[at]! ^= 1 << ((rand() * 8) >>> 0);
        const badAad = aad.slice();
        badAad[0]! ^= 1;
        for (const [what, s, a] of [
          ['sealed', bad, aad],
          ['aad', sealed, badAad],
        ] as const) {
          let allocated = false;
          expect(
            () => chachaDecryptInto(key, nonce, a, s, (m) => ((allocated = true), new Uint8Array(m)), noop),
            `${n} bytes, ${what}`,
          ).toThrow(/authentication failed/);
          expect(allocated).toBe(false);
        }
      }
    });
  },
);
