/**
 * The background's side of the extension's paid mesh jobs (the contributor; the offscreen document's
 * market-intake.ts runs them). Two small messages, never bulk bytes:
 *
 * - `market/job`: a job started or ended on the host. It is recorded in the durable job queue as a
 *   `market` job in state dispatched, so the scheduler counts it as a held worker and dispatches that
 *   much less local proof-of-work (a notice in the 1 s heartbeat would lose the edges between beats
 *   and a service-worker restart; a queue record survives both). When its host goes away it is
 *   failed, not requeued: its requester reissues it.
 * - `market/receive`: a requester's payment bundle, audited and booked by the ledger this worker
 *   owns (Payments.receive); the job's record remembers what it paid, once.
 * - Escrow pledges: `market/pledge` audits one and the ledger keeps it (its database, not the
 *   document's memory); `market/pledge-result` records the returned result's hash; `redeemDue`
 *   (the reconcile alarm) redeems due ones even after the document or the browser restarted. A
 *   pay naming the pledge closes it first; `market/redeem` from the document answers the same.
 * - `market/audited-head`: how far this ledger audited a requester's chain, which the document's
 *   contributor tells in each accepting claim, so that requester sends only newer records.
 */
import { PLEDGE_VOIDED_REASON } from '../ledger';
import type { Handlers } from '../messaging/messenger';
import type { MarketJobNotice, MarketJobView } from '../messaging/protocol';
import type { JobQueue, QueuedJob } from '../scheduler/job-queue';

/** A returned result not paid within this long is shown as not paid (the requester pays on verifying). */
export const PAY_WAIT_MS = 60_000;

/** Rows `market/jobs` returns. */
export const MARKET_JOBS_SHOWN = 20;

export interface MarketContributorBridgeDeps {
  queue: Promise<JobQueue>;
  /** Audits and books a payment bundle; micro-credits booked, or throws the ledger's reason. */
  receive(bundle: unknown, work: { cpuMs: number }): Promise<number>;
  /** Audits an assignment's escrow pledge (ledger Payments.acceptPledge). */
  acceptPledge(bundle: unknown): Promise<{ redeemAfter: number; amount: number }>;
  /** Redeems a pledge whose requester left (ledger Payments.redeem); micro-credits booked. */
  redeem(bundle: unknown, result: string, work: { cpuMs: number }): Promise<number>;
  /** Records a returned job's result hash for its kept pledge (ledger Payments.pledgeResult). */
  pledgeResult?(payer: string, jobId: string, result: string, work: { cpuMs: number }): Promise<boolean>;
  /**
   * This wallet's audited head of a requester's chain (ledger Payments.auditedChainHead): the offscreen
   * contributor tells it in its claims. Absent: every claim carries none (whole chains).
   */
  auditedHead?(requester: string): Promise<{ seq: number; hash: string } | undefined>;
  /** Books a fork proof the document's mesh node checked (ledger Payments.reportFork). */
  reportFork?(proof: unknown): Promise<{ ledger: string }>;
  /** The ledger's fork proof against a payer (Payments.forkProof), for the document to publish. */
  forkProof?(payer: string): Promise<unknown>;
  /** The fork proofs the ledger kept, for the document to republish when it joins (at most 64). */
  forkProofs?(): Promise<unknown[]>;
  /** Redeems the kept pledges that are due (ledger Payments.redeemDue). */
  redeemDue?(): Promise<{ payer: string; jobId: string; credits: number }[]>;
  /** A job's record changed: fill (or stop over-filling) the worker slots. */
  changed(): void;
  now: () => number;
}

export const marketJobKey = (requester: string, jobId: string): string =>
  `market-${requester.slice(0, 64)}-${jobId.slice(0, 64)}`;

const HEX = /^[0-9a-f]{1,128}$/;

function checkNotice(n: MarketJobNotice): void {
  if (typeof n !== 'object' || n === null) throw new TypeError('market/job: expected an object');
  if (!HEX.test(String(n.jobId)) || !HEX.test(String(n.requester)))
    throw new TypeError('market/job: jobId and requester must be lowercase hex (1..128 digits)');
  if (!['running', 'returned', 'failed'].includes(n.phase))
    throw new TypeError(
      `market/job: phase must be running, returned or failed, got ${JSON.stringify(n.phase)}`,
    );
  if (typeof n.capsule !== 'string' || typeof n.method !== 'string' || typeof n.instanceId !== 'string')
    throw new TypeError('market/job: capsule, method and instanceId must be strings');
  if (!Number.isFinite(n.budget) || !Number.isFinite(n.deadlineMs))
    throw new TypeError('market/job: budget and deadlineMs must be numbers');
}

/** A record as the popup shows it: every zero with its reason. */
export function viewOf(j: QueuedJob, now: number): MarketJobView {
  const base = {
    jobId: j.id.split('-').at(-1) ?? j.id,
    requester: j.requester ?? '',
    capsule: j.library,
    method: j.method,
    at: j.finishedAt ?? j.createdAt,
  };
  // A pay of 0 closes the escrow pledge of a result the requester did not accept (a void).
  if (j.paid === 0)
    return { ...base, state: 'not paid', credits: 0, reason: `not paid: ${PLEDGE_VOIDED_REASON}` };
  if (j.paid !== undefined) return { ...base, state: 'paid', credits: j.paid, reason: '' };
  if (j.state === 'dispatched')
    return { ...base, state: 'running', credits: 0, reason: 'running: paid once the requester verifies it' };
  if (j.state === 'failed')
    return {
      ...base,
      state: 'failed',
      credits: 0,
      reason: `not paid: the run did not finish (${j.outcome?.error || j.outcome?.status || 'unknown'})`,
    };
  // Returned, no payment yet: the requester's quorum decides; a result that disagreed is never paid.
  const waited = (j.finishedAt ?? 0) + PAY_WAIT_MS < now;
  return waited
    ? {
        ...base,
        state: 'not paid',
        credits: 0,
        reason:
          'not paid: the requester did not pay for this result (it disagreed with the others, or the requester left)',
      }
    : {
        ...base,
        state: 'awaiting payment',
        credits: 0,
        reason: 'awaiting payment: the requester verifies it',
      };
}

export class MarketContributorBridge {
  constructor(private readonly deps: MarketContributorBridgeDeps) {}

  async onJob(n: MarketJobNotice): Promise<{ ack: true }> {
    checkNotice(n);
    const queue = await this.deps.queue;
    const id = marketJobKey(n.requester, n.jobId);
    const now = this.deps.now();
    if (n.phase === 'running') {
      await queue.addRunning(
        {
          id,
          source: 'market',
          priority: 10,
          library: n.capsule,
          method: n.method,
          params: '',
          budget: n.budget,
          deadlineMs: n.deadlineMs,
          createdAt: now,
          requester: n.requester,
        },
        n.instanceId,
        now,
      );
    } else {
      await queue.finish(
        id,
        n.phase === 'returned' ? 'done' : 'failed',
        { status: n.status ?? n.phase, error: n.error ?? '', costUsed: n.costUsed ?? 0 },
        now,
      );
    }
    this.deps.changed();
    return { ack: true };
  }

  async onReceive(req: { bundle: unknown; cpuMs: number }): Promise<{ credits: number }> {
    const cpuMs = Number.isFinite(req?.cpuMs) && req.cpuMs >= 0 ? Math.round(req.cpuMs) : 0;
    const credits = await this.deps.receive(req?.bundle, { cpuMs });
    const pay = (req.bundle as { pay?: { ledger?: unknown; jobId?: unknown } } | null)?.pay;
    if (typeof pay?.ledger === 'string' && typeof pay.jobId === 'string')
      await (await this.deps.queue).markPaid(marketJobKey(pay.ledger, pay.jobId), credits);
    return { credits };
  }

  /** Audits the escrow pledge an assignment carries, before its job runs. */
  onPledge(req: { bundle: unknown }): Promise<{ redeemAfter: number; amount: number }> {
    return this.deps.acceptPledge(req?.bundle);
  }

  /** A pledge's job is marked paid under the assignment's job id, like a payment. */
  async onRedeem(req: { bundle: unknown; result: string; cpuMs: number }): Promise<{ credits: number }> {
    const cpuMs = Number.isFinite(req?.cpuMs) && req.cpuMs >= 0 ? Math.round(req.cpuMs) : 0;
    const credits = await this.deps.redeem(req?.bundle, String(req?.result ?? ''), { cpuMs });
    const pledge = (req.bundle as { pledge?: { ledger?: unknown; jobId?: unknown } } | null)?.pledge;
    if (typeof pledge?.ledger === 'string' && typeof pledge.jobId === 'string')
      await (await this.deps.queue).markPaid(marketJobKey(pledge.ledger, pledge.jobId), credits);
    return { credits };
  }

  /** The result hash of a returned job, kept with its pledge for redeemDue. */
  async onPledgeResult(req: {
    requester: string;
    jobId: string;
    result: string;
  }): Promise<{ kept: boolean }> {
    if (!HEX.test(String(req?.requester)) || !HEX.test(String(req?.jobId)))
      throw new TypeError('market/pledge-result: requester and jobId must be lowercase hex (1..128 digits)');
    if (!/^[0-9a-f]{64}$/.test(String(req.result)))
      throw new TypeError('market/pledge-result: result must be a BLAKE3 hash, 64 lowercase hex digits');
    if (this.deps.pledgeResult === undefined) return { kept: false };
    const job = await (await this.deps.queue).get(marketJobKey(req.requester, req.jobId));
    const cpuMs = job?.outcome?.costUsed ?? 0;
    return { kept: await this.deps.pledgeResult(req.requester, req.jobId, req.result, { cpuMs }) };
  }

  /** The audited head of a requester's chain, for the document's accepting claims (null: none). */
  async onAuditedHead(req: { requester: string }): Promise<{ head: { seq: number; hash: string } | null }> {
    if (!/^[0-9a-f]{64}$/.test(String(req?.requester)))
      throw new TypeError('market/audited-head: requester must be a node id, 64 lowercase hex digits');
    return { head: (await this.deps.auditedHead?.(req.requester)) ?? null };
  }

  /** A fork proof from the mesh: checked again and kept by the ledger; that payer is refused from now on. */
  async onFork(req: { proof: unknown }): Promise<{ payer: string }> {
    if (this.deps.reportFork === undefined) throw new Error('market/fork: this wallet keeps no fork proofs');
    return { payer: (await this.deps.reportFork(req?.proof)).ledger };
  }

  /** The ledger's fork proof against a payer, for the document to publish (null: none). */
  async onForkProof(req: { payer: string }): Promise<{ proof: unknown }> {
    if (!/^[0-9a-f]{64}$/.test(String(req?.payer)))
      throw new TypeError('market/fork-proof: payer must be a node id, 64 lowercase hex digits');
    return { proof: (await this.deps.forkProof?.(req.payer)) ?? null };
  }

  /** The ledger's kept fork proofs, for the document's mesh node to republish when it joins. */
  async onForkProofs(): Promise<{ proofs: unknown[] }> {
    return { proofs: (await this.deps.forkProofs?.()) ?? [] };
  }

  /** Redeems due pledges (background alarm); each redeemed job shows as paid. Returns how many. */
  async redeemDue(): Promise<number> {
    if (this.deps.redeemDue === undefined) return 0;
    const done = await this.deps.redeemDue();
    const queue = await this.deps.queue;
    for (const d of done) await queue.markPaid(marketJobKey(d.payer, d.jobId), d.credits);
    return done.length;
  }

  async jobs(): Promise<{ jobs: MarketJobView[] }> {
    const queue = await this.deps.queue;
    return { jobs: (await queue.recent('market', MARKET_JOBS_SHOWN)).map((j) => viewOf(j, this.deps.now())) };
  }

  handlers(): Pick<
    Handlers<'background'>,
    | 'market/job'
    | 'market/receive'
    | 'market/pledge'
    | 'market/redeem'
    | 'market/pledge-result'
    | 'market/audited-head'
    | 'market/fork'
    | 'market/fork-proof'
    | 'market/fork-proofs'
    | 'market/jobs'
  > {
    return {
      'market/job': (n) => this.onJob(n),
      'market/receive': (r) => this.onReceive(r),
      'market/pledge': (r) => this.onPledge(r),
      'market/redeem': (r) => this.onRedeem(r),
      'market/pledge-result': (r) => this.onPledgeResult(r),
      'market/audited-head': (r) => this.onAuditedHead(r),
      'market/fork': (r) => this.onFork(r),
      'market/fork-proof': (r) => this.onForkProof(r),
      'market/fork-proofs': () => this.onForkProofs(),
      'market/jobs': () => this.jobs(),
    };
  }
}
