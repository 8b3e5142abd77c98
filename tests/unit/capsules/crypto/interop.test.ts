/**
 * Interop on seeded random inputs: our digests against sha256sum / sha512sum / b3sum, and our AEADs
 * against OpenSSL (node:crypto), at sizes that straddle every chunk and backend threshold (the
 * ChaCha20 chunking and counters, the WebCrypto switch-over). Set SEED=n to reproduce a failure.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHACHA_CHUNK, WEBCRYPTO_AES_GCM_FROM } from '../../../../src/capsules/crypto/aead.ts';
import { NOBLE_CHUNK, WEBCRYPTO_FROM } from '../../../../src/capsules/crypto/hash.ts';
import { cryptoCapsule } from '../../../../src/capsules/crypto/index.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { hex, runMethod } from './_harness.ts';
import { digestsWith, needTools, skipNote } from './_tools.ts';

const SEED = seedFromEnv(0x1c0ffee);

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = (rand() * 2 ** 32) >>> 0;
  for (let i = words.length * 4; i < n; i++) out[i] = (rand() * 256) >>> 0;
  return out;
}

const SIZES = [
  0,
  1,
  55, // longest one-block SHA-256 message
  56,
  64,
  1023,
  WEBCRYPTO_FROM['SHA-512'] - 1,
  WEBCRYPTO_FROM['SHA-256'],
  NOBLE_CHUNK.BLAKE3 + 1,
  CHACHA_CHUNK + 63,
  2 * CHACHA_CHUNK + 5,
  NOBLE_CHUNK['SHA-256'] + 17,
];

const run = async (name: string, params: unknown, input: Uint8Array, shared = true) =>
  (await runMethod(cryptoCapsule, name, params, input, { shared })).output;

describe(`digests against the reference tools (SEED=${SEED})`, () => {
  const rand = prng(SEED);
  const inputs = SIZES.map((n) => randomBytes(rand, n));
  const check = async (method: string, tool: string) => {
    const want = digestsWith(tool, inputs);
    for (const [i, input] of inputs.entries())
      expect(hex(await run(method, {}, input)), `${input.length} bytes`).toBe(want[i]);
  };

  it.skipIf(!needTools('sha256sum'))(`sha256 = sha256sum${skipNote('sha256sum')}`, () =>
    check('sha256', 'sha256sum'),
  );
  it.skipIf(!needTools('sha512sum'))(`sha512 = sha512sum${skipNote('sha512sum')}`, () =>
    check('sha512', 'sha512sum'),
  );
  it.skipIf(!needTools('b3sum'))(`blake3 = b3sum${skipNote('b3sum')}`, () => check('blake3', 'b3sum'));
  it('hmac_sha256 = OpenSSL HMAC, keys of 0, 32 and 100 bytes', async () => {
    for (const [i, input] of inputs.entries()) {
      const key = randomBytes(rand, [0, 32, 100][i % 3] as number);
      const want = nodeCrypto.createHmac('sha256', key).update(input).digest('hex');
      expect(hex(await run('hmac_sha256', { key: hex(key) }, input)), `${input.length} bytes`).toBe(want);
    }
  });
});

describe(`AEADs against OpenSSL (SEED=${SEED})`, () => {
  const rand = prng(SEED + 1);
  const sizes = [...SIZES, WEBCRYPTO_AES_GCM_FROM - 1, WEBCRYPTO_AES_GCM_FROM];

  it('ChaCha20-Poly1305: same ciphertext ‖ tag, and we open what OpenSSL seals', async () => {
    for (const n of sizes) {
      const [key, nonce, aad, pt] = [
        randomBytes(rand, 32),
        randomBytes(rand, 12),
        randomBytes(rand, n % 40),
        randomBytes(rand, n),
      ];
      const e = nodeCrypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      e.setAAD(aad, { plaintextLength: n });
      const sealed = Buffer.concat([e.update(pt), e.final(), e.getAuthTag()]);
      const params = { key: hex(key), nonce: hex(nonce), aad: hex(aad) };
      expect(hex(await run('chacha20poly1305_encrypt', params, pt)), `${n} bytes`).toBe(
        sealed.toString('hex'),
      );
      expect(hex(await run('chacha20poly1305_decrypt', params, sealed)), `${n} bytes`).toBe(hex(pt));
    }
  });

  it('AES-GCM (128/192/256): same ciphertext ‖ tag, and we open what OpenSSL seals', async () => {
    for (const [i, n] of sizes.entries()) {
      const bits = [128, 192, 256][i % 3] as number;
      const [key, iv, aad, pt] = [
        randomBytes(rand, bits / 8),
        randomBytes(rand, 12),
        randomBytes(rand, n % 40),
        randomBytes(rand, n),
      ];
      const e = nodeCrypto.createCipheriv(`aes-${bits}-gcm` as nodeCrypto.CipherGCMTypes, key, iv);
      e.setAAD(aad);
      const sealed = Buffer.concat([e.update(pt), e.final(), e.getAuthTag()]);
      const params = { key: hex(key), iv: hex(iv), aad: hex(aad) };
      expect(hex(await run('aes_gcm_encrypt', params, pt)), `${n} bytes`).toBe(sealed.toString('hex'));
      expect(hex(await run('aes_gcm_decrypt', params, sealed)), `${n} bytes`).toBe(hex(pt));
    }
  });

  it('Ed25519: OpenSSL verifies our signatures on random messages', async () => {
    for (let i = 0; i < 4; i++) {
      const seed = randomBytes(rand, 32);
      const msg = randomBytes(rand, 1 + i * 1000);
      const sig = await run('ed25519_sign', { secretKey: hex(seed) }, msg);
      const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
      const pub = nodeCrypto.createPublicKey(
        nodeCrypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      );
      expect(nodeCrypto.verify(null, msg, pub, sig)).toBe(true);
    }
  });
});
