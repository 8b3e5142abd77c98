/**
 * Ed25519 (RFC 8032 §5.1) signing and verification of a job's input.
 *
 * Ed25519 hashes the whole message twice (SHA-512, §5.1.6) inside one library call, so it cannot
 * checkpoint; ED25519_MAX_MESSAGE keeps that call short (noble SHA-512 ~90 MiB/s here: 1 MiB is
 * ~25 ms in all). Sign a digest of anything larger.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export const ED25519_MAX_MESSAGE = 1 << 20;

export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * Strict RFC 8032 §5.1.7 verification (`zip215: false`): non-canonical encodings of R or A are
 * rejected, as libsodium and Go's crypto/ed25519 do, so peers running any of them agree on validity.
 * A public key that is not a curve point is simply invalid, not an error.
 */
export function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
