/**
 * What the extension keeps about workflows besides the journal: the outcome of each finished one
 * (the journal drops a workflow's records after `end`) and the metrics snapshot, in the extension
 * origin's IndexedDB. The offscreen document writes both; the background reads them directly (same
 * origin), so `workflow/status` answers even while the offscreen document is being recreated.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { JournalRecord, WorkflowEnd } from './journal.ts';
import type { MetricsSnapshot } from './metrics.ts';
import type { StepReport } from './orchestrator.ts';

export const STATE_DB = 'inos-workflow-state';
/** Finished workflows kept for `workflow/status` (oldest dropped first). */
export const RESULTS_KEPT = 100;
/** Largest output returned in a result (hex); bigger outputs are summarised by their size. */
export const RESULT_OUTPUT_MAX = 4096;

/** A finished workflow as the background and the popup see it. */
export interface WorkflowResultView {
  id: string;
  status: WorkflowEnd;
  error: string;
  recovered: 'no' | 'resumed' | 'rolledBack';
  /** Empty when only the journal's `end` was recorded (the document stopped before the full report). */
  steps: StepReport[];
  costUsed: number;
  budget: number;
  bytesCopied: number;
  ms: number;
  /** The last step's output, hex, when it is at most RESULT_OUTPUT_MAX bytes (else ''). */
  outputHex: string;
  outputBytes: number;
  finishedAt: number;
  meta: Record<string, unknown>;
}

/** An unfinished workflow, read from its journal records. */
export interface WorkflowProgress {
  id: string;
  name: string;
  begunAt: number;
  steps: number;
  /** Step indexes with a `done` record, and those started without an outcome yet. */
  done: number[];
  running: number[];
  rollingBack: boolean;
  recovery: string;
}

interface Schema extends DBSchema {
  results: { key: string; value: WorkflowResultView; indexes: { finishedAt: number } };
  metrics: { key: string; value: MetricsSnapshot };
}

export class WorkflowStateStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = STATE_DB): Promise<WorkflowStateStore> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('results', { keyPath: 'id' }).createIndex('finishedAt', 'finishedAt');
        d.createObjectStore('metrics');
      },
    });
    return new WorkflowStateStore(db);
  }

  async putResult(r: WorkflowResultView): Promise<void> {
    const tx = this.db.transaction('results', 'readwrite');
    await tx.store.put(r);
    const count = await tx.store.count();
    if (count > RESULTS_KEPT) {
      let cursor = await tx.store.index('finishedAt').openCursor();
      for (let n = count - RESULTS_KEPT; cursor && n > 0; n--) {
        await cursor.delete();
        cursor = await cursor.continue();
      }
    }
    await tx.done;
  }

  async result(id: string): Promise<WorkflowResultView | undefined> {
    return this.db.get('results', id);
  }

  /** Newest first. */
  async results(limit = RESULTS_KEPT): Promise<WorkflowResultView[]> {
    const all = await this.db.getAllFromIndex('results', 'finishedAt');
    return all.reverse().slice(0, limit);
  }

  async metrics(): Promise<MetricsSnapshot | undefined> {
    return this.db.get('metrics', 'snapshot');
  }

  async putMetrics(s: MetricsSnapshot): Promise<void> {
    await this.db.put('metrics', s, 'snapshot');
  }

  close(): void {
    this.db.close();
  }
}

/** Summarises one unfinished workflow's records (IdbJournal.peek) for status views. */
export function progressOf(records: JournalRecord[]): WorkflowProgress | null {
  const begin = records[0];
  if (begin?.type !== 'begin') return null;
  const def = begin.def as { name?: unknown; steps?: unknown; recovery?: unknown };
  const done = new Set<number>();
  const started = new Set<number>();
  let rollingBack = false;
  for (const r of records) {
    if (r.type === 'start') started.add(r.step);
    else if (r.type === 'done') done.add(r.step);
    else if (r.type === 'fail') started.delete(r.step);
    else if (r.type === 'rollback') rollingBack = true;
  }
  return {
    id: begin.wf,
    name: typeof def.name === 'string' ? def.name : '',
    begunAt: begin.at,
    steps: Array.isArray(def.steps) ? def.steps.length : 0,
    done: [...done].sort((a, b) => a - b),
    running: [...started].filter((s) => !done.has(s)).sort((a, b) => a - b),
    rollingBack,
    recovery: typeof def.recovery === 'string' ? def.recovery : 'resume',
  };
}
