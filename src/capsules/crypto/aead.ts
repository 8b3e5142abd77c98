/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) and AES-GCM (NIST SP 800-38D) over a job's input.
 *
 * Output layout for both: ciphertext ‖ 16-byte tag, the layout of RFC 8439 §2.8 and of WebCrypto.
 *
 * ChaCha20-Poly1305 runs on the generated WebAssembly SIMD kernel (chacha-simd.ts) where WebAssembly
 * SIMD exists, else it is composed from noble's ChaCha20 and Poly1305; both run in chunks with a
 * checkpoint between them (noble's `chacha20poly1305` is one call over the whole input: ~130 ms for
 * 16 MiB here). Encryption XORs and MACs each 64 KiB slab while it sits in the kernel's memory.
 * Decryption authenticates the whole ciphertext first and only then decrypts, so no unauthenticated
 * plaintext is ever written to the output (RFC 8439 §4).
 *
 * AES-GCM uses noble below WEBCRYPTO_AES_GCM_FROM and WebCrypto (AES-NI) from there on; see
 * tests/unit/capsules/crypto/backends.bench.ts for the measurements.
 */
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { BadInputError } from '../capsule.ts';
import { equalBytes, forEachChunk, unshared } from './_bytes.ts';
import { chachaPolyKernel, DATA, DATA_BYTES, type ChachaPolyKernel } from './chacha-simd.ts';
import type { HashBackend } from './hash.ts';

export const TAG_BYTES = 16;

/** A multiple of ChaCha20's 64-byte block; ~2.5 ms of noble ChaCha20 + Poly1305 at ~105 MiB/s (loaded). */
export const CHACHA_CHUNK = 256 << 10;

/**
 * Inputs of at least this many bytes go to WebCrypto: the smallest size at which it was at least 1.5×
 * faster than noble (importKey and the copy out of shared memory included) in two runs of
 * backends.bench.ts (noble / WebCrypto, Node 20, run 1 | run 2): 4 KiB 0.179/0.157 | 0.122/0.089 ms,
 * 16 KiB 0.563/0.202 | 0.380/0.136 ms, 1 MiB 33.4/5.7 | 22.9/4.7 ms, 16 MiB 382/79 | 613/130 ms.
 * Below it, noble's single uncheckpointed call takes < 0.6 ms.
 */
export const WEBCRYPTO_AES_GCM_FROM = 16 << 10;

export function authFailed(cipher: string): BadInputError {
  return new BadInputError(
    `authentication failed: the ${cipher} tag does not match (wrong key, nonce/iv or aad, or the ciphertext was altered)`,
  );
}

function chachaTag(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  checkpoint: () => void,
): Uint8Array {
  // RFC 8439 §2.6: the one-time Poly1305 key is the first 32 bytes of the block with counter 0.
  const otk = chacha20(key, nonce, new Uint8Array(32), undefined, 0);
  const mac = poly1305.create(otk);
  const pad = new Uint8Array(16);
  mac.update(aad);
  if (aad.length % 16) mac.update(pad.subarray(aad.length % 16));
  forEachChunk(ciphertext, CHACHA_CHUNK, checkpoint, (v) => mac.update(v));
  if (ciphertext.length % 16) mac.update(pad.subarray(ciphertext.length % 16));
  // §2.8: the lengths of the AAD and the ciphertext, each as a 64-bit little-endian integer.
  const lengths = new DataView(new ArrayBuffer(16));
  lengths.setBigUint64(0, BigInt(aad.length), true);
  lengths.setBigUint64(8, BigInt(ciphertext.length), true);
  mac.update(new Uint8Array(lengths.buffer));
  otk.fill(0);
  return mac.digest();
}

function chachaXor(
  key: Uint8Array,
  nonce: Uint8Array,
  from: Uint8Array,
  to: Uint8Array,
  checkpoint: () => void,
) {
  // §2.8: the payload uses counters from 1 (0 made the one-time key); each chunk is whole blocks.
  forEachChunk(from, CHACHA_CHUNK, checkpoint, (v, off) => {
    if (v.length > 0) chacha20(key, nonce, v, to.subarray(off, off + v.length), 1 + off / 64);
  });
}

/** 'auto': the WebAssembly SIMD kernel where it compiles, else noble; 'js': noble (tests, benchmarks). */
export type ChachaBackend = 'auto' | 'js';

function kernelFor(backend: ChachaBackend): ChachaPolyKernel | null {
  return backend === 'auto' ? chachaPolyKernel() : null;
}

/** Sets the kernel's key and nonce and starts Poly1305 under the one-time key; returns its s half. */
function kernelStart(k: ChachaPolyKernel, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): Uint8Array {
  k.setKey(key, nonce);
  // RFC 8439 §2.6: the one-time Poly1305 key is the first 32 bytes of the block with counter 0.
  k.bytes.fill(0, DATA, DATA + 64);
  k.xor(1, 0);
  const s = k.bytes.slice(DATA + 16, DATA + 32);
  k.polyInit(k.bytes.subarray(DATA, DATA + 16));
  kernelMac(k, aad);
  return s;
}

/** Absorbs `data` zero-padded to 16 bytes (RFC 8439 §2.8's pad16) through the kernel's data area. */
function kernelMac(k: ChachaPolyKernel, data: Uint8Array): void {
  for (let off = 0; off < data.length; off += DATA_BYTES) {
    const n = Math.min(DATA_BYTES, data.length - off);
    k.bytes.set(data.subarray(off, off + n), DATA);
    kernelMacHere(k, n);
  }
}

/** Absorbs the `n` bytes already at the data area, zero-padded to 16. */
function kernelMacHere(k: ChachaPolyKernel, n: number): void {
  const padded = Math.ceil(n / 16) * 16;
  k.bytes.fill(0, DATA + n, DATA + padded);
  k.mac(padded / 16);
}

function kernelFinish(k: ChachaPolyKernel, s: Uint8Array, aadBytes: number, ctBytes: number): Uint8Array {
  const lengths = new DataView(k.memory.buffer, DATA, 16);
  lengths.setBigUint64(0, BigInt(aadBytes), true);
  lengths.setBigUint64(8, BigInt(ctBytes), true);
  k.mac(1);
  const tag = k.polyFinish(s);
  s.fill(0);
  k.bytes.fill(0, 0, DATA + 64); // key, nonce, r and h
  return tag;
}

/** Writes ciphertext ‖ tag into `out`, which must be `plaintext.length + 16` bytes. */
export function chachaEncryptInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  checkpoint: () => void,
  backend: ChachaBackend = 'auto',
): void {
  const n = plaintext.length;
  const k = kernelFor(backend);
  if (k) {
    const s = kernelStart(k, key, nonce, aad);
    forEachChunk(plaintext, CHACHA_CHUNK, checkpoint, (v, off) => {
      for (let at = 0; at < v.length; at += DATA_BYTES) {
        const len = Math.min(DATA_BYTES, v.length - at);
        k.bytes.set(v.subarray(at, at + len), DATA);
        // §2.8: the payload uses counters from 1 (0 made the one-time key). Whole passes (groupBytes) are
        // encrypted and MACed in one pass (seal); a shorter tail is XORed, then MACed zero-padded.
        const counter = 1 + (off + at) / 64;
        const groups = Math.floor(len / k.groupBytes);
        const sealed = groups * k.groupBytes;
        if (groups > 0) {
          k.seal(groups, counter);
          out.set(k.bytes.subarray(DATA, DATA + sealed), off + at);
        }
        const rest = len - sealed;
        if (rest > 0) {
          k.bytes.copyWithin(DATA, DATA + sealed, DATA + len);
          k.xor(Math.ceil(rest / 64), counter + sealed / 64);
          out.set(k.bytes.subarray(DATA, DATA + rest), off + at + sealed);
          kernelMacHere(k, rest);
        }
      }
    });
    out.set(kernelFinish(k, s, aad.length, n), n);
    return;
  }
  chachaXor(key, nonce, plaintext, out.subarray(0, n), checkpoint);
  out.set(chachaTag(key, nonce, aad, out.subarray(0, n), checkpoint), n);
}

/**
 * Checks the tag of `sealed` (ciphertext ‖ tag) and throws `authentication failed` on a mismatch,
 * before `allocate` is called; then decrypts into the buffer `allocate(sealed.length - 16)` gives.
 */
export function chachaDecryptInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  allocate: (bytes: number) => Uint8Array,
  checkpoint: () => void,
  backend: ChachaBackend = 'auto',
): void {
  if (sealed.length < TAG_BYTES)
    throw new BadInputError(
      `ciphertext is ${sealed.length} bytes; it must hold at least the ${TAG_BYTES}-byte tag`,
    );
  const n = sealed.length - TAG_BYTES;
  const ct = sealed.subarray(0, n);
  const k = kernelFor(backend);
  if (k) {
    const s = kernelStart(k, key, nonce, aad);
    forEachChunk(ct, CHACHA_CHUNK, checkpoint, (v) => kernelMac(k, v));
    if (!equalBytes(kernelFinish(k, s, aad.length, n), sealed.subarray(n)))
      throw authFailed('ChaCha20-Poly1305');
    const out = allocate(n);
    k.setKey(key, nonce);
    forEachChunk(ct, CHACHA_CHUNK, checkpoint, (v, off) => {
      for (let at = 0; at < v.length; at += DATA_BYTES) {
        const len = Math.min(DATA_BYTES, v.length - at);
        k.bytes.set(v.subarray(at, at + len), DATA);
        k.xor(Math.ceil(len / 64), 1 + (off + at) / 64);
        out.set(k.bytes.subarray(DATA, DATA + len), off + at);
      }
    });
    k.bytes.fill(0, 0, DATA);
    return;
  }
  if (!equalBytes(chachaTag(key, nonce, aad, ct, checkpoint), sealed.subarray(n)))
    throw authFailed('ChaCha20-Poly1305');
  chachaXor(key, nonce, ct, allocate(n), checkpoint);
}

function gcmOnWebCrypto(bytes: number, backend: HashBackend): boolean {
  if (backend !== 'auto') return backend === 'webcrypto';
  return bytes >= WEBCRYPTO_AES_GCM_FROM && typeof globalThis.crypto?.subtle?.encrypt === 'function';
}

async function gcmKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', unshared(key), 'AES-GCM', false, [usage]);
}

/** Returns ciphertext ‖ tag. */
export async function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  checkpoint: () => void,
  backend: HashBackend = 'auto',
): Promise<Uint8Array> {
  checkpoint();
  if (!gcmOnWebCrypto(plaintext.length, backend)) return gcm(key, iv, aad).encrypt(plaintext);
  const params: AesGcmParams = {
    name: 'AES-GCM',
    iv: unshared(iv),
    additionalData: unshared(aad),
    tagLength: 128,
  };
  const k = await gcmKey(key, 'encrypt');
  return new Uint8Array(await globalThis.crypto.subtle.encrypt(params, k, unshared(plaintext)));
}

/** Takes ciphertext ‖ tag; throws `authentication failed` when the tag does not match. */
export async function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  checkpoint: () => void,
  backend: HashBackend = 'auto',
): Promise<Uint8Array> {
  if (sealed.length < TAG_BYTES)
    throw new BadInputError(
      `ciphertext is ${sealed.length} bytes; it must hold at least the ${TAG_BYTES}-byte tag`,
    );
  checkpoint();
  if (!gcmOnWebCrypto(sealed.length, backend)) {
    try {
      return gcm(key, iv, aad).decrypt(sealed);
    } catch {
      throw authFailed('AES-GCM');
    }
  }
  const params: AesGcmParams = {
    name: 'AES-GCM',
    iv: unshared(iv),
    additionalData: unshared(aad),
    tagLength: 128,
  };
  const k = await gcmKey(key, 'decrypt');
  try {
    return new Uint8Array(await globalThis.crypto.subtle.decrypt(params, k, unshared(sealed)));
  } catch {
    // WebCrypto reports a bad tag as an OperationError and nothing else can fail here.
    throw authFailed('AES-GCM');
  }
}
