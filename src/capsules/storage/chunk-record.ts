/**
 * The at-rest format of one chunk: encrypted and authenticated with ChaCha20-Poly1305 (RFC 8439)
 * under the store's key, with a fresh random nonce per write.
 *
 *   file       = nonce (12) ‖ ciphertext (3 + payload) ‖ tag (16)
 *   plaintext  = version (1) ‖ kind (1) ‖ encoding (1) ‖ payload
 *   AAD        = "inos-chunk-v1" ‖ address (32 bytes)
 *
 *   version   1
 *   kind      0 = data chunk, 1 = blob manifest (see manifest.ts)
 *   encoding  0 = raw, 1 = brotli (one stream)
 *
 * The AAD binds a file to its address, so a file moved to another address fails authentication even
 * before the content hash is checked. Random 96-bit nonces are safe here: the collision bound stays
 * below 2^-32 for 2^32 writes under one key (NIST SP 800-38D §8.3), far more than a store makes.
 */
import { chachaDecryptInto, chachaEncryptInto, TAG_BYTES } from '../crypto/aead.ts';
import { hexToBytes } from '../crypto/hex.ts';

export const NONCE_BYTES = 12;
const HEADER_BYTES = 3;
const VERSION = 1;
const AAD_PREFIX = new TextEncoder().encode('inos-chunk-v1');

export const Kind = { data: 0, manifest: 1 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export const Encoding = { raw: 0, brotli: 1 } as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];

export interface ChunkRecord {
  kind: Kind;
  encoding: Encoding;
  payload: Uint8Array;
}

/** Bytes a record of `payloadBytes` takes on disk. */
export const recordSize = (payloadBytes: number) => NONCE_BYTES + HEADER_BYTES + payloadBytes + TAG_BYTES;

function aad(address: string): Uint8Array {
  const out = new Uint8Array(AAD_PREFIX.length + 32);
  out.set(AAD_PREFIX);
  out.set(hexToBytes(address), AAD_PREFIX.length);
  return out;
}

export function sealRecord(
  key: Uint8Array,
  address: string,
  rec: ChunkRecord,
  checkpoint: () => void,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const nonce = random(NONCE_BYTES);
  const plain = new Uint8Array(HEADER_BYTES + rec.payload.length);
  plain[0] = VERSION;
  plain[1] = rec.kind;
  plain[2] = rec.encoding;
  plain.set(rec.payload, HEADER_BYTES);
  const out = new Uint8Array(recordSize(rec.payload.length));
  out.set(nonce);
  chachaEncryptInto(key, nonce, aad(address), plain, out.subarray(NONCE_BYTES), checkpoint);
  return out;
}

/** Decrypts and parses a record; throws an Error saying why when it does not authenticate or parse. */
export function openRecord(
  key: Uint8Array,
  address: string,
  file: Uint8Array,
  checkpoint: () => void,
): ChunkRecord {
  if (file.length < recordSize(0))
    throw new Error(`the file is ${file.length} bytes, shorter than any record`);
  let plain = new Uint8Array(0);
  const nonce = file.subarray(0, NONCE_BYTES);
  // A tag mismatch throws here ("authentication failed": wrong key, moved or altered file).
  chachaDecryptInto(
    key,
    nonce,
    aad(address),
    file.subarray(NONCE_BYTES),
    (n) => (plain = new Uint8Array(n)),
    checkpoint,
  );
  const [version, kind, encoding] = [plain[0], plain[1], plain[2]];
  if (version !== VERSION) throw new Error(`unknown record version ${String(version)}`);
  if (kind !== Kind.data && kind !== Kind.manifest) throw new Error(`unknown record kind ${String(kind)}`);
  if (encoding !== Encoding.raw && encoding !== Encoding.brotli)
    throw new Error(`unknown encoding ${String(encoding)}`);
  return { kind, encoding, payload: plain.subarray(HEADER_BYTES) };
}
