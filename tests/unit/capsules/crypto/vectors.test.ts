/**
 * Known-answer tests from the standards (src/capsules/crypto/vectors/*.json), run through the capsule with
 * a plain input and with the input and output as views into SharedArrayBuffers (the pool's zero-copy
 * case), and through both hash/AES backends. Each fixture is also re-confirmed against an independent
 * implementation: coreutils, b3sum, or OpenSSL through node:crypto.
 */
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../../../src/capsules/crypto/aead.ts';
import {
  blake3Digest,
  blake3Ready,
  hmacSha256,
  shaDigest,
  type HashBackend,
} from '../../../../src/capsules/crypto/hash.ts';
import { cryptoCapsule } from '../../../../src/capsules/crypto/index.ts';
import { ascii, hex, runMethod, unhex } from './_harness.ts';
import { digestsWith, needTools, skipNote } from './_tools.ts';

const VECTORS = resolve(import.meta.dirname, '..', '..', '..', '..', 'src', 'capsules', 'crypto', 'vectors');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(VECTORS, name), 'utf8')) as T;

interface ShaCase {
  name: string;
  ascii: string;
  repeat?: number;
  sha256: string;
  sha512: string;
}
interface Blake3Case {
  input_len: number;
  hash: string;
}
interface HmacCase {
  name: string;
  key: string;
  data?: string;
  data_ascii?: string;
  hmac: string;
}
interface EdCase {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}
interface ChachaCase {
  name: string;
  key: string;
  nonce: string;
  aad: string;
  plaintext_ascii: string;
  ciphertext: string;
  tag: string;
}
interface GcmCase {
  name: string;
  key: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

const sha2 = load<{ cases: ShaCase[] }>('sha2.json').cases;
const blake3 = load<{ cases: Blake3Case[] }>('blake3.json').cases;
const hmacs = load<{ cases: HmacCase[] }>('rfc4231-hmac-sha256.json').cases;
const eds = load<{ cases: EdCase[] }>('rfc8032-ed25519.json').cases;
const chachas = load<{ cases: ChachaCase[] }>('rfc8439-aead.json').cases;
const gcms = load<{ cases: GcmCase[] }>('gcm-spec-aes-gcm.json').cases;

const shaInput = (c: ShaCase) => ascii(c.ascii.repeat(c.repeat ?? 1));
const blake3Input = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
const hmacData = (c: HmacCase) => (c.data_ascii !== undefined ? ascii(c.data_ascii) : unhex(c.data ?? ''));

it('has every fixture it expects (a missing or emptied file fails here, not silently)', () => {
  expect(sha2).toHaveLength(5);
  expect(blake3.map((c) => c.input_len)).toEqual([
    0, 1, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192,
    8193, 16384, 31744, 102400,
  ]);
  expect(hmacs).toHaveLength(6);
  expect(eds).toHaveLength(3);
  expect(chachas).toHaveLength(1);
  expect(gcms).toHaveLength(2);
});

describe.each([
  ['plain input', false],
  ['SharedArrayBuffer views', true],
])('capsule known answers, %s', (_label, shared) => {
  const run = (name: string, params: unknown, input: Uint8Array) =>
    runMethod(cryptoCapsule, name, params, input, { shared }).then((r) => hex(r.output));

  it.each(sha2)('SHA-256 / SHA-512: $name', async (c) => {
    expect(await run('sha256', {}, shaInput(c))).toBe(c.sha256);
    expect(await run('sha512', {}, shaInput(c))).toBe(c.sha512);
  });

  it('BLAKE3: every official case (first 32 bytes of the extended output)', async () => {
    for (const c of blake3)
      expect(await run('blake3', {}, blake3Input(c.input_len)), `len ${c.input_len}`).toBe(
        c.hash.slice(0, 64),
      );
  });

  it.each(hmacs)('HMAC-SHA256 RFC 4231 $name', async (c) => {
    expect(await run('hmac_sha256', { key: c.key }, hmacData(c))).toBe(c.hmac);
  });

  it.each(['noble', 'wasm'] as const)('BLAKE3 on the %s backend: every official case', async (backend) => {
    await blake3Ready;
    for (const c of blake3) {
      let input: Uint8Array = blake3Input(c.input_len);
      if (shared) {
        const view = new Uint8Array(new SharedArrayBuffer(input.length + 8), 8, input.length);
        view.set(input);
        input = view;
      }
      expect(hex(blake3Digest(input, () => {}, backend)), `len ${c.input_len}`).toBe(c.hash.slice(0, 64));
    }
  });

  it.each(eds)('Ed25519 RFC 8032 $name: sign, verify, reject a flipped bit', async (c) => {
    expect(await run('ed25519_sign', { secretKey: c.secretKey }, unhex(c.message))).toBe(c.signature);
    const p = { publicKey: c.publicKey, signature: c.signature };
    expect(await run('ed25519_verify', p, unhex(c.message))).toBe('01');
    const bad = unhex(c.signature);
    bad[7]! ^= 0x10;
    expect(await run('ed25519_verify', { ...p, signature: hex(bad) }, unhex(c.message))).toBe('00');
  });

  it.each(chachas)('ChaCha20-Poly1305 $name: encrypt and decrypt', async (c) => {
    const params = { key: c.key, nonce: c.nonce, aad: c.aad };
    expect(await run('chacha20poly1305_encrypt', params, ascii(c.plaintext_ascii))).toBe(
      c.ciphertext + c.tag,
    );
    expect(await run('chacha20poly1305_decrypt', params, unhex(c.ciphertext + c.tag))).toBe(
      hex(ascii(c.plaintext_ascii)),
    );
  });

  it.each(gcms)('AES-GCM $name: encrypt and decrypt', async (c) => {
    const params = { key: c.key, iv: c.iv, aad: c.aad };
    expect(await run('aes_gcm_encrypt', params, unhex(c.plaintext))).toBe(c.ciphertext + c.tag);
    expect(await run('aes_gcm_decrypt', params, unhex(c.ciphertext + c.tag))).toBe(c.plaintext);
  });
});

describe.each<HashBackend>(['noble', 'webcrypto'])('the %s backend on its own', (backend) => {
  const none = () => {};
  const sharedCopy = (b: Uint8Array) => {
    const v = new Uint8Array(new SharedArrayBuffer(b.length));
    v.set(b);
    return v;
  };
  it('SHA-2 vectors, from shared memory', async () => {
    for (const c of sha2) {
      expect(hex(await shaDigest('SHA-256', sharedCopy(shaInput(c)), none, backend))).toBe(c.sha256);
      expect(hex(await shaDigest('SHA-512', sharedCopy(shaInput(c)), none, backend))).toBe(c.sha512);
    }
  });
  it('HMAC vectors, from shared memory', async () => {
    for (const c of hmacs)
      expect(hex(await hmacSha256(sharedCopy(unhex(c.key)), sharedCopy(hmacData(c)), none, backend))).toBe(
        c.hmac,
      );
  });
  it('AES-GCM vectors, from shared memory', async () => {
    for (const c of gcms) {
      const [k, iv, aad] = [unhex(c.key), unhex(c.iv), unhex(c.aad)];
      expect(hex(await aesGcmEncrypt(k, iv, aad, sharedCopy(unhex(c.plaintext)), none, backend))).toBe(
        c.ciphertext + c.tag,
      );
      expect(
        hex(await aesGcmDecrypt(k, iv, aad, sharedCopy(unhex(c.ciphertext + c.tag)), none, backend)),
      ).toBe(c.plaintext);
    }
  });
});

describe('the fixtures agree with independent implementations', () => {
  it.skipIf(!needTools('b3sum'))(
    `every BLAKE3 value, all 131 bytes, matches b3sum${skipNote('b3sum')}`,
    () => {
      const got = digestsWith(
        'b3sum',
        blake3.map((c) => blake3Input(c.input_len)),
        ['--length', '131'],
      );
      for (const [i, c] of blake3.entries())
        expect(got[i], `BLAKE3 vector for input_len ${c.input_len} is not confirmed by b3sum`).toBe(c.hash);
    },
  );
  it.skipIf(!needTools('sha256sum', 'sha512sum'))(
    `SHA-2 values match coreutils${skipNote('sha256sum', 'sha512sum')}`,
    () => {
      expect(digestsWith('sha256sum', sha2.map(shaInput))).toEqual(sha2.map((c) => c.sha256));
      expect(digestsWith('sha512sum', sha2.map(shaInput))).toEqual(sha2.map((c) => c.sha512));
    },
  );
  it('RFC 4231, 8032, 8439 and GCM values match OpenSSL (node:crypto)', () => {
    for (const c of hmacs)
      expect(nodeCrypto.createHmac('sha256', unhex(c.key)).update(hmacData(c)).digest('hex')).toBe(c.hmac);
    for (const c of eds) {
      // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
      const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), unhex(c.secretKey)]);
      const key = nodeCrypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      expect(nodeCrypto.sign(null, unhex(c.message), key).toString('hex')).toBe(c.signature);
    }
    for (const c of chachas) {
      const e = nodeCrypto.createCipheriv('chacha20-poly1305', unhex(c.key), unhex(c.nonce), {
        authTagLength: 16,
      });
      e.setAAD(unhex(c.aad), { plaintextLength: c.plaintext_ascii.length });
      const ct = Buffer.concat([e.update(ascii(c.plaintext_ascii)), e.final()]).toString('hex');
      expect(ct + e.getAuthTag().toString('hex')).toBe(c.ciphertext + c.tag);
    }
    for (const c of gcms) {
      const e = nodeCrypto.createCipheriv(
        `aes-${c.key.length * 4}-gcm` as nodeCrypto.CipherGCMTypes,
        unhex(c.key),
        unhex(c.iv),
      );
      e.setAAD(unhex(c.aad));
      const ct = Buffer.concat([e.update(unhex(c.plaintext)), e.final()]).toString('hex');
      expect(ct + e.getAuthTag().toString('hex')).toBe(c.ciphertext + c.tag);
    }
  });
});
