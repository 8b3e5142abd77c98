/**
 * The CLI wallet's write cost per payment (src/cli/wallet-file.ts) at `n` payments (hold + pay +
 * release each, every call saved before it returns): bytes the journal appended (measured: the
 * file's bytesWritten) vs what v1 wrote, the whole wallet rewritten after every call (measured:
 * the byte length of the v1 text for the same wallet after each call). Same run.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { targetToCompact } from '../../src/capsules/pow/target.ts';
import { WalletFile } from '../../src/cli/wallet-file.ts';
import { Identity, type LedgerEntry } from '../../src/ledger/index.ts';

export interface WalletJournalRow {
  payments: number;
  records: number;
  fileBytes: number;
  journalBytesPerPayment: number;
  wholeRewriteBytesPerPayment: number;
  ratio: number;
  msPerPayment: number;
}

export async function walletJournalBench(n: number): Promise<WalletJournalRow> {
  const dir = mkdtempSync(join(tmpdir(), 'inos-bench-wallet-'));
  const path = join(dir, 'wallet.json');
  try {
    const file = await WalletFile.open(path);
    // 2^12 expected hashes a proof: enough micro-credits for n payments of 1 in a few proofs.
    await file.wallet.mint(1, undefined, undefined, targetToCompact(2n ** 256n / 2n ** 12n - 1n));
    await file.save();
    const id = file.wallet.identity;
    const history: LedgerEntry[] = await file.wallet.ledger.history();
    // What v1's save() wrote: the whole wallet as one JSON object (no payer chains on a requester).
    const v1Bytes = () =>
      Buffer.byteLength(
        JSON.stringify({
          format: 'inos-cli-wallet',
          version: 1,
          warning: 'The secret key of an INOS identity: whoever holds this file can spend its credits.',
          nodeId: id.nodeId,
          secretKey: bytesToHex(id.secretKeyBytes()),
          createdAt: id.createdAt,
          history,
          peers: {},
        }),
      );
    const payee = Identity.generate(0).nodeId;
    const p = file.requesterPayments();
    const start = file.bytesWritten;
    let whole = 0;
    const after = async () => {
      history.push(...(await file.wallet.ledger.historySince(history.at(-1)?.seq ?? 0)));
      whole += v1Bytes();
    };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const hold = await p.hold(`job-${i}`, 1);
      await after();
      await p.pay(hold.id, payee, 1, { jobId: `job-${i}`, capsule: 'crypto', method: 'sha256' });
      await after();
      await p.release(hold.id);
      await after();
    }
    const ms = performance.now() - t0;
    const journal = file.bytesWritten - start;
    return {
      payments: n,
      records: history.length,
      fileBytes: statSync(path).size,
      journalBytesPerPayment: journal / n,
      wholeRewriteBytesPerPayment: whole / n,
      ratio: journal / whole,
      msPerPayment: ms / n,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
