/** Shared set-up for the ledger tests: an isolated fake IndexedDB per test, seeded keys, a fixed clock. */
// idb's wrap() tests `instanceof IDBIndex` etc., so the fake's classes must be globals; the factory
// itself is still injected per test, so no test sees another's databases.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  Identity,
  Ledger,
  ReceiptIssuer,
  entryDigest,
  loadOrCreateIdentity,
  openLedgerDb,
  signEntry,
  type ChainHead,
  type LedgerEntry,
  type ProofVerifier,
  type Receipt,
  type ReceiptState,
  type Signer,
  type Transition,
  type UnsignedReceipt,
  type UnsignedTransition,
} from '../../../src/ledger/index.ts';
import { prng } from '../_prng.ts';
import { findProof, testVerify } from './_pow.ts';
import { proofJobId } from '../../../src/ledger/index.ts';

/** 2025-01-15 12:00:00 UTC. */
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export function newFactory(): IDBFactory {
  return new IDBFactory();
}

export function seed32(seed: number): Uint8Array {
  const rand = prng(seed);
  return Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
}

export function identity(seed: number): Identity {
  return Identity.generate(T0, seed32(seed));
}

export function counterIds(prefix: string): () => string {
  let i = 0;
  return () => `${prefix}-${++i}`;
}

export interface Clock {
  now: () => number;
  set(ms: number): void;
}

export function clock(start = T0): Clock {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

export interface WalletOptions {
  seed?: number;
  clock?: Clock;
  verifyProof?: ProofVerifier;
  /** Prefix of record ids, distinct per session so a reopened wallet does not reuse ids. */
  ids?: string;
  maxRefused?: number;
}

/** What the background service worker does at start-up: open, load the key, build the ledger. */
export async function openWallet(factory: IDBFactory, opts: WalletOptions = {}) {
  const c = opts.clock ?? clock();
  const db = await openLedgerDb({ indexedDB: factory, name: 'test-wallet' });
  const id = await loadOrCreateIdentity(db, { seed: () => seed32(opts.seed ?? 1), now: c.now });
  const ledger = new Ledger(db, {
    owner: id.nodeId,
    now: c.now,
    // Credits need a backing: by default proofs are checked with the honest test checker.
    verifyProof: 'verifyProof' in opts ? opts.verifyProof : testVerify,
    maxRefused: opts.maxRefused,
  });
  const issuer = new ReceiptIssuer(ledger, id, { now: c.now, newId: counterIds(opts.ids ?? 'r') });
  return { db, identity: id, ledger, issuer, clock: c };
}

let crafted = 0;

/** A receipt at `head`, signed by `signer` (its issuer), with overrides. */
export function receiptAt(head: ChainHead, signer: Signer, over: Partial<UnsignedReceipt> = {}): Receipt {
  const n = ++crafted;
  // Credits need a backing (a proof or a payment); an easy honest proof covers test amounts.
  const proof = over.credits === 0 || over.payment !== undefined ? undefined : findProof(10_000 + n);
  const unsigned: UnsignedReceipt = {
    v: 1,
    kind: 'receipt',
    id: `crafted-${n}`,
    ledger: head.ledger,
    seq: head.seq + 1,
    prev: head.hash,
    issuer: signer.nodeId,
    issuedAt: T0,
    jobId: proof === undefined ? `job-crafted-${n}` : proofJobId(proof),
    capsule: 'blake3',
    method: 'hash',
    credits: 100,
    cpuMs: 1000,
    bytesMoved: 0,
    state: 'estimated',
    reason: '',
    ...(proof === undefined ? {} : { proof }),
    ...over,
  };
  return signEntry(unsigned, signer);
}

export function transitionAt(
  head: ChainHead,
  signer: Signer,
  receiptId: string,
  from: ReceiptState,
  to: ReceiptState,
  over: Partial<UnsignedTransition> = {},
): Transition {
  const unsigned: UnsignedTransition = {
    v: 1,
    kind: 'transition',
    id: `crafted-t-${++crafted}`,
    ledger: head.ledger,
    seq: head.seq + 1,
    prev: head.hash,
    issuer: signer.nodeId,
    issuedAt: T0,
    receiptId,
    from,
    to,
    credits: 100,
    reason: to === 'rejected' ? 'result rejected: mismatch' : '',
    ...over,
  };
  return signEntry(unsigned, signer);
}

/** The same record with a signature by `attacker` over its exact bytes: what a forger can make. */
export function forge<T extends LedgerEntry>(entry: T, attacker: Signer): T {
  return { ...entry, sig: bytesToHex(attacker.sign(entryDigest(entry))) };
}

let backing = 0;

/** `{proof, jobId}` of a fresh honest test proof, to spread into `issue()`: credits need a backing. */
export function backed(): { proof: ReturnType<typeof findProof>; jobId: string } {
  const proof = findProof(20_000 + ++backing);
  return { proof, jobId: proofJobId(proof) };
}
