import {
  exportWallet,
  IdentityError,
  importWallet,
  Ledger,
  loadOrCreateIdentity,
  MICRO_CREDITS_PER_CREDIT,
  Minter,
  openLedgerDb,
  Payments,
  ReceiptIssuer,
  saveIdentity,
  type CompactReport,
  type Identity,
  type LedgerDb,
  type PowProofRecord,
  type ReceiptView,
  WALLET_BACKUP_WARNING,
} from '../ledger';
import type { Handlers } from '../messaging/messenger';
import { proofCredits, verifyBoundProof } from '../capsules/pow/proof';

const COMPACT_EVERY_MS = 3_600_000;

export type WalletKeys =
  'earnings/get' | 'identity/export' | 'identity/import' | 'ledger/history' | 'ledger/append';

/**
 * The background's wallet: this node's identity, its ledger and the minter for proofs of work.
 * Everything lives in IndexedDB (the service worker has it), so it survives browser restarts.
 */
export class Wallet {
  readonly ready: Promise<void>;
  private db!: LedgerDb;
  private identity!: Identity;
  private ledger!: Ledger;
  private minter!: Minter;
  private payments!: Payments;
  /** Settled micro-credits, cached for the status line (refreshed after every change). */
  private balanceMicro = 0;
  private hasHistory = false;

  constructor(
    private readonly factory: IDBFactory,
    private readonly now: () => number = Date.now,
    /** Test-only: cheaper scrypt parameters for backups (default: SCRYPT_PARAMS). */
    private readonly backupKdf?: { N: number; r: number; p: number },
  ) {
    this.ready = this.open();
  }

  private async open(): Promise<void> {
    this.db = await openLedgerDb({ indexedDB: this.factory });
    await this.useIdentity(await loadOrCreateIdentity(this.db, { now: this.now }));
  }

  private async useIdentity(identity: Identity): Promise<void> {
    this.identity = identity;
    this.ledger = new Ledger(this.db, {
      owner: identity.nodeId,
      verifyProof: verifyBoundProof,
      now: this.now,
    });
    const issuer = new ReceiptIssuer(this.ledger, identity, { now: this.now });
    this.minter = new Minter(issuer, { verify: verifyBoundProof, estimate: (p) => proofCredits(p.bits) });
    this.payments = new Payments(this.ledger, issuer);
    await this.refresh();
  }

  get nodeId(): string {
    return this.identity.nodeId;
  }

  #lastCompactAt = Number.NEGATIVE_INFINITY;

  /**
   * Archives the old, closed part of the chain under a signed checkpoint (src/ledger/compaction.ts):
   * at most once an hour per service-worker life; a no-op scan when nothing is 30 days old.
   */
  async compactIfDue(): Promise<CompactReport | null> {
    await this.ready;
    const now = this.now();
    if (now - this.#lastCompactAt < COMPACT_EVERY_MS) return null;
    this.#lastCompactAt = now;
    return this.ledger.compact(this.identity);
  }

  /** The balance for the status line: settled credits, and a note when there is nothing yet. */
  balance(): { credits: number; note: string } {
    return {
      credits: this.balanceMicro / MICRO_CREDITS_PER_CREDIT,
      note: this.hasHistory ? 'Settled credits' : 'No earnings yet',
    };
  }

  private async refresh(): Promise<void> {
    const [totals, head] = await Promise.all([this.ledger.totals(), this.ledger.head()]);
    this.balanceMicro = totals.balance;
    // Any accepted record means there is history; the chain head says so without reading every receipt.
    this.hasHistory = head.seq > 0;
  }

  /** Verifies a proof and mints its credits (estimated → verified → settled), or records the rejection. */
  async mint(proof: PowProofRecord, work: { cpuMs: number }): Promise<ReceiptView> {
    await this.ready;
    try {
      return await this.minter.mint(proof, work);
    } finally {
      await this.refresh();
    }
  }

  /**
   * Audits a requester's payment bundle (its signed chain must cover the amount; forks, replays and
   * forgeries are refused and kept with their reason) and books it; returns the micro-credits.
   */
  async receive(bundle: unknown, work: { cpuMs: number }): Promise<number> {
    await this.ready;
    try {
      return (await this.payments.receive(bundle, work)).credits;
    } finally {
      await this.refresh();
    }
  }

  /** Audits an assignment's escrow pledge (ledger Payments.acceptPledge); nothing is booked yet. */
  async acceptPledge(bundle: unknown): Promise<{ redeemAfter: number; amount: number }> {
    await this.ready;
    const p = await this.payments.acceptPledge(bundle);
    return { redeemAfter: p.redeemAfter, amount: p.amount };
  }

  /** Redeems a pledge whose requester left (ledger Payments.redeem); returns the micro-credits. */
  async redeem(bundle: unknown, result: string, work: { cpuMs: number }): Promise<number> {
    await this.ready;
    try {
      return (await this.payments.redeem(bundle, result, work)).credits;
    } finally {
      await this.refresh();
    }
  }

  /** Records a returned job's result hash for its kept pledge (Payments.pledgeResult). */
  async pledgeResult(
    payer: string,
    jobId: string,
    result: string,
    work: { cpuMs: number },
  ): Promise<boolean> {
    await this.ready;
    return this.payments.pledgeResult(payer, jobId, result, work);
  }

  /** Books a fork proof from the mesh (Payments.reportFork): that payer is refused from now on. */
  async reportFork(proof: unknown): Promise<{ ledger: string }> {
    await this.ready;
    return this.payments.reportFork(proof);
  }

  /** This ledger's fork proof against `payer` (Payments.forkProof), for the document to publish. */
  async forkProof(payer: string): Promise<unknown> {
    await this.ready;
    return this.payments.forkProof(payer);
  }

  /** The fork proofs this ledger kept (its `forks` store), at most `max`, for the document to republish. */
  async forkProofs(max: number): Promise<unknown[]> {
    await this.ready;
    const ids = (await this.ledger.db.getAllKeys('forks')).slice(0, max);
    const proofs = await Promise.all(ids.map((id) => this.payments.forkProof(id)));
    return proofs.filter((p) => p !== undefined);
  }

  /** This wallet's audited head of `payer`'s chain (Payments.auditedChainHead), for market claims. */
  async auditedHead(payer: string): Promise<{ seq: number; hash: string } | undefined> {
    await this.ready;
    return this.payments.auditedChainHead(payer);
  }

  /** Redeems the kept pledges that are due (Payments.redeemDue): after any restart of anything. */
  async redeemDue(): Promise<{ payer: string; jobId: string; credits: number }[]> {
    await this.ready;
    try {
      return (await this.payments.redeemDue()).map((k) => ({
        payer: k.payer,
        jobId: k.jobId,
        credits: k.credits ?? 0,
      }));
    } finally {
      await this.refresh();
    }
  }

  /** The ledger and its escrow/payments, for the requester side (src/background/market-requester.ts). */
  async market(): Promise<{
    ledger: Ledger;
    payments: Payments;
    nodeId: string;
    changed: () => Promise<void>;
  }> {
    await this.ready;
    return {
      ledger: this.ledger,
      payments: this.payments,
      nodeId: this.nodeId,
      changed: () => this.refresh(),
    };
  }

  handlers(): Pick<Handlers<'background'>, WalletKeys> {
    return {
      'earnings/get': async ({ utcOffsetMin }) => {
        await this.ready;
        const offset = Number.isFinite(utcOffsetMin) && Math.abs(utcOffsetMin) <= 14 * 60 ? utcOffsetMin : 0;
        return { ...(await this.ledger.summary(this.now(), { utcOffsetMin: offset })), nodeId: this.nodeId };
      },
      'identity/export': async ({ passphrase }) => {
        await this.ready;
        const history = await this.ledger.history();
        const peers: Record<string, Awaited<ReturnType<Ledger['peerChain']>>> = {};
        for (const e of history) {
          const payer = e.kind === 'receipt' ? (e.payment ?? e.pledge)?.ledger : undefined;
          if (payer !== undefined && peers[payer] === undefined)
            peers[payer] = await this.ledger.peerChain(payer);
        }
        const backup = await exportWallet(
          { identity: this.identity, history, peers },
          passphrase,
          this.backupKdf === undefined ? {} : { kdf: this.backupKdf },
        );
        const day = new Date(this.now()).toISOString().slice(0, 10);
        return {
          backup,
          warning: WALLET_BACKUP_WARNING,
          fileName: `inos-wallet-${this.nodeId.slice(0, 8)}-${day}.json`,
        };
      },
      'ledger/history': async () => {
        await this.ready;
        return this.ledger.history();
      },
      'ledger/append': async ({ record }) => {
        await this.ready;
        try {
          const view = await this.ledger.append(record);
          return { id: view.id, state: view.state };
        } finally {
          await this.refresh();
        }
      },
      'identity/import': async ({ backup, passphrase, discardCredits }) => {
        await this.ready;
        const contents = await importWallet(backup, passphrase);
        const current = await this.ledger.runningTotals();
        const holds = current.balance + current.pending;
        if (contents.identity.nodeId !== this.nodeId && holds > 0 && discardCredits !== true) {
          throw new IdentityError(
            'would-discard',
            `this browser's wallet still holds ${holds / MICRO_CREDITS_PER_CREDIT} credits; importing replaces its key ` +
              'and they are lost unless you exported it. Export it first, or confirm a second time.',
          );
        }
        // Audit the backup's ledger before anything is replaced: a bad file changes nothing.
        const probe = new Ledger(this.db, {
          owner: contents.identity.nodeId,
          verifyProof: verifyBoundProof,
          now: this.now,
        });
        const totals = await probe.restore(contents.history, contents.peers);
        await saveIdentity(this.db, contents.identity);
        await this.useIdentity(contents.identity);
        return {
          nodeId: contents.identity.nodeId,
          balance: totals.balance,
          records: contents.history.length,
        };
      },
    };
  }
}
