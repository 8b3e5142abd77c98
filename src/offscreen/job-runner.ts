import type { JobEngine, JobOutcome } from '../engine/job-engine';
import type { JobDone, JobOrder } from '../messaging/protocol';

export const REDELIVER_MS = 2_000;
/** Job ids remembered to ignore duplicate submissions (a restarted coordinator may resend). */
const SEEN_KEPT = 1_000;

/**
 * Runs job orders on the engine and delivers each result to the background until it is
 * acknowledged: the service worker may be stopped or restarting when a job finishes, and a result
 * must not be lost. The background accepts a result once, by job id, so redelivery never pays twice.
 */
export class JobRunner {
  private readonly seen = new Set<string>();
  private readonly undelivered = new Map<string, JobDone>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly engine: () => JobEngine | null,
    private readonly deliver: (done: JobDone) => Promise<unknown>,
    private readonly log?: (msg: string, err?: unknown) => void,
    /** Sees every finished job (the Metrics view's source for the scheduler's jobs). */
    private readonly observe?: (order: JobOrder, outcome: JobOutcome) => void,
  ) {}

  get pendingDeliveries(): number {
    return this.undelivered.size;
  }

  submit(order: JobOrder): { accepted: boolean; duplicate: boolean } {
    const engine = this.engine();
    if (!engine) throw new Error('the compute host is not running yet');
    if (typeof order?.jobId !== 'string' || order.jobId.length === 0 || order.jobId.length > 128)
      throw new TypeError('jobs/submit: jobId must be a string of 1..128 characters');
    if (this.seen.has(order.jobId)) return { accepted: false, duplicate: true };
    this.seen.add(order.jobId);
    if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value as string);
    void engine
      .submit({
        library: order.library,
        method: order.method,
        params: order.params,
        budget: order.budget,
        deadlineMs: order.deadlineMs,
        preemptible: order.preemptible === true,
      })
      .then((o) => {
        this.observe?.(order, o);
        let outputText: string | null = null;
        if (o.output.length > 0 && o.output.length <= 64 * 1024) {
          try {
            outputText = new TextDecoder('utf-8', { fatal: true }).decode(o.output);
          } catch {
            outputText = null; // binary output stays in the host
          }
        }
        this.undelivered.set(order.jobId, {
          jobId: order.jobId,
          status: o.status,
          outputText,
          outputBytes: o.output.length,
          costUsed: o.costUsed,
          error: o.error,
          ms: Math.round(o.ms),
        });
        void this.flush();
      });
    return { accepted: true, duplicate: false };
  }

  /** Tries every undelivered result now; reschedules itself while any remain. */
  async flush(): Promise<void> {
    for (const [id, done] of [...this.undelivered]) {
      try {
        await this.deliver(done);
        this.undelivered.delete(id);
      } catch (err) {
        this.log?.(`result of ${id} not delivered yet`, err);
      }
    }
    if (this.undelivered.size > 0 && !this.timer)
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, REDELIVER_MS);
  }
}
