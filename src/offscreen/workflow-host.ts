/**
 * Workflows in the extension: the orchestrator (src/workflow) on the offscreen document's engine,
 * every transition written ahead to IndexedDB (IdbJournal), and the metrics of every job this
 * document runs (workflow steps and the scheduler's jobs alike).
 *
 * On start (a new document: first start, the document closed and recreated, the browser relaunched)
 * it first lists the journal's unfinished workflows and finishes them: resume or roll back per their
 * `recovery` (Orchestrator.recover). A workflow started by message waits until that list is taken, so
 * recovery never picks up a workflow that is running live. Only this document writes the journal;
 * the background reads it (and the results) for `workflow/status`.
 */
import { bytesToHex, hexToBytes } from '../capsules/crypto/hex';
import type { CapsuleRegistry } from '../engine/registry';
import type { WorkflowStart } from '../messaging/protocol';
import {
  IdbJournal,
  Metrics,
  newWorkflowId,
  Orchestrator,
  parseWorkflowJson,
  RESULT_OUTPUT_MAX,
  WorkflowStateStore,
  type InputDescriptor,
  type JobObservation,
  type Journal,
  type JournalRecord,
  type MetricsExport,
  type MetricsSnapshot,
  type WorkflowEngine,
  type WorkflowResult,
  type WorkflowResultView,
} from '../workflow';

/** Metrics are saved at most this often (and after every workflow). */
export const METRICS_SAVE_MS = 1_000;
const MAX_INPUT_BYTES = 64 * 1024;

/** The document's engine (JobEngine): `urgent` submissions, and workers kept for them. */
export interface HostEngine extends WorkflowEngine {
  reserve?(workers: number): () => void;
}

export interface WorkflowHostDeps {
  openJournal?: () => Promise<Journal>;
  openState?: () => Promise<WorkflowStateStore>;
  now?: () => number;
  log?: (msg: string, err?: unknown) => void;
}

export class WorkflowHost {
  private orchestrator: Orchestrator | null = null;
  private reserve: () => () => void = () => () => {};
  /** Workers kept for the workflows running here (released as each ends, and on close). */
  private readonly holds = new Set<() => void>();
  private journal: Journal | null = null;
  private state: WorkflowStateStore | null = null;
  private metrics: Metrics = new Metrics();
  /** Resolves once recovery has listed the journal: live runs may start after that. */
  private listed: Promise<void> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly running = new Map<string, Promise<WorkflowResult>>();
  /** Settles when recovery is over (for tests and diagnostics). */
  recovered: Promise<WorkflowResult[]> = Promise.resolve([]);

  constructor(private readonly deps: WorkflowHostDeps = {}) {}

  private get now() {
    return this.deps.now ?? Date.now;
  }

  /**
   * Opens the journal and the state store, then recovers in the background. Call once the engine is
   * up. Steps go ahead of the scheduler's proof-of-work slices (`urgent`), and while a workflow runs
   * one worker is kept for it (`reserve`), so no slice starts in the gap between two steps: without
   * that, on one worker, every step waited a whole slice (measured in the extension: put → sha256 →
   * a failing step with its rollback took over 57 s with slices, 4.3 s without).
   */
  attach(host: HostEngine, registry: CapsuleRegistry): Promise<void> {
    const reserve = (): (() => void) => {
      const release = host.reserve?.(1);
      if (!release) return () => {};
      this.holds.add(release);
      return () => {
        this.holds.delete(release);
        release();
      };
    };
    this.reserve = reserve;
    const engine: WorkflowEngine = {
      submit: (sub) => host.submit({ ...sub, urgent: true }),
      release: (block) => host.release(block),
      allocInput: (bytes) => host.allocInput(bytes),
      get arenaStats() {
        return host.arenaStats;
      },
    };
    let listed!: () => void;
    const listedJournal = new Promise<void>((r) => (listed = r));
    const ready = (async () => {
      const [journal, state] = await Promise.all([
        (this.deps.openJournal ?? (() => IdbJournal.open()))(),
        (this.deps.openState ?? (() => WorkflowStateStore.open()))(),
      ]);
      this.journal = journal;
      this.state = state;
      const saved = await state.metrics();
      const metrics = new SavingMetrics(saved, () => this.scheduleSave());
      metrics.merge(this.metrics.toJSON()); // jobs that finished while the database opened
      this.metrics = metrics;
      const recording = recordingJournal(journal, (r) => this.recordEnd(r));
      this.orchestrator = new Orchestrator(engine, registry, { journal: recording, metrics: this.metrics });
      const recovery = new Orchestrator(engine, registry, {
        journal: { ...recording, unfinished: () => recording.unfinished().finally(listed) },
        metrics: this.metrics,
      });
      const held = reserve();
      this.recovered = recovery
        .recover((input) => Promise.resolve(loadInput(input)), {
          onResult: (r) =>
            this.saveResult(r).catch((err: unknown) =>
              this.deps.log?.(`workflow ${r.id}: result not saved`, err),
            ),
        })
        .then((results) => {
          if (results.length) this.deps.log?.(`recovered ${results.length} workflow(s) from the journal`);
          return results;
        })
        .catch((err: unknown) => {
          listed();
          this.deps.log?.('workflow recovery failed', err);
          return [];
        })
        .finally(held);
    })();
    this.listed = ready.then(() => listedJournal);
    return ready;
  }

  /** Checks the definition now (a bad one is refused with the reasons); runs it without waiting. */
  async start(req: WorkflowStart): Promise<{ id: string }> {
    if (typeof req?.definition !== 'string')
      throw new TypeError('workflow/start: definition must be the workflow as JSON text');
    if (
      req.inputHex !== undefined &&
      (typeof req.inputHex !== 'string' || !/^([0-9a-f]{2})*$/i.test(req.inputHex))
    )
      throw new TypeError('workflow/start: inputHex must be an even number of hex digits');
    const input = req.inputHex ? hexToBytes(req.inputHex) : new Uint8Array(0);
    if (input.length > MAX_INPUT_BYTES)
      throw new RangeError(
        `workflow/start: the input is ${input.length} bytes; at most ${MAX_INPUT_BYTES} travel by message`,
      );
    const workflow = parseWorkflowJson(req.definition);
    if (!this.listed) throw new Error('the compute host is not running yet');
    await this.listed;
    const orchestrator = this.orchestrator!;
    orchestrator.plan(workflow); // refused here, with its reasons, before anything is journaled
    const id = newWorkflowId();
    const held = this.reserve();
    const run = orchestrator
      .run(workflow, { id, input })
      .finally(held)
      .then(async (r) => {
        await this.saveResult(r).catch((err: unknown) =>
          this.deps.log?.(`workflow ${id}: result not saved`, err),
        );
        return r;
      });
    this.running.set(id, run);
    void run
      .catch((err: unknown) => this.deps.log?.(`workflow ${id} failed to finish`, err))
      .finally(() => this.running.delete(id));
    return { id };
  }

  /** Resolves when the workflow started here finishes and its result is saved (undefined: unknown id). */
  wait(id: string): Promise<WorkflowResult> | undefined {
    return this.running.get(id);
  }

  /** A job the scheduler ran on this document's engine (workflow steps are observed by the orchestrator). */
  observeJob(o: JobObservation): void {
    this.metrics.observeJob(o);
  }

  metricsExport(): MetricsExport {
    return this.metrics.exportJson();
  }

  private scheduleSave(): void {
    if (this.saveTimer || !this.state) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.state
        ?.putMetrics(this.metrics.toJSON())
        .catch((err: unknown) => this.deps.log?.('metrics not saved', err));
    }, METRICS_SAVE_MS);
  }

  /** The journal's `end`: a short result is written before the records go, so no outcome is lost. */
  private async recordEnd(r: Extract<JournalRecord, { type: 'end' }>): Promise<void> {
    await this.state?.putResult({
      id: r.wf,
      status: r.status,
      error: r.error,
      recovered: 'no',
      steps: [],
      costUsed: 0,
      budget: 0,
      bytesCopied: 0,
      ms: 0,
      outputHex: '',
      outputBytes: 0,
      finishedAt: r.at,
      meta: {},
    });
  }

  private async saveResult(r: WorkflowResult): Promise<void> {
    const view: WorkflowResultView = {
      id: r.id,
      status: r.status,
      error: r.error,
      recovered: r.recovered,
      steps: r.steps,
      costUsed: r.costUsed,
      budget: r.budget,
      bytesCopied: r.bytesCopied,
      ms: Math.round(r.ms),
      outputHex: r.output.length <= RESULT_OUTPUT_MAX ? bytesToHex(r.output) : '',
      outputBytes: r.output.length,
      finishedAt: this.now(),
      meta: r.meta,
    };
    await this.state?.putResult(view);
    await this.state?.putMetrics(this.metrics.toJSON());
  }

  close(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    for (const release of [...this.holds]) release();
    this.holds.clear();
    this.state?.close();
    void this.journal?.close();
  }
}

/** Metrics that ask to be saved after every observation (the save itself is debounced). */
class SavingMetrics extends Metrics {
  constructor(
    snapshot: MetricsSnapshot | undefined,
    private readonly changed: () => void,
  ) {
    super(snapshot);
  }

  override observeJob(o: JobObservation): void {
    super.observeJob(o);
    this.changed();
  }

  override observeWorkflow(o: Parameters<Metrics['observeWorkflow']>[0]): void {
    super.observeWorkflow(o);
    this.changed();
  }

  override observeArena(efficiency: number): void {
    super.observeArena(efficiency);
    this.changed();
  }
}

/** The journal, with a hook that runs (and is awaited) when a workflow's `end` is appended. */
function recordingJournal(
  journal: Journal,
  onEnd: (r: Extract<JournalRecord, { type: 'end' }>) => Promise<void>,
): Journal {
  return {
    async append(record, durable) {
      await journal.append(record, durable);
      if (record.type === 'end') await onEnd(record);
    },
    unfinished: () => journal.unfinished(),
    compact: (wf) => journal.compact(wf),
    close: () => journal.close(),
  };
}

/** Inputs travel inline (≤ 64 KiB) in the `begin` record; nothing else can be found again here. */
function loadInput(input: InputDescriptor): Uint8Array | null {
  if (input.kind === 'inline') return hexToBytes(input.hex);
  return null;
}
