/**
 * The node's Ed25519 identity: its public key (hex) is the node id and names its ledger; its
 * secret key signs receipts. The key lives in IndexedDB (ledger-db.ts, store `identity`) as raw
 * bytes: noble, not WebCrypto, signs, so a non-extractable CryptoKey is not an option, and the
 * extension's storage is already private to it. Losing the key loses the credits, hence backups.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { IdentityError } from './identity-error.ts';
import type { LedgerDb, StoredIdentity } from './ledger-db.ts';
import type { Signer } from './receipt.ts';

export const IDENTITY_BACKUP_FORMAT = 'inos-identity';
export const IDENTITY_BACKUP_VERSION = 1;
export const IDENTITY_BACKUP_WARNING =
  'This file is the secret key of your INOS node. Whoever holds it can sign receipts as your node ' +
  'and claim or spend its credits. Keep it offline and private; never paste it into a website or share it.';

const SECRET_KEY_BYTES = 32;
const HEX64 = /^[0-9a-fA-F]{64}$/;

export class Identity implements Signer {
  readonly #secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The public key, 64 lowercase hex digits. */
  readonly nodeId: string;
  readonly createdAt: number;

  private constructor(secretKey: Uint8Array, createdAt: number) {
    this.#secretKey = secretKey.slice();
    this.publicKey = ed25519.getPublicKey(this.#secretKey);
    this.nodeId = bytesToHex(this.publicKey);
    this.createdAt = createdAt;
  }

  /** A new key; `seed` (32 bytes) makes it deterministic, for tests only. */
  static generate(createdAt: number, seed?: Uint8Array): Identity {
    return new Identity(ed25519.keygen(seed).secretKey, createdAt);
  }

  static fromSecretKey(secretKey: Uint8Array, createdAt: number): Identity {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
      throw new RangeError(`Identity: expected a ${SECRET_KEY_BYTES}-byte Ed25519 secret key`);
    }
    return new Identity(secretKey, createdAt);
  }

  sign(message: Uint8Array): Uint8Array {
    return ed25519.sign(message, this.#secretKey);
  }

  /** A copy of the secret key: for `exportIdentity` and the database only. */
  secretKeyBytes(): Uint8Array {
    return this.#secretKey.slice();
  }
}

export interface LoadIdentityOptions {
  now?: () => number;
  /** 32 seed bytes for the key, when one must be generated; tests pass a seeded value. */
  seed?: () => Uint8Array;
}

/**
 * The stored identity, or a new one stored in the same transaction, so two contexts starting at
 * once cannot each create (and sign with) a different key.
 */
export async function loadOrCreateIdentity(db: LedgerDb, opts: LoadIdentityOptions = {}): Promise<Identity> {
  // Generated before the transaction: awaiting anything but IDB inside it would auto-commit it.
  const fresh = Identity.generate((opts.now ?? Date.now)(), opts.seed?.());
  const tx = db.transaction('identity', 'readwrite');
  const stored = await tx.store.get('self');
  if (stored === undefined) await tx.store.add(toStored(fresh));
  await tx.done;
  return stored === undefined ? fresh : fromStored(stored);
}

/** Replaces the stored identity (after `importIdentity`); the old key is gone unless backed up. */
export async function saveIdentity(db: LedgerDb, identity: Identity): Promise<void> {
  await db.put('identity', toStored(identity));
}

/** A versioned JSON backup of the key, pretty-printed because people open these files. */
export function exportIdentity(identity: Identity): string {
  const backup = {
    format: IDENTITY_BACKUP_FORMAT,
    version: IDENTITY_BACKUP_VERSION,
    warning: IDENTITY_BACKUP_WARNING,
    nodeId: identity.nodeId,
    secretKey: bytesToHex(identity.secretKeyBytes()),
    createdAt: identity.createdAt,
  };
  return JSON.stringify(backup, null, 2);
}

/** Parses and checks a backup made by `exportIdentity`; throws `IdentityError` saying what is wrong. */
export function importIdentity(json: string): Identity {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (cause) {
    throw new IdentityError(
      'not-json',
      'identity backup: the file is not JSON; choose the file INOS exported',
      { cause },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new IdentityError(
      'wrong-format',
      'identity backup: expected a JSON object made by INOS "Export identity"',
    );
  }
  const b = data as Record<string, unknown>;
  if (b['format'] !== IDENTITY_BACKUP_FORMAT) {
    throw new IdentityError(
      'wrong-format',
      `identity backup: "format" must be "${IDENTITY_BACKUP_FORMAT}"; this is not an INOS identity backup`,
    );
  }
  if (b['version'] !== IDENTITY_BACKUP_VERSION) {
    throw new IdentityError(
      'wrong-version',
      `identity backup: version ${JSON.stringify(b['version'])} is not supported; this build reads version ${IDENTITY_BACKUP_VERSION}`,
    );
  }
  const secretHex = hex64(b['secretKey'], 'secretKey');
  const nodeId = hex64(b['nodeId'], 'nodeId').toLowerCase();
  const createdAt = b['createdAt'];
  const identity = Identity.fromSecretKey(
    hexToBytes(secretHex),
    typeof createdAt === 'number' && Number.isSafeInteger(createdAt) ? createdAt : 0,
  );
  if (identity.nodeId !== nodeId) {
    throw new IdentityError(
      'key-mismatch',
      `identity backup: the secret key belongs to node ${identity.nodeId.slice(0, 16)}…, not to ${nodeId.slice(0, 16)}… as the file says; the file is damaged or edited`,
    );
  }
  return identity;
}

function hex64(v: unknown, field: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) {
    const got = typeof v === 'string' ? `${v.length} characters` : typeof v;
    throw new IdentityError(
      'bad-hex',
      `identity backup: "${field}" must be 64 hex digits (32 bytes), got ${got}`,
    );
  }
  return v;
}

function toStored(identity: Identity): StoredIdentity {
  return { key: 'self', secretKey: identity.secretKeyBytes(), createdAt: identity.createdAt };
}

function fromStored(stored: StoredIdentity): Identity {
  // A damaged key is an error, never a reason to mint a new one: that would orphan the credits.
  if (!(stored.secretKey instanceof Uint8Array) || stored.secretKey.length !== SECRET_KEY_BYTES) {
    throw new IdentityError(
      'corrupt-store',
      'identity: the stored key is damaged; restore it from a backup (importIdentity)',
    );
  }
  return Identity.fromSecretKey(stored.secretKey, stored.createdAt);
}
