/**
 * A long chain for tests and benches of ledgers at scale: `count` settled zero-credit receipts
 * ("no work available"), signed by `signer` in its own chain from seq 1, ready for `Ledger.restore`
 * (one audited transaction; appending them one by one would take minutes at 10^4 records).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  entryHash,
  RECORD_VERSION,
  signEntry,
  ZERO_HASH,
  type LedgerEntry,
  type Signer,
} from '../../../src/ledger/index.ts';

export function zeroReceiptChain(
  signer: Signer,
  count: number,
  /** When record `seq` was issued (ms). */
  issuedAt: (seq: number) => number,
  /** Random numbers in [0, 1) for the record ids (seeded in tests). */
  random: () => number = Math.random,
): LedgerEntry[] {
  const own = signer.nodeId;
  const chain: LedgerEntry[] = [];
  let prev = ZERO_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const id = bytesToHex(Uint8Array.from({ length: 16 }, () => Math.floor(random() * 256)));
    const e = signEntry(
      {
        v: RECORD_VERSION,
        kind: 'receipt',
        id,
        ledger: own,
        seq,
        prev,
        issuer: own,
        issuedAt: issuedAt(seq),
        jobId: `zero:${id}`,
        capsule: 'none',
        method: 'none',
        credits: 0,
        cpuMs: 0,
        bytesMoved: 0,
        state: 'settled',
        reason: 'no work available',
      },
      signer,
    );
    chain.push(e);
    prev = entryHash(e);
  }
  return chain;
}
