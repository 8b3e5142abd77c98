/**
 * Paid work between peers, transport-agnostic (the mesh carries the bundles later):
 *
 * Requester (payer), in its own chain, all signed by its key:
 *   hold(jobId, budget)            escrow: reserves the budget from the available balance
 *   pay(holdId, payee, costUsed)   one per verified result, costUsed ≤ what is left of the budget;
 *                                  returns a PaymentBundle to send to the contributor
 *   release(holdId)                the unspent rest returns
 * Contributor (payee):
 *   receive(bundle)                audits the payer's chain (verifyHistory's auditPayment: the pay
 *                                  is in it, the chain covers it, recursively), keeps the records
 *                                  it saw (a later conflicting record at the same seq is a fork),
 *                                  and settles a receipt backed by the payment.
 *   reportFork(proof)              a fork proof from anyone: checked, stored, payer refused for good.
 * Every refusal is stored with its code (the popup shows it) and thrown as ReceiptRejectedError.
 */
import type { Ledger } from './ledger.ts';
import type { KeptPledge, ReceiptView } from './ledger-db.ts';
import { forkBetween, verifyForkProof, type ForkProof } from './fork.ts';
import {
  entryHash,
  parseEntry,
  paymentJobId,
  pledgeJobId,
  type LedgerEntry,
  type Pay,
  type Pledge,
} from './receipt.ts';
import type { ReceiptIssuer } from './receipt-issuer.ts';
import { ReceiptRejectedError } from './receipt-rejected-error.ts';
import type { HoldView } from './totals.ts';
import { auditPayment, type AuditState } from './verify-history.ts';

export interface PaymentBundle {
  pay: Pay;
  /** Chains by node id: the payer's up to (at least) the pay, and those of the payer's own payers. */
  chains: Record<string, LedgerEntry[]>;
}

/** A pledge and the chains that cover it, sent with the assignment (the contributor keeps it). */
export interface PledgeBundle {
  pledge: Pledge;
  chains: Record<string, LedgerEntry[]>;
}

export interface BundleOptions {
  /**
   * The payee's audited head of this wallet's chain (`Payments.auditedHead` on the payee's side,
   * told in its claim or ack): only records after it are sent. Default 0: the whole chain.
   * A head with its hash (a market claim's) is checked against this wallet's own record at that
   * seq first; one that is not on this chain (a future seq, another hash, another payer's record)
   * sends the whole chain instead, and `onUnknownHead` says why.
   */
  since?: number | { seq: number; hash: string };
  onUnknownHead?: (why: string) => void;
}

/** The reason a redeemed pledge's receipt carries: the popup shows it on the job. */
export const REQUESTER_LEFT_REASON = 'requester left — paid from escrow';
/** The reason of the zero receipt a voided pledge leaves. */
export const PLEDGE_VOIDED_REASON = 'the requester did not accept this result: its escrow pledge was voided';

export class Payments {
  readonly #ledger: Ledger;
  readonly #issuer: ReceiptIssuer;

  constructor(ledger: Ledger, issuer: ReceiptIssuer) {
    if (ledger.owner !== issuer.nodeId) throw new RangeError('Payments: the issuer must own the ledger');
    this.#ledger = ledger;
    this.#issuer = issuer;
  }

  hold(jobId: string, budget: number): Promise<HoldView> {
    return this.#issuer.hold(jobId, budget);
  }

  /** Pays a verified result from a hold and returns what the payee needs to check it. */
  async pay(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; pledge?: string },
    opts: BundleOptions = {},
  ): Promise<PaymentBundle> {
    const pay = await this.#issuer.pay(holdId, payee, amount, what);
    return { pay, chains: await this.#chains(opts) };
  }

  /**
   * The chains a bundle carries: this wallet's own from `since` + 1 on (the payee's audited head;
   * 0 or absent: the whole chain) and, whole, those of the payers it was paid by, recursively.
   */
  async #chains(opts: BundleOptions): Promise<Record<string, LedgerEntry[]>> {
    const head = typeof opts.since === 'object' ? opts.since : undefined;
    const since = head?.seq ?? opts.since ?? 0;
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)
      throw new RangeError(`bundle: since must be a seq (a whole number ≥ 0), got ${String(since)}`);
    let own = await this.#ledger.historySince(head === undefined || since === 0 ? since : since - 1);
    if (head !== undefined && since > 0) {
      const at = own[0];
      if (at?.seq === since && entryHash(at) === head.hash) own = own.slice(1);
      else {
        opts.onUnknownHead?.(
          at?.seq !== since
            ? `the payee's audited head seq ${since} is past this chain's head: sending the whole chain`
            : `the payee's audited head at seq ${since} is not this chain's record there: sending the whole chain`,
        );
        own = await this.#ledger.historySince(0);
      }
    }
    // The payers of records before `since` were audited by the payee with those records.
    return this.chainsFor(this.#ledger.owner, own);
  }

  /**
   * The seq up to which this wallet audited `payer`'s chain (0: never): what the payer may send
   * its next bundle from (`pay(…, {since})`). A payer that sends less gets a refusal that says
   * which seq is missing.
   */
  async auditedHead(payer: string): Promise<number> {
    return (await this.#ledger.db.get('audits', payer))?.seq ?? 0;
  }

  /** The audited head of `payer`'s chain with its record's hash (what a market claim carries); undefined: never audited. */
  async auditedChainHead(payer: string): Promise<{ seq: number; hash: string } | undefined> {
    const row = await this.#ledger.db.get('audits', payer);
    return row === undefined || row.seq < 1
      ? undefined
      : { seq: row.state.head.seq, hash: row.state.head.hash };
  }

  /**
   * Escrow for one assigned run: pledges `amount` of the hold to `payee`, redeemable with its
   * result from `redeemAfter` on if no pay (`pay(…, {pledge: hash})`, amount 0 voids) closes it.
   */
  async pledge(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; redeemAfter: number },
    opts: BundleOptions = {},
  ): Promise<PledgeBundle> {
    const pledge = await this.#issuer.pledge(holdId, payee, amount, what);
    return { pledge, chains: await this.#chains(opts) };
  }

  /**
   * Audits a pledge received with an assignment (to this wallet, signed, covered by the payer's
   * chain, no known fork) and remembers it; returns it. Throws ReceiptRejectedError otherwise.
   */
  async acceptPledge(input: unknown): Promise<Pledge> {
    const bundle = await this.#parsePledgeBundle(input);
    await this.#auditPledge(bundle);
    const { pledge } = bundle;
    const hash = entryHash(pledge);
    // Kept in the database, not in a document's memory: redeemDue works after any restart.
    if ((await this.#ledger.db.get('pledges', hash)) === undefined)
      await this.#ledger.db.put('pledges', {
        hash,
        payer: pledge.ledger,
        jobId: pledge.jobId,
        pledge,
        redeemAfter: pledge.redeemAfter,
        state: 'open',
      });
    return pledge;
  }

  /** Records the hash of the result returned for a kept pledge's job (what a redemption names). */
  async pledgeResult(
    payer: string,
    jobId: string,
    result: string,
    work: { cpuMs?: number } = {},
  ): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(result))
      throw new RangeError(
        'pledgeResult: result must be the BLAKE3 hash of the output, 64 lowercase hex digits',
      );
    const kept = await this.#ledger.db.getAllFromIndex('pledges', 'byJob', [payer, jobId]);
    for (const k of kept)
      if (k.state === 'open') await this.#ledger.db.put('pledges', { ...k, result, cpuMs: work.cpuMs ?? 0 });
    return kept.length > 0;
  }

  /** The pledges this wallet keeps, in any state (tests, diagnostics). */
  keptPledges(): Promise<KeptPledge[]> {
    return this.#ledger.db.getAll('pledges');
  }

  /**
   * Redeems every kept pledge that is due (redeemAfter passed, a result recorded, no pay named
   * it). A refusal (the payer closed it, or it was booked already) is kept with its reason and
   * not retried. Returns what was redeemed.
   */
  async redeemDue(now: number = this.#ledger.now()): Promise<KeptPledge[]> {
    const all = await this.#ledger.db.getAll('pledges');
    const done: KeptPledge[] = [];
    for (const k of all) {
      if (k.state !== 'open' || k.result === undefined || k.redeemAfter > now) continue;
      try {
        const view = await this.redeem({ pledge: k.pledge, chains: {} }, k.result, { cpuMs: k.cpuMs ?? 0 });
        done.push({ ...k, state: 'redeemed', credits: view.credits });
      } catch (err) {
        if (!(err instanceof ReceiptRejectedError)) throw err;
        await this.#ledger.db.put('pledges', {
          ...k,
          state: 'refused',
          reason: `${err.reason}: ${err.detail}`,
        });
      }
    }
    return done;
  }

  async #closeKept(hash: string, state: 'paid' | 'redeemed', credits: number): Promise<void> {
    const k = await this.#ledger.db.get('pledges', hash);
    if (k !== undefined && k.state === 'open') await this.#ledger.db.put('pledges', { ...k, state, credits });
  }

  /**
   * Redeems a pledge whose payer left: from its redeemAfter on, with the hash of the result this
   * wallet returned, books a settled receipt of the pledged amount with the reason
   * REQUESTER_LEFT_REASON. Refused when the payer's chain known here closed the pledge, when it is
   * too early, or when it was already booked (paid by the payer, or redeemed before).
   */
  async redeem(
    input: unknown,
    result: string,
    work: { cpuMs?: number; bytesMoved?: number } = {},
  ): Promise<ReceiptView> {
    if (!/^[0-9a-f]{64}$/.test(result))
      throw new RangeError('redeem: result must be the BLAKE3 hash of the output, 64 lowercase hex digits');
    const bundle = await this.#parsePledgeBundle(input);
    const { pledge } = bundle;
    const hash = entryHash(pledge);
    const kept = await this.#ledger.db.get('pledges', hash);
    if (kept?.state === 'redeemed') {
      // Redeemed already (by redeemDue, or the other context): the same answer, not a second booking.
      const booked = await this.#ledger.db.getFromIndex('receipts', 'byJob', [
        this.#ledger.owner,
        pledgeJobId(hash),
      ]);
      if (booked !== undefined) return booked;
    }
    // The payer's chain as known here may have grown since the assignment (a later pay closing it).
    const stored = await this.#ledger.peerChain(pledge.ledger);
    const shown = bundle.chains[pledge.ledger] ?? [];
    if (stored.length > shown.length) bundle.chains[pledge.ledger] = stored;
    await this.#auditPledge(bundle);
    const receipt = await this.#issuer.issue({
      jobId: pledgeJobId(entryHash(pledge)),
      capsule: pledge.capsule,
      method: pledge.method,
      credits: pledge.amount,
      cpuMs: work.cpuMs ?? 0,
      bytesMoved: work.bytesMoved ?? 0,
      state: 'estimated',
      reason: REQUESTER_LEFT_REASON,
      pledge,
      result,
    });
    const opts = { credits: pledge.amount, reason: REQUESTER_LEFT_REASON };
    await this.#issuer.transition(receipt.id, 'verified', opts);
    const settled = await this.#issuer.transition(receipt.id, 'settled', opts);
    await this.#closeKept(hash, 'redeemed', settled.credits);
    return settled;
  }

  async #auditPledge(bundle: PledgeBundle): Promise<void> {
    const { pledge } = bundle;
    const refuse = async (code: ReceiptRejectedError['reason'], detail: string): Promise<never> => {
      const receipt = {
        id: pledge.id,
        kind: 'receipt',
        jobId: pledgeJobId(entryHash(pledge)),
        capsule: pledge.capsule,
        credits: pledge.amount,
      };
      throw await this.#ledger.refuse(receipt, new ReceiptRejectedError(code, detail, pledge.id));
    };
    if (pledge.payee !== this.#ledger.owner)
      return refuse('unbacked', `the pledge is to ${pledge.payee.slice(0, 12)}…, not to this wallet`);
    if (await this.isBanned(pledge.ledger))
      return refuse('double-spend', `payer ${pledge.ledger.slice(0, 12)}… signed a fork earlier; refused`);
    await this.#auditChains(pledge, bundle.chains, refuse);
  }

  release(holdId: string, reason = 'job finished: unspent budget returned'): Promise<HoldView> {
    return this.#issuer.release(holdId, reason);
  }

  /** `own` plus the stored chains of every payer it received from, recursively. */
  async chainsFor(owner: string, own: LedgerEntry[]): Promise<Record<string, LedgerEntry[]>> {
    const chains: Record<string, LedgerEntry[]> = { [owner]: own };
    const todo = [own];
    while (todo.length > 0) {
      for (const e of todo.pop()!) {
        const payer = e.kind === 'receipt' ? (e.payment ?? e.pledge)?.ledger : undefined;
        if (payer === undefined || chains[payer] !== undefined) continue;
        const theirs = await this.#ledger.peerChain(payer);
        chains[payer] = theirs;
        todo.push(theirs);
      }
    }
    return chains;
  }

  /** Checks a payment bundle and settles a receipt backed by it. */
  async receive(input: unknown, work: { cpuMs?: number; bytesMoved?: number } = {}): Promise<ReceiptView> {
    const parsed = await this.#parseBundle(input);
    if (parsed.pay.kind !== 'pay') throw new Error('unreachable: #parseBundle checked the kind');
    const bundle: PaymentBundle = { pay: parsed.pay, chains: parsed.chains };
    const { pay } = bundle;
    const refuse = async (code: ReceiptRejectedError['reason'], detail: string): Promise<never> => {
      const receipt = {
        id: pay.id,
        kind: 'receipt',
        jobId: paymentJobId(pay),
        capsule: pay.capsule,
        credits: pay.amount,
      };
      throw await this.#ledger.refuse(receipt, new ReceiptRejectedError(code, detail, pay.id));
    };
    if (pay.payee !== this.#ledger.owner)
      return refuse('unbacked', `the payment is to ${pay.payee.slice(0, 12)}…, not to this wallet`);
    if (await this.isBanned(pay.ledger))
      return refuse(
        'double-spend',
        `payer ${pay.ledger.slice(0, 12)}… signed a fork earlier; its payments are refused`,
      );
    await this.#auditChains(pay, bundle.chains, refuse);
    // A pay naming a kept pledge closes it: it is never redeemed as well.
    if (pay.pledge !== undefined) await this.#closeKept(pay.pledge, 'paid', pay.amount);
    if (pay.amount === 0) {
      // A void: the pledge is closed without pay; this zero receipt also keeps it from being redeemed.
      return this.#issuer.issue({
        jobId: paymentJobId(pay),
        capsule: pay.capsule,
        method: pay.method,
        credits: 0,
        cpuMs: work.cpuMs ?? 0,
        bytesMoved: work.bytesMoved ?? 0,
        state: 'settled',
        reason: PLEDGE_VOIDED_REASON,
        payment: pay,
      });
    }
    const receipt = await this.#issuer.issue({
      jobId: paymentJobId(pay),
      capsule: pay.capsule,
      method: pay.method,
      credits: pay.amount,
      cpuMs: work.cpuMs ?? 0,
      bytesMoved: work.bytesMoved ?? 0,
      state: 'estimated',
      payment: pay,
    });
    await this.#issuer.transition(receipt.id, 'verified', { credits: pay.amount });
    return this.#issuer.transition(receipt.id, 'settled', { credits: pay.amount });
  }

  /** Accepts a fork proof from anyone (gossip): the identity's payments are refused from now on. */
  async reportFork(input: unknown): Promise<ForkProof> {
    const check = verifyForkProof(input);
    if (!check.ok) throw new ReceiptRejectedError('malformed', check.reason);
    await this.#storeFork(check.proof);
    return check.proof;
  }

  async isBanned(id: string): Promise<boolean> {
    return (await this.#ledger.db.get('forks', id)) !== undefined;
  }

  async forkProof(id: string): Promise<ForkProof | undefined> {
    const f = await this.#ledger.db.get('forks', id);
    return f === undefined ? undefined : { ledger: f.ledger, seq: f.a.seq, a: f.a, b: f.b };
  }

  async #parseBundle(
    input: unknown,
    kind: 'pay' | 'pledge' = 'pay',
  ): Promise<{ pay: Pay | Pledge; chains: Record<string, LedgerEntry[]> }> {
    const bad = async (detail: string): Promise<never> => {
      throw await this.#ledger.refuse(input, new ReceiptRejectedError('malformed', detail));
    };
    if (typeof input !== 'object' || input === null) return bad('payment bundle: expected {pay, chains}');
    const b = input as Record<string, unknown>;
    let pay: LedgerEntry;
    try {
      pay = parseEntry(b['pay']);
    } catch (err) {
      return bad(
        `payment bundle: ${kind} is malformed (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (pay.kind !== kind) return bad(`payment bundle: ${kind} is a ${pay.kind} record, not a ${kind}`);
    const rawChains = b['chains'];
    if (typeof rawChains !== 'object' || rawChains === null || Array.isArray(rawChains))
      return bad('payment bundle: chains must be an object {nodeId: records[]}');
    const chains: Record<string, LedgerEntry[]> = {};
    for (const [id, records] of Object.entries(rawChains as Record<string, unknown>)) {
      if (!Array.isArray(records)) return bad(`payment bundle: chains[${id.slice(0, 12)}…] must be an array`);
      try {
        chains[id] = records.map((r) => parseEntry(r));
      } catch (err) {
        return bad(
          `payment bundle: a record of ${id.slice(0, 12)}… is malformed (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    }
    return { pay, chains };
  }

  async #parsePledgeBundle(input: unknown): Promise<PledgeBundle> {
    const b = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : undefined;
    if (b === undefined || b['pledge'] === undefined) {
      throw await this.#ledger.refuse(
        input,
        new ReceiptRejectedError('malformed', 'pledge bundle: expected {pledge, chains}'),
      );
    }
    const parsed = await this.#parseBundle({ pay: b['pledge'], chains: b['chains'] }, 'pledge');
    if (parsed.pay.kind !== 'pledge') throw new Error('unreachable: #parseBundle checked the kind');
    return { pledge: parsed.pay, chains: parsed.chains };
  }

  /**
   * What a pay and a pledge both go through: no fork against records seen before, the payer's chain
   * in the bundle covers the record (auditPayment), and then the chains are remembered. `refuse`
   * throws, booking the refusal with the caller's receipt.
   */
  async #auditChains(
    rec: Pay | Pledge,
    chains: Record<string, LedgerEntry[]>,
    refuse: (code: ReceiptRejectedError['reason'], detail: string) => Promise<never>,
  ): Promise<void> {
    const audited = new Map<string, AuditState>();
    await Promise.all(
      Object.keys(chains).map(async (id) => {
        const row = await this.#ledger.db.get('audits', id);
        if (row !== undefined) audited.set(id, row.state);
      }),
    );
    const known = await this.#knownFork({ pay: rec, chains }, audited);
    if (known !== null) {
      await this.#storeFork(known);
      return refuse(
        'double-spend',
        `payer ${known.ledger.slice(0, 12)}… signed two records at seq ${known.seq} (a fork)`,
      );
    }
    const passed = new Map<string, AuditState>();
    const audit = auditPayment(rec, {
      chains,
      verifyProof: this.#ledger.verifyProof,
      banned: () => false,
      audited: (id) => audited.get(id),
      onAudited: (st) => {
        if ((passed.get(st.head.ledger)?.head.seq ?? -1) < st.head.seq) passed.set(st.head.ledger, st);
      },
    });
    if (audit.fork !== undefined) await this.#storeFork(audit.fork);
    if (audit.check === undefined) return refuse('uncovered', 'the bundle holds no chain for the payer');
    if (!audit.check.ok) {
      const head = audited.get(rec.ledger)?.head.seq ?? 0;
      const hint =
        audit.check.code === 'uncovered'
          ? ` (this wallet audited the payer's chain up to seq ${head}: send the records after it)`
          : '';
      return refuse(audit.check.code, audit.check.detail + hint);
    }
    await this.#remember(chains, rec, audited, passed);
  }

  /** A record in the bundle that conflicts with one seen before at the same (ledger, seq). */
  async #knownFork(
    bundle: { pay: Pay | Pledge; chains: Record<string, LedgerEntry[]> },
    audited: ReadonlyMap<string, AuditState>,
  ): Promise<ForkProof | null> {
    // Below an audited head only the head's own record is compared: the chain shown links to it
    // or is replayed whole; a second record at any later seq is compared with what was stored.
    const fresh = (e: LedgerEntry) => e.seq >= (audited.get(e.ledger)?.head.seq ?? 0);
    const all = [bundle.pay, ...Object.values(bundle.chains).flat()].filter(fresh);
    for (const e of all) {
      const seen = await this.#ledger.db.get('peers', [e.ledger, e.seq]);
      if (seen !== undefined && seen.hash !== entryHash(e)) {
        const fork = forkBetween(seen.entry, e);
        if (fork !== null) return fork;
      }
    }
    return null;
  }

  async #remember(
    chains: Record<string, LedgerEntry[]>,
    pay: Pay | Pledge,
    audited: ReadonlyMap<string, AuditState>,
    passed: ReadonlyMap<string, AuditState>,
  ): Promise<void> {
    const tx = this.#ledger.db.transaction(['peers', 'payments', 'audits'], 'readwrite');
    const now = this.#ledger.now();
    const writes: Promise<unknown>[] = [];
    for (const [id, st] of passed) {
      if (id === this.#ledger.owner || st.head.seq <= (audited.get(id)?.head.seq ?? 0)) continue;
      writes.push(tx.objectStore('audits').put({ ledger: id, seq: st.head.seq, state: st, auditedAt: now }));
    }
    for (const [id, records] of Object.entries(chains)) {
      if (id === this.#ledger.owner) continue;
      const known = audited.get(id)?.head.seq ?? 0;
      for (const e of records) {
        if (e.ledger !== id || e.seq <= known) continue;
        writes.push(
          tx
            .objectStore('peers')
            .put({ ledger: e.ledger, seq: e.seq, id: e.id, hash: entryHash(e), entry: e, acceptedAt: now }),
        );
      }
    }
    writes.push(
      tx
        .objectStore('payments')
        .put({ payHash: entryHash(pay), payer: pay.ledger, amount: pay.amount, checkedAt: now }),
    );
    await Promise.all([...writes, tx.done]);
  }

  async #storeFork(fork: ForkProof): Promise<void> {
    await this.#ledger.db.put('forks', {
      ledger: fork.ledger,
      a: fork.a,
      b: fork.b,
      foundAt: this.#ledger.now(),
    });
  }
}
