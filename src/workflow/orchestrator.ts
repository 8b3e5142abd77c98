/**
 * Runs workflows on the job engine: each step is an ordinary job; a run of `parallel` steps is
 * submitted at once and runs concurrently on the pool; a step's output stays in its arena block and
 * is the next step's input by reference (JobSubmission.keepOutput: no copy of bulk bytes, and the
 * engine measures every copy it does make); conditions and `${…}` references read step outputs.
 *
 * Failure follows the workflow's ErrorPolicy (abort / skip / retry with doubling back-off / rollback:
 * each finished step's compensation, declared by its capsule, in reverse order). The budget is shared:
 * a step is given at most what is left (split evenly inside a parallel group), and the engine never
 * charges a job more than it was given, so the total never exceeds the budget.
 *
 * With a journal, every transition is made durable before it takes effect (journal.ts), and
 * `recover()` finishes what a crash interrupted: resume (finished steps with effects are not run
 * again; pure ones are recomputed) or roll back, per the workflow's `recovery`.
 *
 * Longer than ~400 lines because running, retrying, rolling back and recovering share one run state
 * and one set of journal transitions; split, they would have to agree on both through an interface
 * as large as the code.
 */
import type { Compensation } from '../capsules/capsule.ts';
import { bytesToHex, hexToBytes } from '../capsules/crypto/hex.ts';
import type { ArenaInput, JobOutcome, JobSubmission } from '../engine/job-engine.ts';
import type { CapsuleRegistry } from '../engine/registry.ts';
import { workflowFromJson, workflowToJson, type Workflow } from './definition.ts';
import {
  MAX_JOURNALED_OUTPUT,
  type InputDescriptor,
  type Journal,
  type JournalRecord,
  type WorkflowEnd,
} from './journal.ts';
import type { Metrics } from './metrics.ts';
import { compare, lookup, OutputFields, parseRef, resolveParams, type RefScope } from './references.ts';
import { planWorkflow, type Plan, type PlannedStep, type Source } from './validate.ts';

/** The step an attempt belongs to, handed to the engine with its job. */
export interface StepAttempt {
  /** The step's idempotency key, `<workflow id>/<step name>`. */
  key: string;
  /** This attempt's own id, journaled in its `start` record before the job is submitted. */
  ref: string;
}

/** A job that started and left no outcome in the journal (the process stopped), as recovery finds it. */
export interface InFlightStep extends StepAttempt {
  library: string;
  method: string;
  /** Credits it was given. */
  budget: number;
}

/** What the orchestrator needs of the engine (src/engine/job-engine.ts). */
export interface WorkflowEngine {
  submit(sub: JobSubmission, step?: StepAttempt): Promise<JobOutcome>;
  /**
   * On recovery: what a job left in flight by a stopped process really spent (credits, at most its
   * budget), settling whatever it still holds (a market job's escrow: the unpaid rest returns).
   * Absent: the whole budget counts as spent, so a resumed run can never overspend.
   */
  settleInFlight?(job: InFlightStep): Promise<number>;
  release(block: ArenaInput): void;
  allocInput(bytes: number): ArenaInput;
  readonly arenaStats?: { efficiency: number };
}

export interface OrchestratorOptions {
  journal?: Journal;
  metrics?: Metrics;
  /** Waits between retries; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
}

export interface RunOptions {
  id?: string;
  /** Bytes (copied once into the arena) or a block the caller filled (no copy; the caller frees it). */
  input?: Uint8Array | ArenaInput | null;
  /** How a resumed run finds the input again; default: inline hex up to 64 KiB, else none. */
  inputDescriptor?: InputDescriptor;
  /** Kept in the journal and handed back by `recover`. */
  meta?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Receives the final output as an arena view (valid during the call) instead of a private copy. */
  sink?: (output: Uint8Array) => void | Promise<void>;
}

export type StepStatus = 'ok' | 'reused' | 'skipped' | 'failed' | 'compensated' | 'not-run';

export interface StepReport {
  name: string;
  status: StepStatus;
  attempts: number;
  costUsed: number;
  ms: number;
  error: string;
  bytesCopied: number;
}

export interface WorkflowResult {
  id: string;
  status: WorkflowEnd;
  /** The last step's output (a private copy), empty when a sink took it or the workflow did not commit. */
  output: Uint8Array;
  error: string;
  steps: StepReport[];
  costUsed: number;
  budget: number;
  /** Bulk bytes copied: the input into the arena, every job's engine copies, the output out of it. */
  bytesCopied: number;
  ms: number;
  recovered: 'no' | 'resumed' | 'rolledBack';
  meta: Record<string, unknown>;
}

interface Value {
  view: Uint8Array;
  block: ArenaInput | null;
}

interface Prior {
  started: boolean;
  done?: Extract<JournalRecord, { type: 'done' }>;
  compensated: boolean;
}

interface Run {
  id: string;
  plan: Plan;
  spent: number;
  reserved: number;
  values: (Value | undefined)[];
  sentParams: (Record<string, unknown> | undefined)[];
  reports: StepReport[];
  /** Step indexes that finished (ok or reused), in order: rollback undoes them backwards. */
  completed: number[];
  blocks: ArenaInput[];
  input: Value;
  prior: Map<number, Prior>;
  signal: AbortSignal | undefined;
  copied: number;
}

const EMPTY: Value = { view: new Uint8Array(0), block: null };
const RETRYABLE = new Set(['timeout', 'internalError']);
const COMPENSATION_ATTEMPTS = 3;

export class Orchestrator {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: () => number;

  constructor(
    private readonly engine: WorkflowEngine,
    private readonly registry: CapsuleRegistry,
    private readonly opts: OrchestratorOptions = {},
  ) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Checks a workflow against this orchestrator's capsules; throws WorkflowDefinitionError. */
  plan(w: Workflow): Plan {
    return planWorkflow(w, this.registry);
  }

  async run(w: Workflow, opts: RunOptions = {}): Promise<WorkflowResult> {
    const plan = this.plan(w); // refused before anything runs or is journaled
    const id = opts.id ?? newWorkflowId();
    const meta = opts.meta ?? {};
    const started = this.clock();
    const run = this.newRun(id, plan, new Map(), 0, opts.signal);
    try {
      run.input = this.adoptInput(run, opts.input ?? null);
    } catch (err) {
      return this.report(
        run,
        'failed',
        `no shared memory for the input: ${(err as Error).message}`,
        started,
        'no',
        meta,
      );
    }
    await this.journal(
      {
        type: 'begin',
        wf: id,
        at: Date.now(),
        def: workflowToJson(w),
        input: opts.inputDescriptor ?? inlineDescriptor(run.input.view),
        meta,
      },
      plan,
    );
    return this.finish(run, await this.execute(run, plan.groups.length), started, 'no', meta, opts.sink);
  }

  /**
   * Finishes every workflow the journal holds unfinished: resumes it, or rolls it back when its
   * `recovery` says so, when it had begun rolling back, or when a step that must run once may have
   * run (its outcome was not journaled). `load` returns the input a `begin` record describes, or null.
   */
  async recover(
    load: (input: InputDescriptor, meta: Record<string, unknown>) => Promise<Uint8Array | ArenaInput | null>,
    opts: {
      sink?: (meta: Record<string, unknown>) => RunOptions['sink'];
      /** Called as each workflow finishes (before the next one is recovered). */
      onResult?: (r: WorkflowResult) => void | Promise<void>;
    } = {},
  ): Promise<WorkflowResult[]> {
    const journal = this.opts.journal;
    if (!journal) return [];
    const results: WorkflowResult[] = [];
    for (const records of await journal.unfinished()) {
      const begin = records[0];
      if (begin?.type !== 'begin') {
        if (begin) await journal.compact(begin.wf);
        continue;
      }
      const started = this.clock();
      let plan: Plan;
      try {
        plan = this.plan(workflowFromJson(begin.def));
      } catch (err) {
        // A definition that no longer plans (a capsule was removed): nothing can be undone by its rules.
        await this.journal({
          type: 'end',
          wf: begin.wf,
          at: Date.now(),
          status: 'failed',
          error: (err as Error).message,
        });
        await journal.compact(begin.wf);
        continue;
      }
      const { prior, spent: settled, open, rollingBack, lastStarted } = readRecords(records);
      let spent = settled;
      for (const job of open) spent += await this.spentInFlight(plan, job);
      const run = this.newRun(begin.wf, plan, prior, spent, undefined);
      const inDoubtOnce = plan.steps.filter(
        (s) => s.effect === 'once' && prior.get(s.index)?.started && !prior.get(s.index)?.done,
      );
      let why = rollingBack
        ? 'it was rolling back when the process stopped'
        : plan.workflow.recovery === 'rollback'
          ? 'its recovery policy is rollback'
          : inDoubtOnce.length
            ? `step ${inDoubtOnce.map((s) => s.step.name).join(', ')} must run once and may have run`
            : '';
      let input: Uint8Array | ArenaInput | null = null;
      try {
        input = await load(begin.input, begin.meta);
      } catch (err) {
        why ||= `its input cannot be read again: ${(err as Error).message}`;
      }
      if (input === null && begin.input.kind !== 'none') why ||= 'its input cannot be read again';
      let adopted = input === null && begin.input.kind === 'none';
      try {
        if (input !== null) {
          run.input = this.adoptInput(run, input);
          adopted = true;
        }
      } catch (err) {
        why ||= `no shared memory for its input: ${(err as Error).message}`;
      }
      const sink = opts.sink?.(begin.meta);
      // A block `load` filled belongs to it as far as run() is concerned; here we asked for it, so free it.
      if (input && 'ref' in input) run.blocks.push(input);
      if (!why) {
        const r = await this.finish(
          run,
          await this.execute(run, plan.groups.length),
          started,
          'resumed',
          begin.meta,
          sink,
        );
        results.push(r);
        await opts.onResult?.(r);
        continue;
      }
      // Roll back: when a step with effects started and its output is not in the journal (in doubt,
      // or too large), replay up to the last step that started (finished steps with effects are
      // reused from the journal, pure ones recomputed, the in-doubt one run again to learn its
      // output); otherwise the journal holds all a compensation needs and nothing is recomputed.
      // Then undo everything that finished.
      const lastGroup = lastStarted < 0 ? -1 : plan.steps[lastStarted]!.group;
      const replay = plan.steps.some((s) => {
        const p = prior.get(s.index);
        return s.effect !== 'none' && p?.started && p.done?.output === undefined;
      });
      if (adopted && replay) await this.execute(run, lastGroup + 1, true);
      else
        for (const [i, p] of prior) {
          if (!p.done) continue;
          // A pure step that finished has nothing to undo: it is reported as it ended, not recomputed.
          if (plan.steps[i]!.effect === 'none') run.reports[i]!.status = 'ok';
          else this.reuse(run, plan.steps[i]!, p.done);
        }
      const undone = await this.rollback(run, `recovery: ${why}`);
      const status: WorkflowEnd = undone ? 'failed' : 'rolledBack';
      const r = await this.end(
        run,
        status,
        undone || `rolled back on recovery: ${why}`,
        started,
        'rolledBack',
        begin.meta,
      );
      results.push(r);
      await opts.onResult?.(r);
    }
    return results;
  }

  /** Credits a job the journal left in flight spent: the engine settles it, else all it was given. */
  private async spentInFlight(plan: Plan, job: OpenJob): Promise<number> {
    const ps = plan.steps[job.step];
    if (!this.engine.settleInFlight || !ps || job.ref === undefined || job.compensation) return job.budget;
    try {
      const used = await this.engine.settleInFlight({
        key: job.key,
        ref: job.ref,
        library: ps.step.library,
        method: ps.step.method,
        budget: job.budget,
      });
      return Number.isFinite(used) ? Math.max(0, Math.min(job.budget, Math.ceil(used))) : job.budget;
    } catch {
      return job.budget; // not settled: count it all, as without settle
    }
  }

  private newRun(
    id: string,
    plan: Plan,
    prior: Map<number, Prior>,
    spent: number,
    signal: AbortSignal | undefined,
  ): Run {
    return {
      id,
      plan,
      spent,
      reserved: 0,
      values: plan.steps.map(() => undefined),
      sentParams: plan.steps.map(() => undefined),
      reports: plan.steps.map((s) => ({
        name: s.step.name,
        status: 'not-run',
        attempts: 0,
        costUsed: 0,
        ms: 0,
        error: '',
        bytesCopied: 0,
      })),
      completed: [],
      blocks: [],
      input: EMPTY,
      prior,
      signal,
      copied: 0,
    };
  }

  private adoptInput(run: Run, input: Uint8Array | ArenaInput | null): Value {
    if (!input) return EMPTY;
    if ('ref' in input) return { view: input.view, block: input };
    if (input.length === 0) return EMPTY;
    const block = this.engine.allocInput(input.length);
    block.view.set(input);
    run.copied += input.length;
    run.blocks.push(block);
    return { view: block.view, block };
  }

  /** Runs groups [0, untilGroup); returns '' or why the workflow must end (the policy applied). */
  private async execute(
    run: Run,
    untilGroup: number,
    replayOnly = false,
  ): Promise<{ status: WorkflowEnd; error: string }> {
    const policy = run.plan.workflow.onError;
    for (let g = 0; g < untilGroup; g++) {
      const members = run.plan.groups[g]!.map((i) => run.plan.steps[i]!);
      const budgets = this.shareBudget(run, members);
      const failures = (await Promise.all(members.map((ps, k) => this.runStep(run, ps, budgets[k]!)))).filter(
        (f): f is { ps: PlannedStep; error: string } => f !== null,
      );
      const eff = this.engine.arenaStats?.efficiency;
      if (eff !== undefined) this.opts.metrics?.observeArena(eff);
      if (failures.length === 0) continue;
      const error = failures.map((f) => `step ${f.ps.step.name}: ${f.error}`).join('; ');
      if (replayOnly) return { status: 'failed', error };
      if (policy === 'skip') {
        for (const f of failures) await this.skip(run, f.ps, `failed and skipped: ${f.error}`);
        continue;
      }
      if (policy === 'rollback') {
        const undone = await this.rollback(run, error);
        return undone
          ? { status: 'failed', error: `${error}; rollback incomplete: ${undone}` }
          : { status: 'rolledBack', error };
      }
      return { status: 'aborted', error };
    }
    return { status: 'committed', error: '' };
  }

  /** Each step of a group gets at most its cost cap and an equal share of what is left. */
  private shareBudget(run: Run, members: PlannedStep[]): number[] {
    const left = run.plan.budget - run.spent - run.reserved;
    return members.map((ps) => Math.max(0, Math.min(ps.costCap, Math.floor(left / members.length))));
  }

  /** null on success (ok, reused or skipped), else the failure. */
  private async runStep(
    run: Run,
    ps: PlannedStep,
    share: number,
  ): Promise<{ ps: PlannedStep; error: string } | null> {
    const { step, index } = ps;
    const report = run.reports[index]!;
    const key = `${run.id}/${step.name}`;
    const input = this.source(run, ps.input);
    const scope = this.scope(run, ps);
    let params: Record<string, unknown>;
    try {
      if (step.condition) {
        const ref = parseRef(step.condition.field);
        if (!compare(lookup(ref, scope), step.condition.operator, step.condition.value)) {
          await this.skip(
            run,
            ps,
            `condition ${step.condition.field} ${step.condition.operator} ${step.condition.value} is false`,
          );
          return null;
        }
      }
      params = resolveParams(step.params, scope) as Record<string, unknown>;
    } catch (err) {
      report.status = 'failed';
      report.error = `cannot resolve its references: ${(err as Error).message}`;
      return { ps, error: report.error };
    }
    run.sentParams[index] = params;

    const prior = run.prior.get(index);
    if (prior?.done && ps.effect !== 'none' && prior.done.output !== undefined) {
      this.reuse(run, ps, prior.done);
      return null;
    }
    if (prior?.done && ps.effect === 'once') {
      report.status = 'failed';
      report.error = 'it ran once already and its output was too large to journal; it must not run again';
      return { ps, error: report.error };
    }
    if (prior?.started && !prior.done && ps.effect === 'once') {
      report.status = 'failed';
      report.error = 'it must run once and may have run before the crash (its outcome was not journaled)';
      return { ps, error: report.error };
    }

    const attempts =
      run.plan.workflow.onError === 'retry' && ps.effect !== 'once' ? run.plan.workflow.retryAttempts + 1 : 1;
    let budget = share;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) budget = Math.max(0, Math.min(ps.costCap, run.plan.budget - run.spent - run.reserved));
      report.attempts = attempt;
      if (budget < 1) {
        report.status = 'failed';
        report.error = `the workflow's budget of ${run.plan.budget} credits is spent (${run.spent} used)`;
        return { ps, error: report.error };
      }
      const ref = newRef();
      await this.journal(
        { type: 'start', wf: run.id, at: Date.now(), step: index, key, attempt, budget, ref },
        run.plan,
      );
      run.reserved += budget;
      const outcome = await this.engine.submit(
        {
          library: step.library,
          method: step.method,
          params: JSON.stringify(params),
          ...(input.block ? { input: input.block } : input.view.length ? { input: input.view } : {}),
          budget,
          keepOutput: true,
          ...(run.signal ? { signal: run.signal } : {}),
        },
        { key, ref },
      );
      run.reserved -= budget;
      run.spent += outcome.costUsed;
      run.copied += outcome.bytesCopied;
      report.costUsed += outcome.costUsed;
      report.ms += outcome.ms;
      report.bytesCopied += outcome.bytesCopied;
      this.opts.metrics?.observeJob({
        library: step.library,
        method: step.method,
        ms: outcome.ms,
        status: outcome.status,
        costUsed: outcome.costUsed,
        budget,
        bytesCopied: outcome.bytesCopied,
        bytesIn: input.view.length,
      });
      if (outcome.status === 'ok') {
        const value: Value = outcome.outputRef
          ? { view: outcome.outputRef.view, block: outcome.outputRef }
          : { view: outcome.output, block: null };
        if (outcome.outputRef) run.blocks.push(outcome.outputRef);
        const keep = ps.effect !== 'none' && value.view.length <= MAX_JOURNALED_OUTPUT;
        await this.journal(
          {
            type: 'done',
            wf: run.id,
            at: Date.now(),
            step: index,
            key,
            costUsed: outcome.costUsed,
            outputBytes: value.view.length,
            ...(keep
              ? {
                  output: bytesToHex(
                    value.view.buffer instanceof ArrayBuffer ? value.view : value.view.slice(),
                  ),
                  params,
                }
              : {}),
          },
          run.plan,
        );
        run.values[index] = value;
        run.completed.push(index);
        report.status = 'ok';
        report.error = '';
        return null;
      }
      report.error = `${outcome.status}: ${outcome.error}`;
      await this.journal(
        {
          type: 'fail',
          wf: run.id,
          at: Date.now(),
          step: index,
          key,
          attempt,
          costUsed: outcome.costUsed,
          status: outcome.status,
          error: outcome.error,
        },
        run.plan,
      );
      if (attempt < attempts && RETRYABLE.has(outcome.status) && !run.signal?.aborted) {
        await this.sleep(run.plan.workflow.retryBackoffMs * 2 ** (attempt - 1));
        continue;
      }
      report.status = 'failed';
      return { ps, error: report.error };
    }
  }

  private reuse(run: Run, ps: PlannedStep, done: Extract<JournalRecord, { type: 'done' }>): void {
    const bytes = hexToBytes(done.output ?? '');
    let value: Value = { view: bytes, block: null };
    if (bytes.length > 0) {
      const block = this.engine.allocInput(bytes.length);
      block.view.set(bytes);
      run.blocks.push(block);
      value = { view: block.view, block };
    }
    run.values[ps.index] = value;
    run.sentParams[ps.index] ??= done.params ?? {};
    run.completed.push(ps.index);
    run.reports[ps.index]!.status = 'reused';
  }

  private async skip(run: Run, ps: PlannedStep, reason: string): Promise<void> {
    await this.journal({ type: 'skip', wf: run.id, at: Date.now(), step: ps.index, reason }, run.plan);
    run.values[ps.index] = this.source(run, ps.input);
    const r = run.reports[ps.index]!;
    r.status = 'skipped';
    r.error = reason;
  }

  private source(run: Run, s: Source): Value {
    if (s === 'none') return EMPTY;
    if (s === 'workflow') return run.input;
    return run.values[s] ?? EMPTY;
  }

  private scope(run: Run, ps: PlannedStep): RefScope {
    const fields = new Map<Source, OutputFields>();
    const of = (s: Source) => {
      let f = fields.get(s);
      if (!f) fields.set(s, (f = new OutputFields(this.source(run, s).view)));
      return f;
    };
    const byName = new Map(run.plan.steps.map((p) => [p.step.name, p.index]));
    return {
      previous: () => of(ps.previous),
      step: (name) => of(byName.get(name) ?? 'none'),
      vars: run.plan.workflow.vars,
    };
  }

  /** Undoes finished steps in reverse; returns '' or what could not be undone. */
  private async rollback(run: Run, reason: string): Promise<string> {
    await this.journal({ type: 'rollback', wf: run.id, at: Date.now(), reason }, run.plan);
    const left: string[] = [];
    for (const index of [...run.completed].reverse()) {
      const ps = run.plan.steps[index]!;
      const report = run.reports[index]!;
      if (run.prior.get(index)?.compensated) {
        report.status = 'compensated';
        continue;
      }
      const m = this.registry.resolve(ps.step.library, ps.step.method).method;
      if (!m.compensate) continue;
      const value = run.values[index] ?? EMPTY;
      let comp: Compensation | null;
      try {
        comp = m.compensate(run.sentParams[index] ?? {}, value.view);
      } catch (err) {
        left.push(`${ps.step.name}: its compensation could not be built: ${(err as Error).message}`);
        continue;
      }
      if (!comp) continue;
      const key = `${run.id}/${ps.step.name}/undo`;
      let error = '';
      for (let attempt = 1; attempt <= COMPENSATION_ATTEMPTS; attempt++) {
        const budget = Math.max(0, Math.min(ps.costCap, run.plan.budget - run.spent));
        if (budget < 1) {
          error = `no budget left for its compensation (${run.spent} of ${run.plan.budget} credits used)`;
          break;
        }
        await this.journal(
          { type: 'comp-start', wf: run.id, at: Date.now(), step: index, key, budget },
          run.plan,
        );
        const o = await this.engine.submit({
          library: ps.step.library,
          method: comp.method,
          params: JSON.stringify(comp.params),
          budget,
        });
        run.spent += o.costUsed;
        run.copied += o.bytesCopied;
        this.opts.metrics?.observeJob({
          library: ps.step.library,
          method: comp.method,
          ms: o.ms,
          status: o.status,
          costUsed: o.costUsed,
          budget,
          bytesCopied: o.bytesCopied,
          bytesIn: 0,
        });
        if (o.status === 'ok') {
          await this.journal(
            {
              type: 'comp-done',
              wf: run.id,
              at: Date.now(),
              step: index,
              key,
              costUsed: o.costUsed,
            },
            run.plan,
          );
          report.status = 'compensated';
          error = '';
          break;
        }
        error = `${o.status}: ${o.error}`;
        await this.journal(
          {
            type: 'comp-fail',
            wf: run.id,
            at: Date.now(),
            step: index,
            key,
            costUsed: o.costUsed,
            error,
          },
          run.plan,
        );
        if (o.status === 'badInput') break;
      }
      if (error) left.push(`${ps.step.name}: ${error}`);
    }
    return left.join('; ');
  }

  private async finish(
    run: Run,
    ended: { status: WorkflowEnd; error: string },
    started: number,
    recovered: WorkflowResult['recovered'],
    meta: Record<string, unknown>,
    sink: RunOptions['sink'],
  ): Promise<WorkflowResult> {
    let output = new Uint8Array(0);
    if (ended.status === 'committed') {
      const last = run.plan.steps.length - 1;
      const value = run.values[last] ?? this.source(run, run.plan.steps[last]!.previous);
      try {
        if (sink) await sink(value.view);
        else {
          output = value.view.slice();
          run.copied += output.length;
        }
      } catch (err) {
        // The steps' effects stand (the workflow did commit); the caller learns its output was lost.
        return {
          ...(await this.end(
            run,
            'committed',
            `the output could not be delivered: ${(err as Error).message}`,
            started,
            recovered,
            meta,
          )),
        };
      }
    }
    return { ...(await this.end(run, ended.status, ended.error, started, recovered, meta)), output };
  }

  private async end(
    run: Run,
    status: WorkflowEnd,
    error: string,
    started: number,
    recovered: WorkflowResult['recovered'],
    meta: Record<string, unknown>,
  ): Promise<WorkflowResult> {
    await this.journal({ type: 'end', wf: run.id, at: Date.now(), status, error }, run.plan);
    await this.opts.journal?.compact(run.id);
    return this.report(run, status, error, started, recovered, meta);
  }

  private report(
    run: Run,
    status: WorkflowEnd,
    error: string,
    started: number,
    recovered: WorkflowResult['recovered'],
    meta: Record<string, unknown>,
  ): WorkflowResult {
    for (const b of run.blocks.splice(0)) this.engine.release(b);
    this.opts.metrics?.observeWorkflow({
      outcome: status,
      steps: run.reports.filter((r) => r.attempts > 0).length,
      costUsed: run.spent,
      budget: run.plan.budget,
      bytesCopied: run.copied,
    });
    return {
      id: run.id,
      status,
      output: new Uint8Array(0),
      error,
      steps: run.reports,
      costUsed: run.spent,
      budget: run.plan.budget,
      bytesCopied: run.copied,
      ms: this.clock() - started,
      recovered,
      meta,
    };
  }

  /**
   * Appends a record; it is flushed to disk (fdatasync, IndexedDB 'strict') only where a crash could
   * otherwise do harm: records of steps with effects, and the workflow's rollback and end records when
   * it has such steps. A pure step's records are still written before it runs (a killed process loses
   * nothing the kernel holds) but not forced to disk: recovery recomputes pure steps anyway, and the
   * next forced write flushes them in order. Measured by bench:workflow.
   */
  private async journal(record: JournalRecord, plan?: Plan): Promise<void> {
    if (!this.opts.journal) return;
    let durable = true;
    if (plan) {
      const effects = (i: number) => plan.steps[i]!.effect !== 'none';
      durable =
        'step' in record &&
        record.type !== 'comp-start' &&
        record.type !== 'comp-done' &&
        record.type !== 'comp-fail'
          ? effects(record.step)
          : record.type === 'begin'
            ? false
            : plan.steps.some((x) => x.effect !== 'none');
    }
    await this.opts.journal.append(record, durable);
  }
}

interface OpenJob {
  step: number;
  key: string;
  budget: number;
  ref: string | undefined;
  /** A compensation's job (never settled: counted whole). */
  compensation: boolean;
}

function readRecords(records: JournalRecord[]) {
  const prior = new Map<number, Prior>();
  const get = (i: number) => {
    let p = prior.get(i);
    if (!p) prior.set(i, (p = { started: false, compensated: false }));
    return p;
  };
  let spent = 0;
  let rollingBack = false;
  let lastStarted = -1;
  const open = new Map<string, OpenJob>();
  for (const r of records) {
    if (r.type === 'start') {
      get(r.step).started = true;
      lastStarted = Math.max(lastStarted, r.step);
      open.set(r.key, { step: r.step, key: r.key, budget: r.budget, ref: r.ref, compensation: false });
    } else if (r.type === 'done' || r.type === 'fail') {
      if (r.type === 'done') get(r.step).done = r;
      spent += r.costUsed;
      open.delete(r.key);
    } else if (r.type === 'comp-start')
      open.set(r.key, { step: r.step, key: r.key, budget: r.budget, ref: undefined, compensation: true });
    else if (r.type === 'comp-done' || r.type === 'comp-fail') {
      if (r.type === 'comp-done') get(r.step).compensated = true;
      spent += r.costUsed;
      open.delete(r.key);
    } else if (r.type === 'rollback') rollingBack = true;
  }
  // A job that started and left no outcome may have spent all it was given: recover() counts it
  // all unless the engine settles it (WorkflowEngine.settleInFlight), so the resumed run cannot overspend.
  return { prior, spent, open: [...open.values()], rollingBack, lastStarted };
}

function newRef(): string {
  const r = new Uint8Array(16);
  globalThis.crypto.getRandomValues(r);
  return bytesToHex(r);
}

function inlineDescriptor(view: Uint8Array): InputDescriptor {
  if (view.length === 0) return { kind: 'none' };
  if (view.length > MAX_JOURNALED_OUTPUT) return { kind: 'none' };
  return { kind: 'inline', hex: bytesToHex(view.buffer instanceof ArrayBuffer ? view : view.slice()) };
}

export function newWorkflowId(): string {
  const r = new Uint8Array(6);
  globalThis.crypto.getRandomValues(r);
  return `wf-${Date.now().toString(36)}-${bytesToHex(r)}`;
}
