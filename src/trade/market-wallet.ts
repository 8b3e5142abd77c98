/**
 * A wallet for a market host (the CLI's requester and contributor, the tests): the ledger with
 * its issuer, the bound proof-of-work minter and the escrow/payments, over any IndexedDB factory.
 * The same wiring as the extension's background wallet (src/background/wallet.ts), which this layer
 * cannot import. `mint` searches bound work items on this thread (the pow capsule's CPU search), in
 * proofs of MINT_PROOF_HASHES expected hashes, so a requester with no earnings can get credits.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { parseSearchParams } from '../capsules/pow/job.ts';
import {
  boundHeader,
  epochOf,
  proofCredits,
  proofFromSearch,
  verifyBoundProof,
} from '../capsules/pow/proof.ts';
import { searchCpu } from '../capsules/pow/search-cpu.ts';
import { targetToCompact } from '../capsules/pow/target.ts';
import {
  Identity,
  Ledger,
  MICRO_CREDITS_PER_CREDIT,
  Minter,
  Payments,
  ReceiptIssuer,
  loadOrCreateIdentity,
  openLedgerDb,
  type LedgerDb,
  type LedgerEntry,
  type PaymentBundle,
} from '../ledger/index.ts';
import type { RequesterPayments } from './requester.ts';

/** 2^20 expected hashes a proof: 128 credits, about a second of one core in JS. */
export const MINT_PROOF_HASHES = 2n ** 20n;
export const MINT_BITS = targetToCompact(2n ** 256n / MINT_PROOF_HASHES - 1n);
export const MINT_PROOF_CREDITS = proofCredits(MINT_BITS);

export interface WalletBalance {
  /** Micro-credits: settled received − paid. */
  balance: number;
  held: number;
  available: number;
  powCredits: number;
  peerCredits: number;
  spent: number;
}

export interface WalletSnapshot {
  identity: Identity;
  history: LedgerEntry[];
  peers: Record<string, LedgerEntry[]>;
}

export class MarketWallet {
  private constructor(
    readonly db: LedgerDb,
    readonly identity: Identity,
    readonly ledger: Ledger,
    readonly issuer: ReceiptIssuer,
    readonly payments: Payments,
    readonly minter: Minter,
  ) {}

  static async open(
    indexedDB: IDBFactory,
    opts: { name?: string; now?: () => number; identity?: Identity } = {},
  ): Promise<MarketWallet> {
    const now = opts.now ?? Date.now;
    const db = await openLedgerDb({ indexedDB, ...(opts.name ? { name: opts.name } : {}) });
    const identity = opts.identity ?? (await loadOrCreateIdentity(db, { now }));
    const ledger = new Ledger(db, { owner: identity.nodeId, verifyProof: verifyBoundProof, now });
    const issuer = new ReceiptIssuer(ledger, identity, { now });
    return new MarketWallet(
      db,
      identity,
      ledger,
      issuer,
      new Payments(ledger, issuer),
      new Minter(issuer, { verify: verifyBoundProof, estimate: (p) => proofCredits(p.bits) }),
    );
  }

  get nodeId(): string {
    return this.identity.nodeId;
  }

  async balance(): Promise<WalletBalance> {
    const t = await this.ledger.runningTotals();
    return {
      balance: t.balance,
      held: t.held,
      available: t.balance - t.held,
      powCredits: t.powCredits,
      peerCredits: t.peerCredits,
      spent: t.spent,
    };
  }

  /**
   * Mints at least `credits` whole credits of bound proof-of-work, one proof at a time;
   * `onProgress(mintedMicro, targetMicro)` after each. Returns the micro-credits minted.
   */
  async mint(
    credits: number,
    onProgress: (minted: number, target: number) => void = () => {},
    signal?: AbortSignal,
    /** Compact target of each proof; default MINT_BITS (tests pass an easier one). */
    bits: number = MINT_BITS,
  ): Promise<number> {
    if (!Number.isFinite(credits) || credits <= 0)
      throw new RangeError(`mint: credits must be a positive number, got ${credits}`);
    const target = Math.ceil(credits * MICRO_CREDITS_PER_CREDIT);
    let minted = 0;
    while (minted < target) {
      if (signal?.aborted) throw signal.reason ?? new Error('mint aborted');
      const header = boundHeader(this.nodeId, epochOf(this.ledger.now()), randomBytes(32), bits);
      const job = parseSearchParams({ header, nonceStart: 0, count: 0xffffffff, bits });
      const found = searchCpu(job);
      if (!found.found) continue;
      const p = proofFromSearch(job, found);
      const view = await this.minter.mint({ header: p.header, bits: p.bits, nonce: p.nonce, hash: p.hash });
      if (view.state !== 'settled') throw new Error(`mint: the proof was refused (${view.reason})`);
      minted += view.credits;
      onProgress(minted, target);
      // Let I/O (progress output, the mesh) run between proofs.
      await new Promise((r) => setImmediate(r));
    }
    return minted;
  }

  /** Audits and books a payment bundle from a requester; returns the micro-credits booked. */
  async receive(bundle: unknown, work: { cpuMs: number }): Promise<number> {
    const view = await this.payments.receive(bundle, work);
    return view.credits;
  }

  /** Audits an assignment's escrow pledge (contributor side); see MarketContributorOptions.acceptPledge. */
  async acceptPledge(bundle: unknown): Promise<{ redeemAfter: number; amount: number }> {
    const p = await this.payments.acceptPledge(bundle);
    return { redeemAfter: p.redeemAfter, amount: p.amount };
  }

  /** Redeems a pledge whose requester left; returns the micro-credits booked. */
  async redeem(bundle: unknown, result: string, work: { cpuMs: number }): Promise<number> {
    return (await this.payments.redeem(bundle, result, work)).credits;
  }

  /** This wallet's audited head of `payer`'s chain, for its market claims (MarketContributorOptions.auditedHead). */
  auditedHead(payer: string): Promise<{ seq: number; hash: string } | undefined> {
    return this.payments.auditedChainHead(payer);
  }

  requesterPayments(): RequesterPayments {
    return {
      hold: (jobId, budget) => this.payments.hold(jobId, budget),
      pay: (holdId, payee, amount, what, opts): Promise<PaymentBundle> =>
        this.payments.pay(holdId, payee, amount, what, opts),
      release: (holdId, reason) => this.payments.release(holdId, reason),
      pledge: (holdId, payee, amount, what, opts) => this.payments.pledge(holdId, payee, amount, what, opts),
    };
  }

  /** Everything needed to rebuild this wallet elsewhere (the CLI's snapshot file, a backup). */
  async snapshot(): Promise<WalletSnapshot> {
    const history = await this.ledger.history();
    const peers: Record<string, LedgerEntry[]> = {};
    for (const e of history) {
      const payer = e.kind === 'receipt' ? (e.payment ?? e.pledge)?.ledger : undefined;
      if (payer !== undefined && peers[payer] === undefined)
        peers[payer] = await this.ledger.peerChain(payer);
    }
    return { identity: this.identity, history, peers };
  }
}

export const shortId = (nodeId: string): string => `${nodeId.slice(0, 12)}…`;
export const credits = (micro: number): string => (micro / MICRO_CREDITS_PER_CREDIT).toFixed(2);
