/**
 * Ledger compaction: a long-lived node's chain grows by three records per mint (receipt, verified,
 * settled), about 3.6 KB each in IndexedDB, so 10^5 receipts would be ~365 MB of live rows and
 * indexes. Compaction moves the oldest part of the chain into an archive and keeps a signed
 * checkpoint in its place:
 *
 * - Only a *closed prefix* is compacted: records older than `olderThanMs` (default 30 days) up to
 *   the last point where every receipt they opened is final (settled or rejected) and every hold
 *   they opened is released. Later records never refer into it, so dropping the prefix's receipt
 *   views, closed holds and chart slots older than the chart changes no balance: running totals
 *   (totals.ts) already count them. The popup's recent-jobs list shows live receipts only.
 * - The records themselves are kept, lossless, in `archive` segments (gzip'd canonical JSON lines,
 *   ≤ SEGMENT_RECORDS each): `Ledger.history()` still returns the whole chain, so backups and the
 *   payer-chain audits of payments (payments.ts, verify-history.ts) are unchanged.
 * - The replay indexes (`entries.byId`, `receipts.byJob`) no longer cover the archived part, so the
 *   checkpoint sets a horizon: a record at or before the checkpoint's seq, or a receipt (or the
 *   payment it carries) issued before the horizon, is refused as a replay (_judge.ts). Bound proofs
 *   of work are already worthless after their 1-hour epoch; payments older than the horizon are the
 *   case this rule exists for.
 *
 * Each segment is written in its own readwrite transaction together with the checkpoint that
 * covers it, so a crash between segments leaves a consistent, partly compacted ledger; a second
 * `compact` running at the same time sees the checkpoint move and stops.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './_canonical.ts';
import { type ArchiveSegment, type Checkpoint, type LedgerDb, SLOT_MS } from './ledger-db.ts';
import { entryHash, parseEntry, type LedgerEntry, type Signer } from './receipt.ts';

export const DEFAULT_COMPACT_AFTER_MS = 30 * 86_400_000;
export const SEGMENT_RECORDS = 4096;
/** The popup's chart reads 7 local days of slots; a day more covers any UTC offset. */
const CHART_KEEP_MS = 8 * 86_400_000;
const CHECKPOINT_DOMAIN = utf8ToBytes('INOS ledger checkpoint v1\n');

export interface CompactOptions {
  /** The ledger owner's key: signs the checkpoint. */
  signer: Signer;
  now: number;
  /** Only records issued longer ago than this are compacted; default 30 days. */
  olderThanMs?: number;
  segmentRecords?: number;
}

export interface CompactReport {
  /** The checkpoint now stored (null: nothing was ever compacted). */
  checkpoint: Checkpoint | null;
  /** What this call archived. */
  records: number;
  receipts: number;
  segments: number;
}

/** The bytes a checkpoint's signature covers. */
export function checkpointMessage(cp: Omit<Checkpoint, 'sig'>): Uint8Array {
  const { ledger, seq, hash, horizon, records, receipts, madeAt } = cp;
  return concatBytes(
    CHECKPOINT_DOMAIN,
    utf8ToBytes(canonicalJson({ ledger, seq, hash, horizon, records, receipts, madeAt })),
  );
}

export function verifyCheckpoint(cp: Checkpoint): boolean {
  try {
    return ed25519.verify(hexToBytes(cp.sig), checkpointMessage(cp), hexToBytes(cp.ledger), {
      zip215: false,
    });
  } catch {
    return false;
  }
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** Records → gzip'd JSON lines (the platform's CompressionStream: no library, same in Node and Chromium). */
export async function packSegment(records: readonly LedgerEntry[]): Promise<Uint8Array> {
  const text = records.map((r) => canonicalJson(r)).join('\n');
  return pipe(utf8ToBytes(text), new CompressionStream('gzip'));
}

/** The inverse of packSegment; every record is re-validated (an archive is storage, not trust). */
export async function unpackSegment(gz: Uint8Array): Promise<LedgerEntry[]> {
  const text = new TextDecoder().decode(await pipe(gz, new DecompressionStream('gzip')));
  return text === '' ? [] : text.split('\n').map((line) => parseEntry(JSON.parse(line)));
}

/** The archived records of `owner`'s chain, first first. */
export async function archivedHistory(db: LedgerDb, owner: string): Promise<LedgerEntry[]> {
  const segments = await db.getAll('archive', IDBKeyRange.bound([owner, 0], [owner, Infinity]));
  const out: LedgerEntry[] = [];
  for (const s of segments) out.push(...(await unpackSegment(s.gz)));
  return out;
}

/** Records read per `getAll` while looking for the closed prefix (one request per batch, no cursor). */
const SCAN_BATCH = 2048;

/**
 * The end of the longest compactable prefix after `fromSeq`: the last seq at which every receipt
 * and hold opened so far is closed, among records issued before `cutoff`. Reads the chain in
 * key-range batches (`getAll`): one IndexedDB request per SCAN_BATCH records, where a cursor makes
 * one per record (in Chromium a round trip each; in fake-indexeddb a tree search each).
 */
async function closedPrefixEnd(
  db: LedgerDb,
  owner: string,
  fromSeq: number,
  cutoff: number,
): Promise<number> {
  const open = new Set<string>();
  let end = fromSeq - 1;
  for (let first = fromSeq; ; first += SCAN_BATCH) {
    const rows = await db.getAll(
      'entries',
      IDBKeyRange.bound([owner, first], [owner, first + SCAN_BATCH - 1]),
    );
    for (const { entry: e } of rows) {
      if (e.issuedAt >= cutoff) return end;
      if (e.kind === 'receipt') {
        if (e.state !== 'settled' && e.state !== 'rejected') open.add(e.id);
      } else if (e.kind === 'transition') {
        if (e.to === 'settled' || e.to === 'rejected') open.delete(e.receiptId);
      } else if (e.kind === 'hold') open.add(e.id);
      else if (e.kind === 'release') open.delete(e.holdId);
      if (open.size === 0) end = e.seq;
    }
    if (rows.length < SCAN_BATCH) return end;
  }
}

export async function compactLedger(
  db: LedgerDb,
  owner: string,
  opts: CompactOptions,
): Promise<CompactReport> {
  if (opts.signer.nodeId !== owner)
    throw new RangeError('compactLedger: the signer must be the ledger owner');
  const perSegment = opts.segmentRecords ?? SEGMENT_RECORDS;
  const cutoff = opts.now - (opts.olderThanMs ?? DEFAULT_COMPACT_AFTER_MS);
  let checkpoint = (await db.get('checkpoints', owner)) ?? null;
  const report: CompactReport = { checkpoint, records: 0, receipts: 0, segments: 0 };
  const end = await closedPrefixEnd(db, owner, (checkpoint?.seq ?? 0) + 1, cutoff);

  for (let first = (checkpoint?.seq ?? 0) + 1; first <= end; first += perSegment) {
    const last = Math.min(end, first + perSegment - 1);
    const rows = await db.getAll('entries', IDBKeyRange.bound([owner, first], [owner, last]));
    if (rows.length !== last - first + 1 || rows[0]?.seq !== first)
      throw new Error(`compactLedger: records ${first}..${last} of the chain are not all stored`);
    const gz = await packSegment(rows.map((r) => r.entry));
    const receiptsIn = rows.filter((r) => r.entry.kind === 'receipt').length;
    const unsigned: Omit<Checkpoint, 'sig'> = {
      ledger: owner,
      seq: last,
      hash: entryHash(rows[rows.length - 1]!.entry),
      horizon: Math.max(cutoff, checkpoint?.horizon ?? 0),
      records: (checkpoint?.records ?? 0) + rows.length,
      receipts: (checkpoint?.receipts ?? 0) + receiptsIn,
      madeAt: opts.now,
    };
    const next: Checkpoint = { ...unsigned, sig: bytesToHex(opts.signer.sign(checkpointMessage(unsigned))) };
    const segment: ArchiveSegment = { ledger: owner, firstSeq: first, lastSeq: last, count: rows.length, gz };

    const tx = db.transaction(
      ['checkpoints', 'archive', 'entries', 'receipts', 'holds', 'slots'],
      'readwrite',
    );
    const current = await tx.objectStore('checkpoints').get(owner);
    if ((current?.seq ?? 0) !== first - 1) {
      // Another compaction got here first: leave it to that one.
      tx.abort();
      await tx.done.catch(() => undefined);
      report.checkpoint = current ?? null;
      return report;
    }
    const range = IDBKeyRange.bound([owner, first], [owner, last]);
    // Receipt views are keyed by id: their keys come from the bySeq index in one request, then
    // plain key deletes (no cursor); chain entries, archived slots go by key range.
    const receipts = tx.objectStore('receipts');
    const dropViews = async () => {
      const ids = await receipts.index('bySeq').getAllKeys(range);
      await Promise.all(ids.map((id) => receipts.delete(id)));
    };
    const holds = tx.objectStore('holds');
    const dropHolds = async () => {
      const all = await holds.index('byLedger').getAll(owner);
      await Promise.all(all.filter((h) => !h.open && h.seq <= last).map((h) => holds.delete(h.id)));
    };
    // Chart slots go once they are both compacted and out of the popup's 7-day chart.
    const slotEnd = Math.floor(Math.min(cutoff, opts.now - CHART_KEEP_MS) / SLOT_MS) - 1;
    const oldSlots = IDBKeyRange.bound([owner, -Infinity], [owner, slotEnd]);
    await Promise.all([
      tx.objectStore('archive').put(segment),
      tx.objectStore('entries').delete(range),
      dropViews(),
      dropHolds(),
      tx.objectStore('slots').delete(oldSlots),
      tx.objectStore('checkpoints').put(next),
      tx.done,
    ]);
    checkpoint = next;
    report.checkpoint = next;
    report.records += rows.length;
    report.receipts += receiptsIn;
    report.segments++;
  }
  return report;
}
