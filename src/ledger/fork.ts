/**
 * A fork: two different records at the same place (ledger, seq) of one chain, both signed by that
 * chain's own key. An honest node never signs two records at one seq (the issuer queues records on
 * the head, and the ledger lets only one extend it), so a fork is proof that the key holder tried
 * to show different histories to different peers, typically to spend the same credits twice. The
 * proof is two signed records: any peer can check it with no other context (`verifyForkProof`), so
 * it can be gossiped, and every peer that accepts it refuses that identity's payments from then on.
 */
import { entryHash, parseEntry, verifyEntrySignature, type LedgerEntry } from './receipt.ts';

export interface ForkProof {
  /** The forking identity. */
  ledger: string;
  seq: number;
  a: LedgerEntry;
  b: LedgerEntry;
}

export type ForkCheck = { ok: true; proof: ForkProof } | { ok: false; reason: string };

/** Checks untrusted fork evidence: both records parse, are signed by the ledger's key, share (ledger, seq) and differ. */
export function verifyForkProof(input: unknown): ForkCheck {
  if (typeof input !== 'object' || input === null)
    return { ok: false, reason: 'fork proof: expected an object {ledger, seq, a, b}' };
  const f = input as Record<string, unknown>;
  let a: LedgerEntry;
  let b: LedgerEntry;
  try {
    a = parseEntry(f['a']);
    b = parseEntry(f['b']);
  } catch (err) {
    return {
      ok: false,
      reason: `fork proof: a record is malformed (${err instanceof Error ? err.message : String(err)})`,
    };
  }
  if (a.ledger !== b.ledger || a.seq !== b.seq)
    return { ok: false, reason: 'fork proof: the two records are not at the same place of one chain' };
  if (f['ledger'] !== a.ledger || f['seq'] !== a.seq)
    return { ok: false, reason: 'fork proof: ledger and seq must name the place of both records' };
  if (a.issuer !== a.ledger || b.issuer !== b.ledger)
    return { ok: false, reason: "fork proof: both records must be signed by the chain's own key" };
  if (!verifyEntrySignature(a) || !verifyEntrySignature(b))
    return { ok: false, reason: 'fork proof: a signature does not verify' };
  if (entryHash(a) === entryHash(b)) return { ok: false, reason: 'fork proof: the two records are the same' };
  return { ok: true, proof: { ledger: a.ledger, seq: a.seq, a, b } };
}

/** The fork proof if `a` and `b` conflict, else null. Both must already be signature-checked records. */
export function forkBetween(a: LedgerEntry, b: LedgerEntry): ForkProof | null {
  const check = verifyForkProof({ ledger: a.ledger, seq: a.seq, a, b });
  return check.ok ? check.proof : null;
}
