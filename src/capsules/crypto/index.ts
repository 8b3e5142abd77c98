/**
 * The `crypto` capsule: hashes, HMAC, Ed25519 and two AEADs over the job's input bytes.
 *
 * Conventions, for every method:
 * - params are a JSON object with exactly the keys listed (unknown keys are refused); keys, nonces,
 *   AAD and signatures are hex strings with exact byte lengths;
 * - the input is the message / plaintext / ciphertext bytes;
 * - the output is raw bytes: a digest, a MAC, a 64-byte signature, ciphertext ‖ 16-byte tag, or the
 *   plaintext. `ed25519_verify` outputs one byte: 1 = valid, 0 = invalid (a verdict, not an error:
 *   an invalid signature is a normal answer, while a malformed request is a BadInputError);
 * - a failed AEAD decryption is a BadInputError whose message starts with "authentication failed".
 */
import { z } from 'zod';
import { method, type Capsule } from '../capsule.ts';
import { METHOD_BOUNDS, METHOD_PRICES } from '../price.ts';
import { hexBytes, hexBytesUpTo } from './hex.ts';
import { TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, chachaDecryptInto, chachaEncryptInto } from './aead.ts';
import { ED25519_MAX_MESSAGE, ed25519Sign, ed25519Verify } from './ed25519.ts';
import { blake3Digest, blake3Ready, hmacSha256, shaDigest } from './hash.ts';

export { bytesToHex, hexToBytes } from './hex.ts';
export {
  blake3Digest,
  blake3Ready,
  hmacSha256,
  shaDigest,
  type Blake3Backend,
  type HashBackend,
  type ShaAlgorithm,
} from './hash.ts';

const MIB = 1 << 20;
/** 64 MiB: a 16 MiB input hashes in ~0.1 s; this keeps one job's worst case to seconds, not minutes. */
const MAX_INPUT = 64 * MIB;
/** Largest AAD / HMAC key accepted in params (they travel in the JSON, not in the input). */
const MAX_PARAM_BYTES = 64 * 1024;

const noParams = z.strictObject({});
const chachaParams = z.strictObject({
  key: hexBytes('key', [32]),
  nonce: hexBytes('nonce', [12]),
  aad: hexBytesUpTo('aad', MAX_PARAM_BYTES).optional(),
});
const gcmParams = z.strictObject({
  key: hexBytes('key', [16, 24, 32]),
  iv: hexBytes('iv', [12]),
  aad: hexBytesUpTo('aad', MAX_PARAM_BYTES).optional(),
});

const EMPTY = new Uint8Array(0);

export const cryptoCapsule: Capsule = {
  library: 'crypto',
  version: '1.0.0',
  summary: 'SHA-256/512, BLAKE3, HMAC-SHA256, Ed25519, ChaCha20-Poly1305 and AES-GCM over the input bytes',
  limits: {
    maxInputBytes: MAX_INPUT,
    maxOutputBytes: MAX_INPUT + TAG_BYTES,
    timeoutMs: 30_000,
    // The input may be copied once out of shared memory for WebCrypto, plus the output.
    maxMemoryBytes: 2 * MAX_INPUT + 2 * MIB,
    costCap: 30_000,
  },
  methods: {
    sha256: method({
      price: METHOD_PRICES['crypto.sha256'],
      priceBound: METHOD_BOUNDS['crypto.sha256'],
      params: noParams,
      summary: 'SHA-256 of the input (FIPS 180-4) → 32 bytes',
      run: (ctx) => shaDigest('SHA-256', ctx.input, ctx.checkpoint),
    }),
    sha512: method({
      price: METHOD_PRICES['crypto.sha512'],
      priceBound: METHOD_BOUNDS['crypto.sha512'],
      params: noParams,
      summary: 'SHA-512 of the input (FIPS 180-4) → 64 bytes',
      run: (ctx) => shaDigest('SHA-512', ctx.input, ctx.checkpoint),
    }),
    blake3: method({
      price: METHOD_PRICES['crypto.blake3'],
      priceBound: METHOD_BOUNDS['crypto.blake3'],
      params: noParams,
      summary: 'BLAKE3 of the input → 32 bytes',
      run: async (ctx) => {
        await blake3Ready; // WASM when it can be had (settles once per thread; noble otherwise)
        return blake3Digest(ctx.input, ctx.checkpoint);
      },
    }),
    hmac_sha256: method({
      price: METHOD_PRICES['crypto.hmac_sha256'],
      priceBound: METHOD_BOUNDS['crypto.hmac_sha256'],
      secretParams: 'params.key (the HMAC key)',
      params: z.strictObject({ key: hexBytesUpTo('key', MAX_PARAM_BYTES) }),
      summary: 'HMAC-SHA256 (RFC 2104) of the input under params.key (hex, any length) → 32 bytes',
      run: (ctx, p) => hmacSha256(p.key, ctx.input, ctx.checkpoint),
    }),
    ed25519_sign: method({
      price: METHOD_PRICES['crypto.ed25519_sign'],
      priceBound: METHOD_BOUNDS['crypto.ed25519_sign'],
      secretParams: 'params.secretKey (an Ed25519 secret key)',
      params: z.strictObject({ secretKey: hexBytes('secretKey', [32]) }),
      summary: 'Ed25519 signature (RFC 8032) of the input (≤ 1 MiB) under params.secretKey → 64 bytes',
      limits: { maxInputBytes: ED25519_MAX_MESSAGE },
      run: (ctx, p) => ed25519Sign(p.secretKey, ctx.input),
    }),
    ed25519_verify: method({
      price: METHOD_PRICES['crypto.ed25519_verify'],
      priceBound: METHOD_BOUNDS['crypto.ed25519_verify'],
      params: z.strictObject({
        publicKey: hexBytes('publicKey', [32]),
        signature: hexBytes('signature', [64]),
      }),
      summary:
        'verifies an Ed25519 signature (RFC 8032, strict) of the input (≤ 1 MiB) → 1 byte: 1 valid, 0 invalid',
      limits: { maxInputBytes: ED25519_MAX_MESSAGE },
      run: (ctx, p) => Uint8Array.of(ed25519Verify(p.publicKey, p.signature, ctx.input) ? 1 : 0),
    }),
    chacha20poly1305_encrypt: method({
      price: METHOD_PRICES['crypto.chacha20poly1305_encrypt'],
      priceBound: METHOD_BOUNDS['crypto.chacha20poly1305_encrypt'],
      secretParams: 'params.key (the cipher key)',
      params: chachaParams,
      summary: 'ChaCha20-Poly1305 (RFC 8439) encryption of the input → ciphertext ‖ 16-byte tag',
      run: (ctx, p) =>
        chachaEncryptInto(
          p.key,
          p.nonce,
          p.aad ?? EMPTY,
          ctx.input,
          ctx.output(ctx.input.length + TAG_BYTES),
          ctx.checkpoint,
        ),
    }),
    chacha20poly1305_decrypt: method({
      price: METHOD_PRICES['crypto.chacha20poly1305_decrypt'],
      priceBound: METHOD_BOUNDS['crypto.chacha20poly1305_decrypt'],
      secretParams: 'params.key (the cipher key)',
      params: chachaParams,
      summary:
        'ChaCha20-Poly1305 (RFC 8439) decryption of ciphertext ‖ tag → plaintext, or "authentication failed"',
      run: (ctx, p) =>
        chachaDecryptInto(p.key, p.nonce, p.aad ?? EMPTY, ctx.input, (n) => ctx.output(n), ctx.checkpoint),
    }),
    aes_gcm_encrypt: method({
      price: METHOD_PRICES['crypto.aes_gcm_encrypt'],
      priceBound: METHOD_BOUNDS['crypto.aes_gcm_encrypt'],
      secretParams: 'params.key (the cipher key)',
      params: gcmParams,
      summary: 'AES-GCM (128/192/256-bit key, 12-byte iv) encryption of the input → ciphertext ‖ 16-byte tag',
      run: (ctx, p) => aesGcmEncrypt(p.key, p.iv, p.aad ?? EMPTY, ctx.input, ctx.checkpoint),
    }),
    aes_gcm_decrypt: method({
      price: METHOD_PRICES['crypto.aes_gcm_decrypt'],
      priceBound: METHOD_BOUNDS['crypto.aes_gcm_decrypt'],
      secretParams: 'params.key (the cipher key)',
      params: gcmParams,
      summary: 'AES-GCM decryption of ciphertext ‖ tag → plaintext, or "authentication failed"',
      run: (ctx, p) => aesGcmDecrypt(p.key, p.iv, p.aad ?? EMPTY, ctx.input, ctx.checkpoint),
    }),
  },
};
