import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { Wallet } from '../../../src/background/wallet.ts';
import { verifyBoundProof } from '../../../src/capsules/pow/proof.ts';
import {
  IdentityError,
  Ledger,
  SCRYPT_PARAMS,
  exportIdentity,
  exportWallet,
  importWallet,
  openLedgerDb,
} from '../../../src/ledger/index.ts';
import { economyWallet, boundProof, BOUND_WORTH } from './_bound.ts';
import { T0, identity } from './_fixtures.ts';

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
const PASS = 'correct horse battery staple';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof IdentityError ? err.code : `not an IdentityError: ${String(err)}`;
}

describe('encrypted wallet backup (key and ledger)', () => {
  it('uses scrypt at the OWASP minimum by default', () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });

  it('round-trips key, ledger and the payers’ chains; the restored wallet shows its balance', async () => {
    const a = await economyWallet(40);
    const b = await economyWallet(41);
    await a.mint(3);
    const hold = await a.payments.hold('j', 50_000);
    await b.payments.receive(
      await a.payments.pay(hold.id, b.identity.nodeId, 50_000, { jobId: 'j/0', capsule: 'c', method: 'm' }),
    );
    await b.mint(1);
    const text = await exportWallet(
      {
        identity: b.identity,
        history: await b.ledger.history(),
        peers: { [a.identity.nodeId]: await a.ledger.history() },
      },
      PASS,
      { kdf: CHEAP },
    );
    // Nothing secret is readable without the passphrase.
    expect(text).not.toContain(bytesToHex(b.identity.secretKeyBytes()));
    expect(text).not.toContain('"receipt"');
    expect(JSON.parse(text)).toMatchObject({ format: 'inos-wallet', version: 2, nodeId: b.identity.nodeId });

    const back = await importWallet(text, PASS);
    expect(back.identity.nodeId).toBe(b.identity.nodeId);
    const db = await openLedgerDb({ indexedDB: new IDBFactory(), name: 'restored' });
    const restored = new Ledger(db, { owner: back.identity.nodeId, verifyProof: verifyBoundProof });
    await restored.restore(back.history, back.peers);
    expect(await restored.totals()).toEqual({ balance: 50_000 + BOUND_WORTH, pending: 0 });
    expect((await restored.summary()).paidByPeers).toBe(50_000);
  });

  it('refuses a wrong passphrase, an edited header and a weak passphrase, saying which', async () => {
    const w = await economyWallet(42);
    const text = await exportWallet({ identity: w.identity, history: [], peers: {} }, PASS, { kdf: CHEAP });
    expect(await codeOf(importWallet(text, 'wrong horse battery staple'))).toBe('wrong-passphrase');
    expect(await codeOf(importWallet(text, undefined))).toBe('wrong-passphrase');
    const edited = JSON.stringify({ ...JSON.parse(text), createdAt: 1 });
    expect(await codeOf(importWallet(edited, PASS))).toBe('wrong-passphrase');
    expect(
      await codeOf(exportWallet({ identity: w.identity, history: [], peers: {} }, 'short', { kdf: CHEAP })),
    ).toBe('weak-passphrase');
    expect(await codeOf(importWallet('{"format":"inos-wallet","version":9}', PASS))).toBe('wrong-version');
    expect(await codeOf(importWallet('nope', PASS))).toBe('not-json');
  });

  it('still reads a version-1 key file', async () => {
    const id = identity(43);
    expect((await importWallet(exportIdentity(id), undefined)).identity.nodeId).toBe(id.nodeId);
  });

  it('refuses a backup whose ledger fails an audit, and changes nothing', async () => {
    const w = await economyWallet(44);
    await w.mint(1);
    const history = await w.ledger.history();
    const forged = history.map((e) =>
      e.kind === 'transition' && e.to === 'settled' ? { ...e, credits: 9_999_999 } : e,
    );
    const text = await exportWallet({ identity: w.identity, history: forged, peers: {} }, PASS, {
      kdf: CHEAP,
    });
    const wallet = new Wallet(new IDBFactory(), () => T0, CHEAP);
    await wallet.ready;
    const before = wallet.nodeId;
    await expect(
      wallet.handlers()['identity/import']({ backup: text, passphrase: PASS }, undefined),
    ).rejects.toMatchObject({
      reason: 'bad-signature',
    });
    expect(wallet.nodeId).toBe(before);
  });
});

describe('the background wallet: export and import', () => {
  it('never discards a key that holds credits without a second confirmation', async () => {
    const now = () => T0;
    const wallet = new Wallet(new IDBFactory(), now, CHEAP);
    await wallet.ready;
    const first = wallet.nodeId;
    await wallet.mint(boundProof(first, T0), { cpuMs: 5 });
    expect(wallet.balance().credits).toBeGreaterThan(0);
    const h = wallet.handlers();
    const exported = await h['identity/export']({ passphrase: PASS }, undefined);
    expect(exported.fileName).toMatch(/^inos-wallet-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.json$/);

    const other = identity(45);
    await expect(h['identity/import']({ backup: exportIdentity(other) }, undefined)).rejects.toMatchObject({
      code: 'would-discard',
      message: expect.stringMatching(/still holds 0\.03125 credits/) as unknown,
    });
    expect(wallet.nodeId).toBe(first);
    expect(
      await h['identity/import']({ backup: exportIdentity(other), discardCredits: true }, undefined),
    ).toMatchObject({
      nodeId: other.nodeId,
      balance: 0,
    });
    // The first wallet's backup brings its key and its balance back.
    expect(
      await h['identity/import']({ backup: exported.backup, passphrase: PASS }, undefined),
    ).toMatchObject({
      nodeId: first,
      balance: BOUND_WORTH,
    });
    expect(wallet.balance().credits).toBe(BOUND_WORTH / 1_000_000);
    expect((await h['earnings/get']({ utcOffsetMin: 0 }, undefined)).proofOfWork).toBe(BOUND_WORTH);
  });
});
