/**
 * The signing side of the ledger: builds records at the chain head, signs them with the node key
 * and appends them. Calls are queued, because two records built from the same head would make the
 * second one a (correctly refused) broken chain.
 *
 * The head is read from the ledger for every record, never cached, so an issuer created after a
 * service-worker restart carries on the stored chain.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import type { Ledger } from './ledger.ts';
import type { ReceiptView } from './ledger-db.ts';
import {
  RECORD_VERSION,
  signEntry,
  type Pay,
  type Pledge,
  type PowProofRecord,
  type ReceiptState,
  type Signer,
  type UnsignedEntry,
  type LedgerEntry,
} from './receipt.ts';
import type { HoldView } from './totals.ts';

export interface NewReceipt {
  jobId: string;
  capsule: string;
  method: string;
  /** Micro-credits. */
  credits: number;
  cpuMs?: number;
  bytesMoved?: number;
  /** Default 'estimated'; 'settled' only for zero credits; 'rejected' needs a reason. */
  state?: 'estimated' | 'settled' | 'rejected';
  /** Required (non-blank) for zero credits or a rejection. */
  reason?: string;
  proof?: PowProofRecord;
  payment?: Pay;
  /** A redeemed pledge (with `result`). */
  pledge?: Pledge;
  result?: string;
  /** Default: 128 random bits, hex. */
  id?: string;
}

export interface ReceiptIssuerOptions {
  now?: () => number;
  /** Record ids; default 128 random bits in hex. Tests pass a seeded one. */
  newId?: () => string;
}

export interface TransitionOptions {
  /** Default: the receipt's current credits. */
  credits?: number;
  /** Required for → rejected or zero credits. */
  reason?: string;
}

type ChainBase = Pick<UnsignedEntry, 'v' | 'id' | 'ledger' | 'seq' | 'prev' | 'issuer' | 'issuedAt'>;

export class ReceiptIssuer {
  readonly #ledger: Ledger;
  readonly #signer: Signer;
  readonly #now: () => number;
  readonly #newId: () => string;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(ledger: Ledger, signer: Signer, opts: ReceiptIssuerOptions = {}) {
    this.#ledger = ledger;
    this.#signer = signer;
    this.#now = opts.now ?? Date.now;
    this.#newId = opts.newId ?? (() => bytesToHex(randomBytes(16)));
  }

  get nodeId(): string {
    return this.#signer.nodeId;
  }

  now(): number {
    return this.#now();
  }

  /** Signs and appends a receipt; throws `ReceiptRejectedError` if the ledger refuses it (e.g. a replayed jobId). */
  issue(r: NewReceipt): Promise<ReceiptView> {
    return this.#serial(async () => {
      const head = await this.#ledger.head();
      const receipt = signEntry(
        {
          v: RECORD_VERSION,
          kind: 'receipt',
          id: r.id ?? this.#newId(),
          ledger: this.#ledger.owner,
          seq: head.seq + 1,
          prev: head.hash,
          issuer: this.#signer.nodeId,
          issuedAt: this.#now(),
          jobId: r.jobId,
          capsule: r.capsule,
          method: r.method,
          credits: r.credits,
          cpuMs: r.cpuMs ?? 0,
          bytesMoved: r.bytesMoved ?? 0,
          state: r.state ?? 'estimated',
          reason: r.reason ?? '',
          proof: r.proof,
          payment: r.payment,
          ...(r.pledge !== undefined ? { pledge: r.pledge } : {}),
          ...(r.result !== undefined ? { result: r.result } : {}),
        },
        this.#signer,
      );
      return this.#ledger.append(receipt);
    });
  }

  /** Moves a receipt to `to` with a signed transition; throws `ReceiptRejectedError` if not allowed. */
  transition(receiptId: string, to: ReceiptState, opts: TransitionOptions = {}): Promise<ReceiptView> {
    return this.#serial(async () => {
      const current = await this.#ledger.receipt(receiptId);
      if (current === undefined) throw new RangeError(`transition: no receipt ${receiptId} in this ledger`);
      const head = await this.#ledger.head();
      const transition = signEntry(
        {
          v: RECORD_VERSION,
          kind: 'transition',
          id: this.#newId(),
          ledger: this.#ledger.owner,
          seq: head.seq + 1,
          prev: head.hash,
          issuer: this.#signer.nodeId,
          issuedAt: this.#now(),
          receiptId,
          from: current.state,
          to,
          credits: opts.credits ?? current.credits,
          reason: opts.reason ?? '',
        },
        this.#signer,
      );
      return this.#ledger.append(transition);
    });
  }

  /**
   * Records a zero with its reason ("no work available", "on battery", "paused by you") as a
   * settled 0-credit receipt, so the popup's history explains the gaps in earnings.
   */
  recordZero(
    reason: string,
    what: { capsule?: string; method?: string; cpuMs?: number } = {},
  ): Promise<ReceiptView> {
    const id = this.#newId();
    return this.issue({
      id,
      jobId: `zero:${id}`,
      capsule: what.capsule ?? 'none',
      method: what.method ?? 'none',
      credits: 0,
      cpuMs: what.cpuMs ?? 0,
      state: 'settled',
      reason,
    });
  }

  /** Escrow: reserves `budget` micro-credits of the available balance for `jobId`. */
  hold(jobId: string, budget: number): Promise<HoldView> {
    return this.#spend((base) => ({ ...base, kind: 'hold', jobId, budget }));
  }

  /** Pays `amount` from hold `holdId` to `payee` for a verified result. Returns the signed pay record. */
  pay(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; pledge?: string },
  ): Promise<Pay> {
    const { pledge, ...job } = what;
    return this.#payOut({
      kind: 'pay',
      holdId,
      payee,
      amount,
      ...job,
      ...(pledge !== undefined ? { pledge } : {}),
    });
  }

  /**
   * Pledges `amount` from hold `holdId` to `payee` for one assigned run: redeemable by the payee
   * with its result from `redeemAfter` on, unless a pay naming the pledge closes it first.
   */
  pledge(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; redeemAfter: number },
  ): Promise<Pledge> {
    return this.#payOut({ kind: 'pledge', holdId, payee, amount, ...what });
  }

  /** Signs a pay or pledge at the head, appends it and returns the signed record. */
  #payOut<K extends 'pay' | 'pledge'>(
    body: Omit<Extract<UnsignedEntry, { kind: K }>, keyof ChainBase>,
  ): Promise<Extract<LedgerEntry, { kind: K }>> {
    return this.#serial(async () => {
      const head = await this.#ledger.head();
      const record = signEntry({ ...this.#base(head), ...body } as UnsignedEntry, this.#signer);
      await this.#ledger.appendAny(record);
      return record as Extract<LedgerEntry, { kind: K }>;
    });
  }

  /** Closes a hold; what was not paid returns to the available balance. */
  release(holdId: string, reason: string): Promise<HoldView> {
    return this.#spend((base) => ({ ...base, kind: 'release', holdId, reason }));
  }

  #base(head: { seq: number; hash: string }): ChainBase {
    return {
      v: RECORD_VERSION,
      id: this.#newId(),
      ledger: this.#ledger.owner,
      seq: head.seq + 1,
      prev: head.hash,
      issuer: this.#signer.nodeId,
      issuedAt: this.#now(),
    };
  }

  #spend(build: (base: ChainBase) => UnsignedEntry): Promise<HoldView> {
    return this.#serial(async () => {
      const head = await this.#ledger.head();
      const { hold } = await this.#ledger.appendAny(signEntry(build(this.#base(head)), this.#signer));
      if (hold === undefined) throw new Error('ledger: a hold record produced no hold');
      return hold;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
