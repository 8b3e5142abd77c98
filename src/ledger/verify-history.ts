/**
 * An offline audit of a whole ledger: replays its records from the first, with the same rule the
 * live ledger applies (_judge.ts), and returns every receipt's final state or the first record
 * that fails. Give it `Ledger.history()` (or records received from another node) and the node id.
 */
import { judge, ownerOnly } from './_judge.ts';
import type { ChainHead, ReceiptView } from './ledger-db.ts';
import type { ProofVerifier } from './proof-verifier.ts';
import { entryHash, parseEntry, readableId, ZERO_HASH } from './receipt.ts';
import { ReceiptRejectedError, type RejectionCode } from './receipt-rejected-error.ts';

export interface VerifyHistoryOptions {
  /** The node id whose chain this is. */
  owner: string;
  /** Which issuers may sign; default: only the owner. */
  trusts?: (issuer: string) => boolean;
  /** Re-checks proof-of-work proofs on → verified, as the live ledger does when given one. */
  verifyProof?: ProofVerifier;
}

export type HistoryCheck =
  | { ok: true; head: ChainHead; receipts: ReceiptView[]; balance: number; pending: number }
  | { ok: false; index: number; id: string | undefined; code: RejectionCode; detail: string };

export function verifyHistory(records: readonly unknown[], opts: VerifyHistoryOptions): HistoryCheck {
  const trusts = opts.trusts ?? ownerOnly(opts.owner);
  const ids = new Set<string>();
  const jobs = new Set<string>();
  const receipts = new Map<string, ReceiptView>();
  let head: ChainHead = { ledger: opts.owner, seq: 0, hash: ZERO_HASH };

  for (const [index, record] of records.entries()) {
    let entry;
    try {
      entry = parseEntry(record);
    } catch (err) {
      if (!(err instanceof ReceiptRejectedError)) throw err;
      return { ok: false, index, id: readableId(record), code: err.reason, detail: err.detail };
    }
    // JSON-escaped pair: neither part can contain the separator ambiguously.
    const jobKey = entry.kind === 'receipt' ? JSON.stringify([entry.issuer, entry.jobId]) : '';
    const verdict = judge(entry, {
      owner: opts.owner,
      head,
      trusts,
      verifyProof: opts.verifyProof,
      idSeen: ids.has(entry.id),
      jobSeen: entry.kind === 'receipt' && jobs.has(jobKey),
      target: entry.kind === 'transition' ? receipts.get(entry.receiptId) : undefined,
    });
    if (!verdict.ok) return { ok: false, index, id: entry.id, code: verdict.code, detail: verdict.detail };
    ids.add(entry.id);
    if (entry.kind === 'receipt') jobs.add(jobKey);
    receipts.set(verdict.view.id, verdict.view);
    head = { ledger: opts.owner, seq: entry.seq, hash: entryHash(entry) };
  }

  const views = [...receipts.values()];
  const sum = (states: readonly string[]) =>
    views.filter((r) => states.includes(r.state)).reduce((s, r) => s + r.credits, 0);
  return {
    ok: true,
    head,
    receipts: views,
    balance: sum(['settled']),
    pending: sum(['estimated', 'verified']),
  };
}
