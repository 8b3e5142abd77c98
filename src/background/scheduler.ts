import type { JobDone, JobOrder } from '../messaging/protocol';
import { JobQueue, type QueuedJob } from '../scheduler/job-queue';
import {
  INITIAL_HASHES_PER_MS,
  isOwnLocalHeader,
  LOCAL_POW_BITS,
  localPowBudget,
  localPowParams,
} from '../scheduler/local-pow';
import type { Wallet } from './wallet';

/** A local slice must finish well within this, or it is presumed lost (host restarted). */
export const LOCAL_DEADLINE_MS = 5 * 60_000;
const RATE_KEY = 'pow.hashesPerMs';
const SEQ_KEY = 'pow.seq';

export interface SchedulerDeps {
  queue: Promise<JobQueue>;
  wallet: Wallet;
  /** Sends an order to the offscreen host; `hostId` is the instance that accepted it. */
  submit(order: JobOrder): Promise<{ accepted: boolean; duplicate: boolean; hostId: string }>;
  /** How many jobs may run now (0 when not running), and which capsules the user opted out of. */
  capacity(): { slots: number; optOut: readonly string[] };
  now: () => number;
  /** Compact target of local slices; tests use an easy one. */
  powBits?: number;
  log?: (msg: string, err?: unknown) => void;
}

interface PowOutput {
  found: boolean;
  nonce: number | null;
  hash: string | null;
  hashes: number;
}

/**
 * Keeps the host busy with useful work: queued jobs first (by priority and deadline; the mesh will
 * feed the queue), and when nothing waits, a local proof-of-work slice, so a contributor always has
 * something to do. Each result is accepted once; a proof is verified and minted into the ledger.
 */
export class Scheduler {
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  private get bits(): number {
    return this.deps.powBits ?? LOCAL_POW_BITS;
  }

  /** Fills the free slots. Safe to call often: concurrent calls share one pass. */
  tick(): Promise<void> {
    this.ticking ??= this.fill().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async fill(): Promise<void> {
    const queue = await this.deps.queue;
    const now = this.deps.now();
    await queue.reapLost(now);
    const { slots, optOut } = this.deps.capacity();
    let running = (await queue.byState('dispatched')).length;
    // One job more than the slots: it waits in the host's engine queue, so a worker that finishes a
    // slice starts the next at once instead of idling through a message round trip (measured: a
    // ~10-point CPU shortfall at a 100% cap without it).
    const target = slots > 0 ? slots + 1 : 0;
    while (running < target) {
      let job = await queue.next(now);
      if (job && optOut.includes(job.library)) job = null; // left queued for when the user opts back in
      if (!job) {
        if (optOut.includes('pow')) return;
        job = await this.localSlice(queue, now);
      }
      try {
        await queue.markDispatched(job.id, now);
        const r = await this.deps.submit({
          jobId: job.id,
          library: job.library,
          method: job.method,
          params: job.params,
          budget: job.budget,
          deadlineMs: job.deadlineMs,
          // A paid mesh job may stop a local slice instead of waiting up to SLICE_TARGET_MS for it.
          ...(job.source === 'local-pow' ? { preemptible: true } : {}),
        });
        if (!r.accepted && !r.duplicate) throw new Error('the host refused the job');
        await queue.assignHost(job.id, r.hostId);
      } catch (err) {
        // The host is not reachable: the job stays dispatched and is reaped at its deadline.
        this.deps.log?.(`could not dispatch ${job.id}`, err);
        return;
      }
      running++;
    }
  }

  private async localSlice(queue: JobQueue, now: number): Promise<QueuedJob> {
    await this.deps.wallet.ready;
    const seq = ((await queue.getMeta<number>(SEQ_KEY)) ?? 0) + 1;
    await queue.setMeta(SEQ_KEY, seq);
    const rate = (await queue.getMeta<number>(RATE_KEY)) ?? INITIAL_HASHES_PER_MS;
    const params = localPowParams(this.deps.wallet.nodeId, seq, now, rate, this.bits);
    return queue.add({
      id: `local-pow-${this.deps.wallet.nodeId.slice(0, 8)}-${seq}`,
      source: 'local-pow',
      priority: 0,
      library: 'pow',
      method: 'search',
      params,
      // The price of the whole range (src/capsules/price.ts): the search ends by itself on a proof
      // or at `count`, never for its budget.
      budget: localPowBudget(params),
      deadlineMs: now + LOCAL_DEADLINE_MS,
      createdAt: now,
    });
  }

  /**
   * A host instance started (offscreen/hello). Jobs dispatched to an earlier instance died with it:
   * requeue them now and fill the new host's slots, instead of waiting for their deadlines (up to
   * LOCAL_DEADLINE_MS). Returns how many were requeued.
   */
  async onHostHello(hostId: string): Promise<number> {
    const queue = await this.deps.queue;
    await this.ticking; // a pass in flight may be assigning hosts; requeue after it
    const requeued = await queue.requeueLost(hostId, this.deps.now());
    await this.tick();
    return requeued;
  }

  /** A result from the host. Duplicates (redeliveries) are acknowledged and ignored. */
  async onJobDone(done: JobDone): Promise<{ ack: true }> {
    const queue = await this.deps.queue;
    const job = await queue.finish(
      done.jobId,
      done.status === 'ok' ? 'done' : 'failed',
      { status: done.status, error: done.error, costUsed: done.costUsed },
      this.deps.now(),
    );
    if (!job) return { ack: true };
    if (job.source === 'local-pow' && done.status === 'ok' && done.outputText)
      await this.creditLocal(job, done);
    await queue.prune();
    void this.tick();
    return { ack: true };
  }

  private async creditLocal(job: QueuedJob, done: JobDone): Promise<void> {
    let out: PowOutput;
    try {
      out = JSON.parse(done.outputText!) as PowOutput;
    } catch {
      this.deps.log?.(`unreadable proof-of-work result for ${job.id}`);
      return;
    }
    const queue = await this.deps.queue;
    if (done.ms > 0 && out.hashes > 0) {
      // Hashes per ms of the slice's worker, smoothed: sizes the next slices to ~SLICE_TARGET_MS.
      // (Not costUsed: pow.search is charged its work-based price, the same on every machine.)
      const measured = out.hashes / done.ms;
      const prev = (await queue.getMeta<number>(RATE_KEY)) ?? measured;
      await queue.setMeta(RATE_KEY, prev * 0.7 + measured * 0.3);
    }
    if (!out.found || out.nonce === null || out.hash === null) return;
    const header = (JSON.parse(job.params) as { header: string }).header;
    if (!isOwnLocalHeader(this.deps.wallet.nodeId, header)) return; // the identity changed meanwhile
    await this.deps.wallet.mint(
      { header, nonce: out.nonce, bits: this.bits, hash: out.hash },
      { cpuMs: done.costUsed },
    );
  }
}
