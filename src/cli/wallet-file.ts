/**
 * The CLI's wallet on disk: `$INOS_HOME/wallet.json` (mode 600) holds the identity's secret key and
 * the signed ledger (own chain + the payers' chains that back its receipts), the same contents an
 * encrypted backup carries. On open it is loaded into fake-indexeddb and re-audited by
 * `Ledger.restore` (every signature, proof and payment checked again), so an edited file is refused
 * instead of trusted.
 *
 * Format v2 is a journal, one JSON value a line: a header line (format, version, key), then one line
 * per ledger record, `{"o": record}` for this wallet's own chain and `{"p": record}` for a payer's,
 * and `{"f": proof}` per fork proof (a payer proven to double-spend: refused for good, also after a
 * restart; each proof is checked again at open).
 * `save()` appends only the records written since the last save and fsyncs, so an escrow call costs
 * its own records (a few hundred bytes), not the whole wallet. A crash can tear only the last line:
 * it is ignored with a warning at open (that record was never acknowledged: the call that wrote it
 * had not returned) and the file is rewritten without it. The file is rewritten whole (temp file +
 * fsync + rename) when it is created, imported, upgraded from v1 (one JSON object, still read), or
 * holds more lines than records (COMPACT_SLACK). One process per $INOS_HOME.
 *
 * Why this and not a file-backed IndexedDB: the ledger's records are the source of truth and are
 * small, a re-audit at start costs milliseconds for the CLI's hundreds of records, and the running
 * process keeps the real Ledger code path (same IDB schema as the extension) without a second
 * storage implementation to keep correct.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Identity, parseEntry, type ForkProof, type LedgerEntry } from '../ledger/index.ts';
import { MarketWallet } from '../trade/market-wallet.ts';
import type { RequesterPayments } from '../trade/requester.ts';
import { CliInputError } from './cli-error.ts';
import { dataDir } from './data-dir.ts';

export const WALLET_FILE_FORMAT = 'inos-cli-wallet';
/** 2: the journal; 1 (one JSON object, rewritten whole on every change) is still read. */
export const WALLET_FILE_VERSION = 2;
/** Rewrite the journal whole once it holds this many more lines than distinct records. */
export const COMPACT_SLACK = 1024;

export const walletPath = (env: NodeJS.ProcessEnv = process.env): string => join(dataDir(env), 'wallet.json');

interface Parsed {
  identity: Identity;
  history: LedgerEntry[];
  peers: Record<string, LedgerEntry[]>;
  /** Fork proofs, unchecked (Payments.reportFork checks each). */
  forks: unknown[];
  /** Lines read (header included); a torn last line is not counted. */
  lines: number;
  /** Why the file must be rewritten whole at open (v1, a torn last line), or undefined. */
  rewrite?: string;
}

const ledgerKey = (e: LedgerEntry) => `${e.ledger}/${e.seq}`;

export class WalletFile {
  #writing: Promise<void> = Promise.resolve();
  /** The last own seq on disk, and the last seq on disk of each payer's chain. */
  #ownSeq = 0;
  #peerSeq = new Map<string, number>();
  /** Payers whose fork proof is on disk. */
  #forks = new Set<string>();
  #lines = 0;
  #records = 0;
  /** Bytes this process wrote to the wallet file (journal appends and whole rewrites). */
  bytesWritten = 0;

  private constructor(
    readonly path: string,
    readonly wallet: MarketWallet,
    private readonly warn: (line: string) => void,
  ) {}

  /**
   * Opens (or creates, with a new identity) the wallet at `path`. `warn` hears what was repaired
   * (a torn last line); default: stderr.
   */
  static async open(
    path: string = walletPath(),
    opts: { warn?: (line: string) => void } = {},
  ): Promise<WalletFile> {
    const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    const factory = new IDBFactory();
    if (!existsSync(path)) {
      const wallet = await MarketWallet.open(factory);
      const file = new WalletFile(path, wallet, warn);
      await file.compact();
      return file;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new CliInputError(
        `cannot read the wallet ${path}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const parsed = parseWalletText(path, text, warn);
    const wallet = await MarketWallet.open(factory, { identity: parsed.identity });
    if (parsed.history.length > 0) await wallet.ledger.restore(parsed.history, parsed.peers);
    const file = new WalletFile(path, wallet, warn);
    for (const proof of parsed.forks) {
      try {
        file.#forks.add((await wallet.payments.reportFork(proof)).ledger);
      } catch (err) {
        throw new CliInputError(
          `${path}: a fork proof does not check (${err instanceof Error ? err.message : String(err)}); the file was edited or damaged`,
        );
      }
    }
    if (parsed.rewrite !== undefined) {
      await file.compact();
      return file;
    }
    file.#ownSeq = parsed.history.at(-1)?.seq ?? 0;
    for (const [id, chain] of Object.entries(parsed.peers)) file.#peerSeq.set(id, chain.at(-1)?.seq ?? 0);
    file.#lines = parsed.lines;
    file.#records =
      parsed.history.length +
      Object.values(parsed.peers).reduce((n, c) => n + c.length, 0) +
      file.#forks.size;
    return file;
  }

  /** The same wallet saved at `path` instead (an audited import replacing the current file). */
  static async reopenAs(from: WalletFile, path: string): Promise<WalletFile> {
    const file = new WalletFile(path, from.wallet, from.warn);
    await file.compact();
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

  /**
   * Appends the records written since the last save (own chain, and the chains of the payers its
   * new records name) and fsyncs; rewrites the file whole when it has grown COMPACT_SLACK lines
   * past its records. Calls are queued.
   */
  save(): Promise<void> {
    return this.#queue(async () => {
      const own = await this.wallet.ledger.historySince(this.#ownSeq);
      const lines: string[] = own.map((e) => JSON.stringify({ o: e }));
      const payers = new Set<string>();
      for (const e of own) {
        const payer = e.kind === 'receipt' ? (e.payment ?? e.pledge)?.ledger : undefined;
        if (payer !== undefined) payers.add(payer);
      }
      const peerSeq = new Map(this.#peerSeq);
      for (const payer of payers) {
        const known = peerSeq.get(payer) ?? 0;
        const chain = await this.wallet.ledger.peerChain(payer);
        // A stored chain that no longer extends what is on disk (replaced by a re-audit): rewrite whole.
        if (chain.length > 0 && (chain.at(-1)?.seq ?? 0) < known) return this.#compactNow();
        for (const e of chain) if (e.seq > known) lines.push(JSON.stringify({ p: e }));
        peerSeq.set(payer, chain.at(-1)?.seq ?? known);
      }
      const forks = await this.#newForks();
      for (const f of forks) lines.push(JSON.stringify({ f }));
      if (lines.length === 0) return;
      if (this.#lines + lines.length > this.#records + lines.length + COMPACT_SLACK)
        return this.#compactNow();
      const text = `${lines.join('\n')}\n`;
      const fd = openSync(this.path, 'a', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.bytesWritten += Buffer.byteLength(text);
      this.#lines += lines.length;
      this.#records += lines.length;
      this.#ownSeq = own.at(-1)?.seq ?? this.#ownSeq;
      this.#peerSeq = peerSeq;
      for (const f of forks) this.#forks.add(f.ledger);
    });
  }

  /** The fork proofs the ledger holds that are not on disk yet. */
  async #newForks(): Promise<ForkProof[]> {
    const out: ForkProof[] = [];
    for (const id of await this.wallet.ledger.db.getAllKeys('forks')) {
      if (this.#forks.has(id)) continue;
      const proof = await this.wallet.payments.forkProof(id);
      if (proof !== undefined) out.push(proof);
    }
    return out;
  }

  /** Rewrites the whole file (temp file, fsync, rename): header, own chain, payers' chains. */
  compact(): Promise<void> {
    return this.#queue(() => this.#compactNow());
  }

  #queue(f: () => Promise<void>): Promise<void> {
    const run = this.#writing.then(f);
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #compactNow(): Promise<void> {
    const snap = await this.wallet.snapshot();
    const head = JSON.stringify({
      format: WALLET_FILE_FORMAT,
      version: WALLET_FILE_VERSION,
      warning: 'The secret key of an INOS identity: whoever holds this file can spend its credits.',
      nodeId: snap.identity.nodeId,
      secretKey: bytesToHex(snap.identity.secretKeyBytes()),
      createdAt: snap.identity.createdAt,
    });
    const lines = [head, ...snap.history.map((e) => JSON.stringify({ o: e }))];
    for (const chain of Object.values(snap.peers))
      for (const e of chain) lines.push(JSON.stringify({ p: e }));
    this.#forks.clear();
    const forks = await this.#newForks();
    for (const f of forks) lines.push(JSON.stringify({ f }));
    const text = `${lines.join('\n')}\n`;
    mkdirSync(join(this.path, '..'), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
    this.bytesWritten += Buffer.byteLength(text);
    this.#ownSeq = snap.history.at(-1)?.seq ?? 0;
    this.#peerSeq = new Map(Object.entries(snap.peers).map(([id, c]) => [id, c.at(-1)?.seq ?? 0]));
    for (const f of forks) this.#forks.add(f.ledger);
    this.#lines = lines.length - 1;
    this.#records = lines.length - 1;
  }
}

/** Reads a v2 journal or a v1 object; refuses anything else with what was expected. */
function parseWalletText(path: string, text: string, warn: (line: string) => void): Parsed {
  const bad = (what: string): never => {
    throw new CliInputError(`${path}: ${what}`);
  };
  const headOf = (w: Record<string, unknown>, version: number): Identity => {
    if (w['format'] !== WALLET_FILE_FORMAT || w['version'] !== version)
      bad(`not an INOS CLI wallet (format ${WALLET_FILE_FORMAT} v${WALLET_FILE_VERSION} or v1)`);
    const key = w['secretKey'];
    if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key))
      bad('secretKey must be 64 lowercase hex digits');
    return Identity.fromSecretKey(hexToBytes(key as string), Number(w['createdAt']) || 0);
  };
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  let head: unknown;
  try {
    head = JSON.parse(first);
  } catch {
    head = undefined;
  }
  const h = typeof head === 'object' && head !== null ? (head as Record<string, unknown>) : undefined;
  if (h === undefined || h['version'] !== WALLET_FILE_VERSION) {
    // v1: one JSON object (possibly pretty-printed over several lines).
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return bad(`cannot read the wallet: ${err instanceof Error ? err.message : String(err)}`);
    }
    const w = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const identity = headOf(w, 1);
    const history = Array.isArray(w['history']) ? w['history'].map((e) => parseEntry(e)) : [];
    const peers: Record<string, LedgerEntry[]> = {};
    if (typeof w['peers'] === 'object' && w['peers'] !== null)
      for (const [k, v] of Object.entries(w['peers'] as Record<string, unknown>))
        if (Array.isArray(v)) peers[k] = v.map((e) => parseEntry(e));
    return { identity, history, peers, forks: [], lines: 0, rewrite: 'v1' };
  }
  const identity = headOf(h, WALLET_FILE_VERSION);
  const rows = text.split('\n');
  // A file that does not end in a newline was cut mid-line by a crash: its last line is torn.
  const torn = !text.endsWith('\n');
  const own = new Map<string, LedgerEntry>();
  const peers = new Map<string, LedgerEntry>();
  const forks: unknown[] = [];
  let lines = 1;
  let rewrite: string | undefined;
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!;
    if (row === '') continue;
    const last = i === rows.length - 1;
    try {
      const v = JSON.parse(row) as { o?: unknown; p?: unknown; f?: unknown };
      if (v.f !== undefined) forks.push(v.f);
      else {
        const e = parseEntry(v.o ?? v.p);
        (v.o !== undefined ? own : peers).set(ledgerKey(e), e);
      }
      lines++;
    } catch (err) {
      if (last && torn) {
        warn(
          `warning: ${path}: its last line was cut short (a crash while writing; ${row.length} bytes) and is ignored; the wallet is rewritten without it`,
        );
        rewrite = 'torn';
        continue;
      }
      bad(
        `line ${i + 1} is not a wallet record (${err instanceof Error ? err.message : String(err)}); the file was edited or damaged`,
      );
    }
  }
  const history = [...own.values()].sort((a, b) => a.seq - b.seq);
  if (history.some((e) => e.ledger !== identity.nodeId)) bad('an own record is signed into another chain');
  const byPayer: Record<string, LedgerEntry[]> = {};
  for (const e of peers.values()) (byPayer[e.ledger] ??= []).push(e);
  for (const c of Object.values(byPayer)) c.sort((a, b) => a.seq - b.seq);
  return { identity, history, peers: byPayer, forks, lines, ...(rewrite !== undefined ? { rewrite } : {}) };
}
