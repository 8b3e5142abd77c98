/**
 * Hostile and broken requests to the crypto capsule: each gets a BadInputError whose message says
 * what was wrong and what is allowed — or, for a bad signature, the verdict 0. Also: long jobs
 * checkpoint, and a stop thrown from a checkpoint ends the job.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError, JobStopped } from '../../../../src/capsules/capsule.ts';
import { blake3Digest, blake3Ready, cryptoCapsule } from '../../../../src/capsules/crypto/index.ts';
import { hex, runMethod, unhex } from './_harness.ts';

const KEY32 = '11'.repeat(32);
const NONCE = '22'.repeat(12);
const run = (name: string, params: unknown, input = new Uint8Array(8)) =>
  runMethod(cryptoCapsule, name, params, input);
const rejects = (p: Promise<unknown>, message: RegExp) => expect(p).rejects.toThrow(message);
const badInput = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(BadInputError);

describe('params', () => {
  it('refuses an unknown method, listing nothing secret', async () => {
    await badInput(run('md5', {}));
    await rejects(run('md5', {}), /unknown method "md5"/);
  });

  it('refuses unknown keys, for every method', async () => {
    for (const name of Object.keys(cryptoCapsule.methods))
      await rejects(run(name, { surprise: 1 }), /Unrecognized key: "surprise"/);
  });

  it('refuses params that are not an object', async () => {
    await badInput(run('sha256', 'abc'));
    await badInput(run('sha256', null));
    await badInput(run('sha256', []));
  });

  it.each([
    [
      'chacha20poly1305_encrypt',
      { key: '11'.repeat(31), nonce: NONCE },
      /key must be 32 bytes \(64 hex digits\); got 62/,
    ],
    [
      'chacha20poly1305_encrypt',
      { key: KEY32, nonce: '22'.repeat(8) },
      /nonce must be 12 bytes \(24 hex digits\); got 16/,
    ],
    ['chacha20poly1305_encrypt', { key: KEY32 }, /nonce/],
    ['chacha20poly1305_encrypt', { key: 'zz'.repeat(32), nonce: NONCE }, /key must contain only hex digits/],
    ['chacha20poly1305_encrypt', { key: `${KEY32}1`, nonce: NONCE }, /key must be 32 bytes/],
    [
      'chacha20poly1305_encrypt',
      { key: KEY32, nonce: NONCE, aad: 'abc' },
      /aad must have an even number of hex digits/,
    ],
    [
      'chacha20poly1305_encrypt',
      { key: KEY32, nonce: NONCE, aad: '00'.repeat(65537) },
      /aad may be at most 65536 bytes/,
    ],
    [
      'aes_gcm_encrypt',
      { key: '11'.repeat(20), iv: NONCE },
      /key must be 16 bytes \(32 hex digits\), 24 bytes \(48 hex digits\) or 32 bytes/,
    ],
    ['aes_gcm_encrypt', { key: '11'.repeat(16), iv: '22'.repeat(16) }, /iv must be 12 bytes/],
    ['ed25519_sign', { secretKey: '11'.repeat(64) }, /secretKey must be 32 bytes/],
    ['ed25519_verify', { publicKey: KEY32, signature: '33'.repeat(32) }, /signature must be 64 bytes/],
    [
      'ed25519_verify',
      { publicKey: 32, signature: '33'.repeat(64) },
      /publicKey must be a hex string of 32 bytes/,
    ],
    ['hmac_sha256', {}, /key must be a hex string/],
  ])('%s %j → %s', async (name, params, message) => {
    await badInput(run(name, params));
    await rejects(run(name, params), message);
  });
});

describe('inputs', () => {
  it('refuses an input over the capsule limit before any work', async () => {
    const limit = cryptoCapsule.limits.maxInputBytes;
    await rejects(run('sha256', {}, new Uint8Array(limit + 1)), new RegExp(`accepts at most ${limit} bytes`));
  });

  it('refuses an Ed25519 message over 1 MiB (one uncheckpointed call), naming the limit', async () => {
    const big = new Uint8Array((1 << 20) + 1);
    await rejects(run('ed25519_sign', { secretKey: KEY32 }, big), /accepts at most 1048576 bytes/);
  });

  it.each(['chacha20poly1305_decrypt', 'aes_gcm_decrypt'])(
    '%s: a ciphertext shorter than the tag',
    async (name) => {
      const params = name.startsWith('aes') ? { key: KEY32, iv: NONCE } : { key: KEY32, nonce: NONCE };
      await rejects(
        run(name, params, new Uint8Array(15)),
        /ciphertext is 15 bytes; it must hold at least the 16-byte tag/,
      );
    },
  );

  it.each([
    ['chacha20poly1305', { key: KEY32, nonce: NONCE, aad: 'aa' }, 'nonce'],
    ['aes_gcm', { key: KEY32, iv: NONCE, aad: 'aa' }, 'iv'],
  ] as const)(
    '%s: every tampering ends in "authentication failed" and writes no output',
    async (alg, params, nonceKey) => {
      for (const size of [0, 100, 40_000]) {
        const pt = new Uint8Array(size).fill(7);
        const sealed = (await run(`${alg}_encrypt`, params, pt)).output;
        const flipped = (i: number) => {
          const c = sealed.slice();
          c[i]! ^= 1;
          return c;
        };
        const attempts: Array<[Record<string, string>, Uint8Array]> = [
          [params, flipped(sealed.length - 1)], // tag
          [{ ...params, key: '12'.repeat(32) }, sealed],
          [{ ...params, [nonceKey]: '23'.repeat(12) }, sealed],
          [{ ...params, aad: 'ab' }, sealed],
        ];
        if (size > 0) attempts.push([params, flipped(0)]); // ciphertext
        for (const [p, input] of attempts) {
          let wrote = false;
          const r = runMethod(cryptoCapsule, `${alg}_decrypt`, p, input, { onOutput: () => (wrote = true) });
          await rejects(r, /^authentication failed: the (ChaCha20-Poly1305|AES-GCM) tag does not match/);
          await badInput(r);
          expect(wrote).toBe(false);
        }
      }
    },
  );
});

describe('verdicts', () => {
  const key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
  const pub = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  it('ed25519_verify answers 0, not an error, for a public key that is not a curve point or a wrong message', async () => {
    const sig = hex((await run('ed25519_sign', { secretKey: key }, new Uint8Array(0))).output);
    expect(
      (await run('ed25519_verify', { publicKey: pub, signature: sig }, new Uint8Array(0))).output,
    ).toEqual(Uint8Array.of(1));
    expect(
      (await run('ed25519_verify', { publicKey: pub, signature: sig }, new Uint8Array(1))).output,
    ).toEqual(Uint8Array.of(0));
    // y = 2 has no x on the curve: not a point.
    const notAPoint = `02${'00'.repeat(31)}`;
    expect(
      (await run('ed25519_verify', { publicKey: notAPoint, signature: sig }, new Uint8Array(0))).output,
    ).toEqual(Uint8Array.of(0));
    // S ≥ L (non-canonical scalar) is invalid under RFC 8032 §5.1.7.
    const s = unhex(sig);
    s.fill(0xff, 32);
    expect(
      (await run('ed25519_verify', { publicKey: pub, signature: hex(s) }, new Uint8Array(0))).output,
    ).toEqual(Uint8Array.of(0));
  });
});

describe('checkpoints', () => {
  const input = new Uint8Array(1 << 20);
  it.each([
    ['sha256', {}],
    ['sha512', {}],
    ['blake3', {}],
    ['hmac_sha256', { key: KEY32 }],
    ['chacha20poly1305_encrypt', { key: KEY32, nonce: NONCE }],
    ['aes_gcm_encrypt', { key: KEY32, iv: NONCE }],
  ])('%s checkpoints during a 1 MiB job and stops when a checkpoint throws', async (name, params) => {
    const { checkpoints } = await runMethod(cryptoCapsule, name, params, input);
    expect(checkpoints).toBeGreaterThanOrEqual(1);
    const stop = runMethod(cryptoCapsule, name, params, input, {
      onCheckpoint: () => {
        throw new JobStopped('cancelled');
      },
    });
    await expect(stop).rejects.toBeInstanceOf(JobStopped);
  });

  it('BLAKE3 checkpoints once per chunk on both backends (1 MiB: 8 noble chunks; 4 MiB: 4 WASM chunks)', async () => {
    await blake3Ready;
    for (const [backend, bytes, chunks] of [
      ['noble', 1 << 20, 8],
      ['wasm', 4 << 20, 4],
    ] as const) {
      let n = 0;
      blake3Digest(new Uint8Array(bytes), () => void n++, backend);
      expect(n, backend).toBeGreaterThanOrEqual(chunks);
    }
  });

  it('ChaCha20-Poly1305 checkpoints at least once per chunk (1 MiB: 4 chunks, one fused pass)', async () => {
    expect(
      (await runMethod(cryptoCapsule, 'chacha20poly1305_encrypt', { key: KEY32, nonce: NONCE }, input))
        .checkpoints,
    ).toBeGreaterThanOrEqual(4);
  });
});
