/**
 * The CLI wallet's journal (src/cli/wallet-file.ts): an escrow call appends its own records, not
 * the whole wallet; a torn last line (a crash mid-write) is ignored with a warning, never a lost
 * wallet; a process killed mid-loop loses no acknowledged record; a v1 file still opens.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';
import { Identity, signEntry } from '../../../src/ledger/index.ts';
import { MarketWallet } from '../../../src/trade/index.ts';
import { IDBFactory } from 'fake-indexeddb';

const EASY = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const ROOT = join(import.meta.dirname, '../../..');
const fresh = () => join(mkdtempSync(join(tmpdir(), 'inos-journal-')), 'wallet.json');
const PAYEE = Identity.generate(0).nodeId;
const WHAT = { capsule: 'crypto', method: 'sha256' };

async function payments(file: WalletFile, n: number): Promise<void> {
  const p = file.requesterPayments();
  for (let i = 0; i < n; i++) {
    const hold = await p.hold(`job-${i}`, 2);
    await p.pay(hold.id, PAYEE, 1, { ...WHAT, jobId: `job-${i}` });
    await p.release(hold.id);
  }
}

describe('the CLI wallet journal', { timeout: 90_000 }, () => {
  it('an escrow call appends its records only; a reopened wallet has them all', async () => {
    const path = fresh();
    const a = await WalletFile.open(path);
    await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    await payments(a, 5);
    const size = statSync(path).size;
    const before = a.bytesWritten;
    await payments(a, 5);
    const grew = statSync(path).size - size;
    // Every byte written went to the end of the file: nothing rewritten.
    expect(a.bytesWritten - before).toBe(grew);
    // 5 jobs × (hold + pay + release): 15 lines, each one record.
    expect(readFileSync(path, 'utf8').slice(size).trimEnd().split('\n')).toHaveLength(15);
    const b = await WalletFile.open(path);
    expect(await b.wallet.ledger.history()).toEqual(await a.wallet.ledger.history());
    expect(await b.wallet.balance()).toEqual(await a.wallet.balance());
  });

  it('a torn last line is ignored with a warning, the rest of the wallet kept, and the file mended', async () => {
    const path = fresh();
    const a = await WalletFile.open(path);
    await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    await payments(a, 3);
    const full = await a.wallet.ledger.history();
    // A crash mid-append: the last record's line cut in half.
    const text = readFileSync(path, 'utf8');
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    truncateSync(path, Buffer.byteLength(text) - Math.ceil(Buffer.byteLength(lastLine) / 2));
    const warnings: string[] = [];
    const b = await WalletFile.open(path, { warn: (l) => warnings.push(l) });
    expect(warnings.join('\n')).toMatch(/last line was cut short.*ignored/);
    expect(await b.wallet.ledger.history()).toEqual(full.slice(0, -1));
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    // It goes on working: the next calls append after the mended file and reopen cleanly.
    await payments(b, 1);
    const c = await WalletFile.open(path, { warn: (l) => warnings.push(l) });
    expect(warnings).toHaveLength(1);
    expect((await c.wallet.ledger.history()).length).toBe(full.length - 1 + 3);
  });

  it('a damaged line in the middle is refused with the line number (not silently dropped)', async () => {
    const path = fresh();
    const a = await WalletFile.open(path);
    await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 20);
    writeFileSync(path, lines.join('\n'));
    await expect(WalletFile.open(path)).rejects.toThrow(/line 3 is not a wallet record/);
  });

  it('a v1 wallet (one JSON object) opens and is rewritten as a journal', async () => {
    const path = fresh();
    const a = await WalletFile.open(path);
    await a.wallet.mint(1, undefined, undefined, EASY);
    await a.save();
    const snap = await a.wallet.snapshot();
    writeFileSync(
      path,
      JSON.stringify({
        format: 'inos-cli-wallet',
        version: 1,
        nodeId: snap.identity.nodeId,
        secretKey: Buffer.from(snap.identity.secretKeyBytes()).toString('hex'),
        createdAt: snap.identity.createdAt,
        history: snap.history,
        peers: snap.peers,
      }),
    );
    const b = await WalletFile.open(path);
    expect(await b.wallet.ledger.history()).toEqual(snap.history);
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!)).toMatchObject({ version: 2 });
  });

  it('a requester killed (SIGKILL) mid-loop loses no acknowledged escrow record', async () => {
    const path = fresh();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'tests/unit/cli/_wallet-child.ts'), path, PAYEE],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const acked: string[] = [];
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the child exited early (${String(code)})`)));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const m of out.matchAll(/acked (\S+)\n/g)) if (!acked.includes(m[1]!)) acked.push(m[1]!);
        if (acked.length >= 3) resolve();
      });
    });
    child.removeAllListeners('exit');
    const gone = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await gone;
    for (const m of out.matchAll(/acked (\S+)\n/g)) if (!acked.includes(m[1]!)) acked.push(m[1]!);
    const warnings: string[] = [];
    const b = await WalletFile.open(path, { warn: (l) => warnings.push(l) });
    const holds = (await b.wallet.ledger.history()).filter((e) => e.kind === 'hold').map((e) => e.id);
    for (const id of acked) expect(holds, `acknowledged hold ${id}`).toContain(id);
    // The books still balance after the kill: available = balance − held, all re-audited on open.
    const bal = await b.wallet.balance();
    expect(bal.available).toBe(bal.balance - bal.held);
  });
});

describe('the CLI wallet keeps proven double spenders', { timeout: 90_000 }, () => {
  it('a fork caught (or learned from the mesh) is on disk: after a restart that payer is still refused', async () => {
    // A payer that pays this wallet, then signs a second record at the same seq.
    const payer = await MarketWallet.open(new IDBFactory());
    await payer.mint(8, undefined, undefined, EASY);
    const hold = await payer.payments.hold('job-f', 4_000_000);
    const before = await payer.ledger.history();
    const path = fresh();
    const a = await WalletFile.open(path);
    const first = await payer.payments.pay(hold.id, a.wallet.nodeId, 2_000_000, { ...WHAT, jobId: 'job-f' });
    await a.wallet.receive(first, { cpuMs: 0 });
    const again = signEntry({ ...first.pay, id: 'second-spend', amount: 1_000_000 }, payer.identity);
    await expect(
      a.wallet.receive({ pay: again, chains: { [payer.nodeId]: [...before, again] } }, { cpuMs: 0 }),
    ).rejects.toMatchObject({ reason: 'double-spend' });
    await a.save();
    expect(readFileSync(path, 'utf8')).toContain('{"f":');

    const b = await WalletFile.open(path);
    expect(await b.wallet.payments.isBanned(payer.nodeId)).toBe(true);
    // Its next genuine, covered payment is refused after the restart too.
    const hold2 = await payer.payments.hold('job-g', 1_000_000);
    const later = await payer.payments.pay(hold2.id, b.wallet.nodeId, 1_000_000, { ...WHAT, jobId: 'job-g' });
    await expect(b.wallet.receive(later, { cpuMs: 0 })).rejects.toMatchObject({ reason: 'double-spend' });
    // A rewrite keeps it; an edited proof is refused at open with what is wrong.
    await b.compact();
    expect(await (await WalletFile.open(path)).wallet.payments.isBanned(payer.nodeId)).toBe(true);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"second-spend"', '"edited"'));
    await expect(WalletFile.open(path)).rejects.toThrow(/fork proof does not check/);
  });
});
