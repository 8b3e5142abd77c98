/**
 * The CLI's wallet on disk: `$INOS_HOME/wallet.json` (mode 600) holds the identity's secret key and
 * the signed ledger (own chain + the payers' chains that back its receipts), the same contents an
 * encrypted backup carries. On open it is loaded into fake-indexeddb and re-audited by
 * `Ledger.restore` (every signature, proof and payment checked again), so an edited file is refused
 * instead of trusted; after every change the whole file is rewritten atomically (temp file + rename).
 *
 * Why this and not a file-backed IndexedDB: the ledger's records are the source of truth and are
 * small (a few hundred bytes each), a re-audit at start costs milliseconds for the CLI's hundreds of
 * records, and the running process keeps the real Ledger code path (same IDB schema as the
 * extension) without a second storage implementation to keep correct. One process per $INOS_HOME.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Identity, parseEntry, type LedgerEntry } from '../ledger/index.ts';
import { MarketWallet } from '../trade/market-wallet.ts';
import type { RequesterPayments } from '../trade/requester.ts';
import { CliInputError } from './cli-error.ts';
import { dataDir } from './data-dir.ts';

export const WALLET_FILE_FORMAT = 'inos-cli-wallet';
export const WALLET_FILE_VERSION = 1;

export const walletPath = (env: NodeJS.ProcessEnv = process.env): string => join(dataDir(env), 'wallet.json');

export class WalletFile {
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly wallet: MarketWallet,
  ) {}

  /** Opens (or creates, with a new identity) the wallet at `path`. */
  static async open(path: string = walletPath()): Promise<WalletFile> {
    const factory = new IDBFactory();
    if (!existsSync(path)) {
      const wallet = await MarketWallet.open(factory);
      const file = new WalletFile(path, wallet);
      await file.save();
      return file;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new CliInputError(
        `cannot read the wallet ${path}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const w = raw as {
      format?: unknown;
      version?: unknown;
      secretKey?: unknown;
      createdAt?: unknown;
      history?: unknown;
      peers?: unknown;
    };
    if (w.format !== WALLET_FILE_FORMAT || w.version !== WALLET_FILE_VERSION)
      throw new CliInputError(
        `${path} is not an INOS CLI wallet (format ${WALLET_FILE_FORMAT} v${WALLET_FILE_VERSION})`,
      );
    if (typeof w.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(w.secretKey))
      throw new CliInputError(`${path}: secretKey must be 64 lowercase hex digits`);
    const identity = Identity.fromSecretKey(hexToBytes(w.secretKey), Number(w.createdAt) || 0);
    const history = Array.isArray(w.history) ? w.history.map((e) => parseEntry(e)) : [];
    const peers: Record<string, LedgerEntry[]> = {};
    if (typeof w.peers === 'object' && w.peers !== null)
      for (const [k, v] of Object.entries(w.peers as Record<string, unknown>))
        if (Array.isArray(v)) peers[k] = v.map((e) => parseEntry(e));
    const wallet = await MarketWallet.open(factory, { identity });
    if (history.length > 0) await wallet.ledger.restore(history, peers);
    return new WalletFile(path, wallet);
  }

  /** The same wallet saved at `path` instead (an audited import replacing the current file). */
  static async reopenAs(from: WalletFile, path: string): Promise<WalletFile> {
    const file = new WalletFile(path, from.wallet);
    await file.save();
    rmSync(from.path, { force: true });
    return file;
  }

  /**
   * The requester's escrow calls, each written to this file before it returns, so before its hold,
   * pledge or pay can leave the process: a requester killed after sending a pledge must not come
   * back without it and sign another record with the same sequence number (a fork its payees prove).
   */
  requesterPayments(): RequesterPayments {
    const p = this.wallet.requesterPayments();
    const ahead =
      <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        const r = await f(...a);
        await this.save();
        return r;
      };
    const pledge = p.pledge;
    return {
      hold: ahead(p.hold),
      pay: ahead(p.pay),
      release: ahead(p.release),
      ...(pledge !== undefined ? { pledge: ahead(pledge) } : {}),
    };
  }

  /** Writes the whole wallet (atomically: temp file, then rename). Calls are queued. */
  save(): Promise<void> {
    const run = this.#writing.then(async () => {
      const snap = await this.wallet.snapshot();
      const text = JSON.stringify({
        format: WALLET_FILE_FORMAT,
        version: WALLET_FILE_VERSION,
        warning: 'The secret key of an INOS identity: whoever holds this file can spend its credits.',
        nodeId: snap.identity.nodeId,
        secretKey: bytesToHex(snap.identity.secretKeyBytes()),
        createdAt: snap.identity.createdAt,
        history: snap.history,
        peers: snap.peers,
      });
      mkdirSync(join(this.path, '..'), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }
}
