/**
 * The engine of `inos submit workflow`: the orchestrator's steps as market jobs on the mesh
 * (src/trade through the library's Requester), except the steps that touch a chunk store, which run
 * on this machine's engine and store.
 *
 * Why the store-bound steps stay here: `storage.put` on the mesh would store the blob on each of the
 * `redundancy` contributors that ran it, in stores the requester does not own; a later `storage.get`
 * would have to reach one of those same machines, and a rollback's `storage.delete` would have to
 * run on every one of them. The market offers a job to whichever contributor is best placed, has no
 * way to address a given one, and a contributor may leave; so compensation could not be promised
 * where the effect happened. Run here, the effect and its compensation happen in one store, under
 * the same write-ahead journal as `inos run workflow`.
 *
 * Budget: the orchestrator gives a step at most what is left of the workflow's budget; a market step
 * escrows `floor(share / redundancy)` credits per run × `redundancy` runs, so what it can be charged
 * (each agreeing contributor is paid at most its run's budget) never exceeds the share. The step's
 * cost is what was paid. Inputs go to the market as chunk views of the step's input (no copy, unless
 * they sit in shared memory, which the network stack cannot send from: then one copy, counted).
 */
import { MICRO_CREDITS_PER_CREDIT } from '../ledger/index.ts';
import type { ArenaInput, JobOutcome, JobSubmission } from '../engine/job-engine.ts';
import type { CapsuleRegistry } from '../engine/registry.ts';
import type { JobDone, MarketEvent } from '../trade/index.ts';
import type { InFlightStep, StepAttempt, WorkflowEngine } from '../workflow/index.ts';
import type { SubmitJob, SubmitOptions } from './requester.ts';

/** Methods that read or write this machine's chunk store: they run here, never on the mesh. */
const STORE_READS = new Set(['storage.get', 'storage.has']);

/** Whether `library.method` runs on this machine: it has an effect to undo, or reads the local store. */
export function runsHere(registry: CapsuleRegistry, library: string, method: string): boolean {
  if (STORE_READS.has(`${library}.${method}`)) return true;
  const effect = registry.resolve(library, method).method.effect ?? 'none';
  return effect !== 'none';
}

/** What this engine needs of the Requester (src/cli/requester.ts). */
export interface MarketSubmitter {
  submit(jobs: readonly SubmitJob[], o: SubmitOptions): Promise<(JobDone | Error)[]>;
  /** Closes the escrow of a job a stopped process left in flight; micro-credits it spent (Requester.settle). */
  settle?(jobId: string): Promise<number>;
}

export interface MeshEngineOptions {
  redundancy: number;
  deadlineMs: number;
  onEvent?: (e: MarketEvent & { index: number }, step: string) => void;
}

export class MeshWorkflowEngine implements WorkflowEngine {
  /** Market jobs submitted, and credits (whole) paid for them. */
  readonly stats = { marketJobs: 0, localJobs: 0, paidCredits: 0 };

  constructor(
    private readonly local: WorkflowEngine,
    private readonly market: MarketSubmitter,
    private readonly registry: CapsuleRegistry,
    private readonly o: MeshEngineOptions,
  ) {}

  get arenaStats() {
    return this.local.arenaStats;
  }

  allocInput(bytes: number): ArenaInput {
    return this.local.allocInput(bytes);
  }

  release(block: ArenaInput): void {
    this.local.release(block);
  }

  /**
   * A step a killed `inos submit workflow` left in flight: a market step's job id is the attempt's
   * journaled ref, so its hold is found and closed; what it paid (and pledged) is what it spent, and
   * the rest of its share goes back to the workflow's budget, so the resumed run can go on. A step
   * run here spent no credits of the wallet, but is counted whole as before (a local budget bounds
   * CPU time, not money).
   */
  async settleInFlight(job: InFlightStep): Promise<number> {
    if (runsHere(this.registry, job.library, job.method) || !this.market.settle) return job.budget;
    return Math.ceil((await this.market.settle(job.ref)) / MICRO_CREDITS_PER_CREDIT);
  }

  async submit(sub: JobSubmission, step?: StepAttempt): Promise<JobOutcome> {
    if (runsHere(this.registry, sub.library, sub.method)) {
      this.stats.localJobs++;
      return this.local.submit(sub);
    }
    const started = performance.now();
    const outcome = (status: JobOutcome['status'], error: string, extra: Partial<JobOutcome> = {}) => ({
      id: '',
      status,
      output: new Uint8Array(0),
      costUsed: 0,
      error,
      worker: -1,
      ms: performance.now() - started,
      bytesCopied: 0,
      ...extra,
    });
    const share = sub.budget ?? 0;
    const perRun = Math.floor(share / this.o.redundancy);
    if (perRun < 1)
      return outcome(
        'budgetExhausted',
        `the step's share of the workflow budget (${share} credits) is less than 1 credit for each of ` +
          `${this.o.redundancy} runs (redundancy)`,
      );
    let input: Uint8Array | undefined;
    let copied = 0;
    if (sub.input !== undefined) {
      const view = 'ref' in sub.input ? sub.input.view : sub.input;
      if (view.length > 0) {
        input = view.buffer instanceof ArrayBuffer ? view : view.slice();
        if (input !== view) copied = view.length;
      }
    }
    this.stats.marketJobs++;
    const [r] = await this.market.submit(
      [
        {
          capsule: sub.library,
          method: sub.method,
          params: sub.params ?? '{}',
          ...(input ? { input } : {}),
          ...(step ? { jobId: step.ref } : {}),
        },
      ],
      {
        budget: perRun,
        redundancy: this.o.redundancy,
        deadlineMs: this.o.deadlineMs,
        concurrency: 1,
        ...(sub.signal ? { signal: sub.signal } : {}),
        onEvent: (e) => this.o.onEvent?.(e, `${sub.library}.${sub.method}`),
      },
    );
    if (r === undefined || r instanceof Error)
      // No contributor, or the result could not be verified: worth another try (retry policy).
      return outcome('internalError', `on the mesh: ${r?.message ?? 'no result'}`, { bytesCopied: copied });
    const paid = Object.values(r.paid).reduce((a, b) => a + b, 0);
    const costUsed = Math.ceil(paid / MICRO_CREDITS_PER_CREDIT);
    this.stats.paidCredits += costUsed;
    return outcome(r.status, r.error, { id: r.jobId, output: r.output, costUsed, bytesCopied: copied });
  }
}
