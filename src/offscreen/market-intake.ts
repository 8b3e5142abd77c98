/**
 * Paid mesh jobs in the extension (the contributor side of the market in a browser): a
 * MarketContributor (src/trade) on the offscreen document's live MeshNode. It claims offers only
 * for capsules the user has not opted out of, at most the current throttle's workers at once, and
 * declines while contributing is paused ("paused by the contributor": the requester's error shows
 * it). A job's inputs arrive as BLAKE3 chunks over the mesh into this document; it runs on the
 * host's engine ahead of queued local proof-of-work (`urgent`); its output, of any size or kind,
 * goes back inline or as chunks this node serves (MeshHost.marketChunks). Only small notices cross
 * runtime messaging: `market/job` (the background records the job as holding a worker) and
 * `market/receive` (the requester's signed payment bundle, audited and booked by the background's
 * ledger); `market/pledge` and `market/redeem` carry the assignment's escrow pledge (audited before
 * the job runs) and, when the requester left without paying, its redemption after redeemAfter.
 * Accepted pledges are kept in the background's ledger database, and each returned result's hash is
 * sent there (`market/pledge-result`): the background redeems due ones even after this document closed.
 * Each accepting claim carries the ledger's audited head of the requester's chain
 * (`market/audited-head`), so requesters send this browser only the records it has not audited.
 */
import { builtinCapsules } from '../capsules/builtin';
import type { JobEngine } from '../engine/job-engine';
import type { MeshNode } from '../mesh/protocol/node';
import type { MarketJobNotice } from '../messaging/protocol';
import {
  JOB_STATUSES,
  MarketContributor,
  type ContributorEvent,
  type JobRun,
  type JobStatus,
  type JobToRun,
  type MarketSigner,
} from '../trade';
import { ForkWatch, type ForkWatchOptions } from '../trade/fork-watch';
import type { ChunkHolder } from '../trade/chunk-store';
import { corrupt } from '../trade/tamper';

/** What the host allows now: a reason to decline every offer (paused…) or null, opt-outs, workers. */
export interface IntakeLimits {
  decline: string | null;
  optOut: readonly string[];
  workers: number;
}

export interface MarketIntakeDeps {
  mesh: { readonly meshNode: MeshNode | null; readonly marketChunks: ChunkHolder };
  /** The wallet identity (the same key as the PeerId: claims and results are signed by it). */
  loadSigner: () => Promise<MarketSigner>;
  engine: () => Pick<JobEngine, 'submit'> | null;
  limits: () => IntakeLimits;
  notify: (n: Omit<MarketJobNotice, 'instanceId'>) => Promise<unknown>;
  /** Audits and books a payment bundle in the background's ledger; micro-credits booked. */
  receive: (bundle: unknown, work: { cpuMs: number }) => Promise<number>;
  /** Audits an assignment's escrow pledge in the background's ledger. */
  acceptPledge: (bundle: unknown) => Promise<{ redeemAfter: number; amount: number }>;
  /** Redeems a due pledge (the requester left) in the background's ledger; micro-credits booked. */
  redeem: (bundle: unknown, result: string, work: { cpuMs: number }) => Promise<number>;
  /**
   * This wallet's audited head of a requester's chain, from the background's ledger
   * (`market/audited-head`): told in each accepting claim so the requester pledges and pays only the
   * records after it. Absent, or failing: the claim carries none and the requester sends its whole chain.
   */
  auditedHead?: (requester: string) => Promise<{ seq: number; hash: string } | undefined>;
  /** Tells the background the result hash of a returned job, so it can redeem its pledge itself. */
  pledgeResult?: (r: { requester: string; jobId: string; result: string }) => Promise<unknown>;
  /**
   * Fork proofs (`market/fork-proof`, `market/fork`): a refused pay or pledge publishes the ledger's
   * proof on the mesh; proofs the mesh node checked go to the ledger's reportFork. Absent: neither.
   */
  forks?: Pick<ForkWatchOptions, 'forkProof' | 'reportFork' | 'storedProofs'>;
  /** Test builds only: lets `test/market-tamper` make this contributor corrupt its outputs. */
  testHooks?: boolean;
  log?: (msg: string, err?: unknown) => void;
}

const asStatus = (s: string): JobStatus =>
  (JOB_STATUSES as readonly string[]).includes(s) ? (s as JobStatus) : 'internalError';

export class MarketIntake {
  #node: MeshNode | null = null;
  #contributor: MarketContributor | null = null;
  #forkWatch: { watch: ForkWatch; stop: () => void } | null = null;
  #signer: Promise<MarketSigner> | null = null;
  #tamper = false;
  #attaching = false;
  #redeeming = false;
  /** The last events, newest last (diagnostics and tests). */
  readonly events: ContributorEvent[] = [];

  constructor(private readonly deps: MarketIntakeDeps) {}

  get attached(): boolean {
    return this.#contributor !== null;
  }

  get busy(): number {
    return this.#contributor?.busy ?? 0;
  }

  /** Test builds only: corrupt the outputs from now on (or stop). */
  setTamper(on: boolean): boolean {
    if (!this.deps.testHooks)
      throw new Error('the tamper switch exists only in test builds (wxt --mode test)');
    this.#tamper = on;
    return on;
  }

  /**
   * Attaches to the mesh node now running (call often: the node may be recreated), and redeems the
   * pledges of results whose requester never paid, once due.
   */
  sync(): void {
    if (this.#contributor !== null && !this.#redeeming) {
      this.#redeeming = true;
      void this.#contributor
        .redeemDue()
        .catch((err: unknown) => this.deps.log?.('market intake: redeeming a pledge failed', err))
        .finally(() => {
          this.#redeeming = false;
        });
    }
    const node = this.deps.mesh.meshNode;
    if (node === this.#node || this.#attaching) return;
    this.#stopContributor();
    if (node === null) return;
    this.#attaching = true;
    this.#signer ??= this.deps.loadSigner();
    this.#signer
      .then((signer) => {
        if (this.deps.mesh.meshNode !== node) return; // replaced meanwhile: the next sync attaches
        this.#contributor = this.#make(node, signer);
        this.#contributor.start();
        this.#node = node;
      })
      .catch((err: unknown) => {
        this.#signer = null;
        this.deps.log?.('market intake: no identity to sign with', err);
      })
      .finally(() => {
        this.#attaching = false;
      });
  }

  stop(): void {
    this.#stopContributor();
  }

  #stopContributor(): void {
    this.#contributor?.stop();
    this.#contributor = null;
    this.#forkWatch?.stop();
    this.#forkWatch = null;
    this.#node = null;
  }

  /** A fork watch on `node` when the host wires fork proofs, else null. */
  #watchForks(node: MeshNode): ForkWatch | null {
    const forks = this.deps.forks;
    if (forks === undefined) return null;
    const log = this.deps.log;
    const watch = new ForkWatch({ node, ...forks, ...(log ? { log } : {}) });
    this.#forkWatch = { watch, stop: watch.start() };
    return watch;
  }

  #event(e: ContributorEvent): void {
    if (e.kind === 'returned' && e.result !== undefined)
      void this.deps
        .pledgeResult?.({ requester: e.requester, jobId: e.jobId, result: e.result })
        .catch((err: unknown) => this.deps.log?.('market/pledge-result not delivered', err));
    this.events.push(e);
    if (this.events.length > 200) this.events.shift();
  }

  #make(node: MeshNode, signer: MarketSigner): MarketContributor {
    const forks = this.#watchForks(node);
    const guard = <T>(bundle: unknown, audit: () => Promise<T>): Promise<T> =>
      forks === null ? audit() : forks.guard(bundle, audit);
    return new MarketContributor({
      node,
      chunks: this.deps.mesh.marketChunks,
      signer,
      // Every capsule of this build; the user's opt-outs are checked at each offer (availability).
      capsules: builtinCapsules.map((c) => ({
        name: c.library,
        version: Number.parseInt(c.version, 10) || 0,
      })),
      workers: Math.max(1, this.deps.limits().workers),
      availability: (offer) => {
        const l = this.deps.limits();
        if (l.decline !== null) return { decline: l.decline, workers: 0 };
        if (l.optOut.includes(offer.capsule))
          return { decline: `the contributor opted out of ${offer.capsule}`, workers: 0 };
        return { decline: null, workers: Math.max(0, l.workers) };
      },
      run: (job, signal) => this.#run(job, signal),
      receive: (bundle, work) => guard(bundle, () => this.deps.receive(bundle, work)),
      acceptPledge: (bundle) => guard(bundle, () => this.deps.acceptPledge(bundle)),
      redeem: (bundle, result, work) => this.deps.redeem(bundle, result, work),
      ...(this.deps.auditedHead ? { auditedHead: (requester: string) => this.#auditedHead(requester) } : {}),
      ...(this.deps.testHooks ? { tamper: (o: Uint8Array) => (this.#tamper ? corrupt(o) : o) } : {}),
      onEvent: (e) => this.#event(e),
    });
  }

  /** The ledger's head, or none when the background does not answer (the requester sends the whole chain). */
  async #auditedHead(requester: string): Promise<{ seq: number; hash: string } | undefined> {
    try {
      return await this.deps.auditedHead?.(requester);
    } catch (err) {
      this.deps.log?.('market/audited-head not answered: this claim carries no audited head', err);
      return undefined;
    }
  }

  async #run(job: JobToRun, signal: AbortSignal): Promise<JobRun> {
    const engine = this.deps.engine();
    if (engine === null) throw new Error('the compute host is not running yet');
    const notice = {
      jobId: job.jobId ?? '',
      requester: job.requester ?? '',
      capsule: job.capsule,
      method: job.method,
      budget: job.budget,
      deadlineMs: job.deadlineMs,
    };
    const tell = (n: Omit<MarketJobNotice, 'instanceId'>) =>
      this.deps.notify(n).catch((err: unknown) => this.deps.log?.('market/job notice not delivered', err));
    // Test builds: say when and why the contributor stopped a paid job (the run stream closed, the
    // contributor stopped), so a "cancelled" result can be told from a host fault in the logs.
    if (this.deps.testHooks)
      signal.addEventListener(
        'abort',
        () =>
          this.deps.log?.(
            `market intake: job ${notice.jobId} (${job.capsule}.${job.method}) aborted by the contributor`,
            signal.reason,
          ),
        { once: true },
      );
    // Recorded before it runs: the background dispatches one proof-of-work slice less meanwhile.
    await tell({ ...notice, phase: 'running' });
    try {
      const o = await engine.submit({
        library: job.capsule,
        method: job.method,
        params: job.params,
        ...(job.input ? { input: job.input } : {}),
        budget: job.budget,
        deadlineMs: job.deadlineMs,
        signal,
        urgent: true,
      });
      if (o.status === 'internalError')
        this.deps.log?.(`market intake: job ${notice.jobId} failed in this host's engine: ${o.error}`);
      void tell({ ...notice, phase: 'returned', status: o.status, costUsed: o.costUsed, error: o.error });
      return { status: asStatus(o.status), costUsed: o.costUsed, output: o.output, error: o.error };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      void tell({ ...notice, phase: 'failed', status: 'internalError', costUsed: 0, error });
      throw err;
    }
  }
}
