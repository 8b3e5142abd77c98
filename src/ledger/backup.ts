/**
 * The wallet backup: one file holding the node key AND its ledger, encrypted under a passphrase,
 * so a restored wallet shows its balance and a stolen file is useless without the passphrase.
 *
 * File (JSON, pretty-printed; only `nodeId` and the parameters are readable without the passphrase):
 *   { format: 'inos-wallet', version: 2, warning, nodeId, createdAt,
 *     kdf: { name: 'scrypt', N, r, p, salt: hex16 }, cipher: { name: 'xchacha20poly1305', nonce: hex24 },
 *     ciphertext: base64 }
 * Plaintext: JSON { secretKey: hex32, createdAt, history: LedgerEntry[], peers: {nodeId: LedgerEntry[]} }
 * key = scrypt(NFKC(passphrase), salt, N, r, p, 32 bytes); the header fields (format … kdf, cipher)
 * are the AEAD's associated data, so an edited header fails like a wrong passphrase.
 *
 * KDF: scrypt from @noble/hashes (audited, already a dependency), N = 2^17, r = 8, p = 1: 128 MiB
 * and the OWASP password-storage minimum for scrypt. Measured here (2 cores, load ≈ 20): 4.9 s in
 * Node; an attacker pays the same per guess. Cipher: XChaCha20-Poly1305 from @noble/ciphers
 * (random 192-bit nonces are safe). Version-1 files (the key alone, plaintext) are still read.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './_canonical.ts';
import { Identity, IDENTITY_BACKUP_WARNING, importIdentity } from './identity.ts';
import { IdentityError } from './identity-error.ts';
import type { LedgerEntry } from './receipt.ts';

export const WALLET_BACKUP_FORMAT = 'inos-wallet';
export const WALLET_BACKUP_VERSION = 2;
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE_CHARS = 10;
export const WALLET_BACKUP_WARNING =
  `${IDENTITY_BACKUP_WARNING} The file is encrypted with your passphrase: without the passphrase it ` +
  'cannot be restored, and anyone who has both can spend your credits.';

export interface WalletContents {
  identity: Identity;
  history: LedgerEntry[];
  /** Other nodes' chains kept for the payments this wallet received (so they stay checkable). */
  peers: Record<string, LedgerEntry[]>;
}

export interface BackupOptions {
  /** Test-only: cheaper scrypt parameters. */
  kdf?: { N: number; r: number; p: number };
}

export async function exportWallet(
  contents: WalletContents,
  passphrase: string,
  opts: BackupOptions = {},
): Promise<string> {
  checkPassphrase(passphrase);
  const kdf = opts.kdf ?? SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const header = {
    format: WALLET_BACKUP_FORMAT,
    version: WALLET_BACKUP_VERSION,
    nodeId: contents.identity.nodeId,
    createdAt: contents.identity.createdAt,
    kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt: bytesToHex(salt) },
    cipher: { name: 'xchacha20poly1305', nonce: bytesToHex(nonce) },
  };
  const key = await deriveKey(passphrase, salt, kdf);
  const plaintext = utf8ToBytes(
    JSON.stringify({
      secretKey: bytesToHex(contents.identity.secretKeyBytes()),
      createdAt: contents.identity.createdAt,
      history: contents.history,
      peers: contents.peers,
    }),
  );
  const ciphertext = xchacha20poly1305(key, nonce, utf8ToBytes(canonicalJson(header))).encrypt(plaintext);
  key.fill(0);
  return JSON.stringify(
    { ...header, warning: WALLET_BACKUP_WARNING, ciphertext: toBase64(ciphertext) },
    null,
    2,
  );
}

/** What a backup file says about itself before decryption: which node, and whether it needs a passphrase. */
export function describeBackup(text: string): { nodeId: string; encrypted: boolean } {
  const b = parseJson(text);
  if (b['format'] === WALLET_BACKUP_FORMAT && typeof b['nodeId'] === 'string')
    return { nodeId: b['nodeId'], encrypted: true };
  return { nodeId: importIdentity(text).nodeId, encrypted: false };
}

/** Opens a backup (version 2 with its passphrase, or a version-1 key file). Throws IdentityError saying what is wrong. */
export async function importWallet(text: string, passphrase: string | undefined): Promise<WalletContents> {
  const b = parseJson(text);
  if (b['format'] !== WALLET_BACKUP_FORMAT) return { identity: importIdentity(text), history: [], peers: {} };
  if (b['version'] !== WALLET_BACKUP_VERSION)
    throw new IdentityError(
      'wrong-version',
      `wallet backup: version ${JSON.stringify(b['version'])} is not supported; this build reads version ${WALLET_BACKUP_VERSION}`,
    );
  if (passphrase === undefined || passphrase === '')
    throw new IdentityError(
      'wrong-passphrase',
      'wallet backup: this file is encrypted; enter its passphrase',
    );
  const kdf = b['kdf'] as Record<string, unknown> | undefined;
  const cipher = b['cipher'] as Record<string, unknown> | undefined;
  if (
    kdf?.['name'] !== 'scrypt' ||
    cipher?.['name'] !== 'xchacha20poly1305' ||
    !isInt(kdf['N'], 2 ** 10, 2 ** 22) ||
    !isInt(kdf['r'], 1, 32) ||
    !isInt(kdf['p'], 1, 16) ||
    typeof kdf['salt'] !== 'string' ||
    !/^[0-9a-f]{32}$/.test(kdf['salt']) ||
    typeof cipher['nonce'] !== 'string' ||
    !/^[0-9a-f]{48}$/.test(cipher['nonce']) ||
    typeof b['ciphertext'] !== 'string'
  )
    throw new IdentityError(
      'wrong-format',
      'wallet backup: the kdf, cipher or ciphertext fields are damaged',
    );
  const header = {
    format: b['format'],
    version: b['version'],
    nodeId: b['nodeId'],
    createdAt: b['createdAt'],
    kdf: { name: 'scrypt', N: kdf['N'], r: kdf['r'], p: kdf['p'], salt: kdf['salt'] },
    cipher: { name: 'xchacha20poly1305', nonce: cipher['nonce'] },
  };
  const key = await deriveKey(passphrase, hexToBytes(kdf['salt']), {
    N: kdf['N'] as number,
    r: kdf['r'] as number,
    p: kdf['p'] as number,
  });
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(key, hexToBytes(cipher['nonce']), utf8ToBytes(canonicalJson(header))).decrypt(
      fromBase64(b['ciphertext']),
    );
  } catch (cause) {
    throw new IdentityError(
      'wrong-passphrase',
      'wallet backup: wrong passphrase, or the file was altered (it does not decrypt)',
      { cause },
    );
  } finally {
    key.fill(0);
  }
  const inner = JSON.parse(new TextDecoder().decode(plain)) as {
    secretKey: string;
    createdAt: number;
    history: LedgerEntry[];
    peers: Record<string, LedgerEntry[]>;
  };
  const identity = Identity.fromSecretKey(hexToBytes(inner.secretKey), inner.createdAt);
  if (identity.nodeId !== b['nodeId'])
    throw new IdentityError(
      'key-mismatch',
      'wallet backup: the key inside does not belong to the node the file names',
    );
  return { identity, history: inner.history, peers: inner.peers };
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || [...passphrase.normalize('NFKC')].length < MIN_PASSPHRASE_CHARS)
    throw new IdentityError(
      'weak-passphrase',
      `wallet backup: the passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters (a few words are best)`,
    );
}

function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  kdf: { N: number; r: number; p: number },
): Promise<Uint8Array> {
  return scryptAsync(utf8ToBytes(passphrase.normalize('NFKC')), salt, { ...kdf, dkLen: 32, maxmem: 2 ** 30 });
}

function parseJson(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new IdentityError(
      'not-json',
      'wallet backup: the file is not JSON; choose the file INOS exported',
      { cause },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new IdentityError(
      'wrong-format',
      'wallet backup: expected a JSON object made by INOS "Export backup"',
    );
  return data as Record<string, unknown>;
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch (cause) {
    throw new IdentityError('wrong-format', 'wallet backup: the ciphertext is not base64', { cause });
  }
}
