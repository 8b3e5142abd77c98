import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinCapsules } from '../../../src/capsules/builtin';
import { cryptoCapsule } from '../../../src/capsules/crypto';
import { assertAllowedFrom, meshCallableMethods } from '../../../src/capsules/mesh-policy';

/** Param names that hold key material wherever they appear (iv/nonce/publicKey are not secrets). */
const SECRET_NAMES = /^(key|secretKey|privateKey|seed|passphrase|password)$/i;

function paramNames(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as Record<string, unknown>) : [];
}

describe('jobs from the mesh never carry a requester’s secret', () => {
  it('refuses the crypto methods that take a key, naming the secret param', () => {
    for (const m of ['hmac_sha256', 'ed25519_sign', 'chacha20poly1305_encrypt', 'aes_gcm_decrypt'])
      expect(() => assertAllowedFrom('mesh', cryptoCapsule, m)).toThrow(/secret .*requester's own machine/);
    expect(() => assertAllowedFrom('mesh', cryptoCapsule, 'ed25519_sign')).toThrow(/params\.secretKey/);
  });

  it('allows them locally, and allows keyless methods from the mesh', () => {
    expect(() => assertAllowedFrom('local', cryptoCapsule, 'ed25519_sign')).not.toThrow();
    for (const m of ['sha256', 'blake3', 'ed25519_verify'])
      expect(() => assertAllowedFrom('mesh', cryptoCapsule, m)).not.toThrow();
    expect(meshCallableMethods(cryptoCapsule).sort()).toEqual([
      'blake3',
      'ed25519_verify',
      'sha256',
      'sha512',
    ]);
  });

  it('every builtin method whose params name a key is marked secret (a new capsule cannot forget)', () => {
    const unmarked: string[] = [];
    for (const c of builtinCapsules)
      for (const [name, m] of Object.entries(c.methods))
        if (paramNames(m.params).some((p) => SECRET_NAMES.test(p)) && m.secretParams === undefined)
          unmarked.push(`${c.library}.${name}`);
    expect(unmarked).toEqual([]);
  });
});
