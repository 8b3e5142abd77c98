import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_BACKUP_WARNING,
  Identity,
  IdentityError,
  exportIdentity,
  importIdentity,
  loadOrCreateIdentity,
  openLedgerDb,
  saveIdentity,
  type IdentityErrorCode,
} from '../../../src/ledger/index.ts';
import { T0, identity, newFactory, seed32 } from './_fixtures.ts';

// RFC 8032 §7.1, TEST 1 (empty message).
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

function expectIdentityError(fn: () => unknown, code: IdentityErrorCode, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IdentityError);
  expect((caught as IdentityError).code).toBe(code);
  expect((caught as IdentityError).message).toMatch(message);
}

describe('Identity', () => {
  it('matches the RFC 8032 known-answer vector', () => {
    const id = Identity.fromSecretKey(hexToBytes(RFC_SECRET), 0);
    expect(id.nodeId).toBe(RFC_PUBLIC);
    expect(bytesToHex(id.sign(new Uint8Array(0)))).toBe(RFC_SIG);
  });

  it('rejects a secret key of the wrong size', () => {
    expect(() => Identity.fromSecretKey(new Uint8Array(31), 0)).toThrow(RangeError);
  });

  it('is created once and survives closing and reopening the database (a browser restart)', async () => {
    const factory = newFactory();
    const db1 = await openLedgerDb({ indexedDB: factory, name: 'w' });
    const first = await loadOrCreateIdentity(db1, { seed: () => seed32(7), now: () => T0 });
    db1.close();

    const db2 = await openLedgerDb({ indexedDB: factory, name: 'w' });
    // A different seed proves the stored key is loaded, not regenerated.
    const again = await loadOrCreateIdentity(db2, { seed: () => seed32(8), now: () => T0 + 1 });
    expect(again.nodeId).toBe(first.nodeId);
    expect(again.createdAt).toBe(T0);
    const msg = new Uint8Array([1, 2, 3]);
    expect(ed25519.verify(again.sign(msg), msg, first.publicKey)).toBe(true);
    db2.close();
  });

  it('creates exactly one key when two contexts start at once', async () => {
    const db = await openLedgerDb({ indexedDB: newFactory() });
    const [a, b] = await Promise.all([
      loadOrCreateIdentity(db, { seed: () => seed32(1) }),
      loadOrCreateIdentity(db, { seed: () => seed32(2) }),
    ]);
    expect(a.nodeId).toBe(b.nodeId);
    db.close();
  });

  it('refuses to replace a damaged stored key with a new one', async () => {
    const db = await openLedgerDb({ indexedDB: newFactory() });
    await db.put('identity', { key: 'self', secretKey: new Uint8Array(5), createdAt: 0 });
    await expect(loadOrCreateIdentity(db)).rejects.toMatchObject({
      name: 'IdentityError',
      code: 'corrupt-store',
    });
    db.close();
  });
});

describe('identity backup', () => {
  const id = identity(42);

  it('round-trips through export and import', () => {
    const json = exportIdentity(id);
    const back = importIdentity(json);
    expect(back.nodeId).toBe(id.nodeId);
    expect(back.createdAt).toBe(T0);
    const msg = new Uint8Array([9]);
    expect(bytesToHex(back.sign(msg))).toBe(bytesToHex(id.sign(msg)));
  });

  it('is versioned JSON that carries its own warning', () => {
    const b = JSON.parse(exportIdentity(id)) as Record<string, unknown>;
    expect(b).toMatchObject({
      format: 'inos-identity',
      version: 1,
      nodeId: id.nodeId,
      warning: IDENTITY_BACKUP_WARNING,
    });
    expect(b['warning']).toMatch(/claim or spend its credits/);
    expect(b['secretKey']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('replaces the stored key on import, and the import survives a restart', async () => {
    const factory = newFactory();
    const db1 = await openLedgerDb({ indexedDB: factory });
    const original = await loadOrCreateIdentity(db1, { seed: () => seed32(3) });
    await saveIdentity(db1, importIdentity(exportIdentity(id)));
    db1.close();
    const db2 = await openLedgerDb({ indexedDB: factory });
    const loaded = await loadOrCreateIdentity(db2);
    expect(loaded.nodeId).toBe(id.nodeId);
    expect(loaded.nodeId).not.toBe(original.nodeId);
    db2.close();
  });

  const valid = () => JSON.parse(exportIdentity(id)) as Record<string, unknown>;
  const edited = (patch: Record<string, unknown>) => JSON.stringify({ ...valid(), ...patch });

  it('says when the file is not JSON', () => {
    expectIdentityError(() => importIdentity('{"format": "inos-identity",'), 'not-json', /not JSON/);
  });

  it('says when the JSON is not an INOS backup', () => {
    expectIdentityError(() => importIdentity('[1,2]'), 'wrong-format', /JSON object/);
    expectIdentityError(
      () => importIdentity(edited({ format: 'other-wallet' })),
      'wrong-format',
      /"format" must be "inos-identity"/,
    );
  });

  it('names the unsupported version and the supported one', () => {
    expectIdentityError(
      () => importIdentity(edited({ version: 2 })),
      'wrong-version',
      /version 2 is not supported.*reads version 1/,
    );
    expectIdentityError(() => importIdentity(edited({ version: '1' })), 'wrong-version', /version "1"/);
  });

  it('rejects keys that are not 64 hex digits', () => {
    expectIdentityError(
      () => importIdentity(edited({ secretKey: 'zz'.repeat(32) })),
      'bad-hex',
      /"secretKey" must be 64 hex digits/,
    );
    expectIdentityError(
      () => importIdentity(edited({ secretKey: 'ab'.repeat(31) })),
      'bad-hex',
      /got 62 characters/,
    );
    expectIdentityError(() => importIdentity(edited({ nodeId: 12 })), 'bad-hex', /"nodeId".*got number/);
  });

  it('rejects a secret key that does not belong to the node id in the file', () => {
    expectIdentityError(
      () => importIdentity(edited({ nodeId: identity(43).nodeId })),
      'key-mismatch',
      /belongs to node [0-9a-f]{16}…, not to [0-9a-f]{16}…/,
    );
  });

  it('accepts upper-case hex, as people retype backups', () => {
    const b = valid();
    const upper = JSON.stringify({
      ...b,
      secretKey: String(b['secretKey']).toUpperCase(),
      nodeId: String(b['nodeId']).toUpperCase(),
    });
    expect(importIdentity(upper).nodeId).toBe(id.nodeId);
  });
});
