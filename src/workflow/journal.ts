/**
 * The write-ahead journal's records and the one interface both stores implement (a file per
 * workflow for the CLI: file-journal.ts; IndexedDB in the extension: idb-journal.ts).
 *
 * The orchestrator appends a record and waits until it is durable *before* the transition takes
 * effect: `start` before a step's job is submitted, `done` before the next step may use the output,
 * `comp-start` before a compensation runs, `end` before the caller hears the outcome. After `end` the
 * workflow's records are dropped (compaction). On restart, `unfinished()` returns every workflow with
 * no `end`, and the orchestrator resumes it or rolls it back (orchestrator.ts, `recover`).
 *
 * Each step's idempotency key is `<workflow id>/<step name>`: a key with a `done` record is never run
 * again; its recorded output (kept for steps with effects) stands in for it on resume.
 */
export type WorkflowEnd = 'committed' | 'rolledBack' | 'aborted' | 'failed';

/** Where a resumed workflow finds its input again. */
export type InputDescriptor =
  | { kind: 'none' }
  | { kind: 'inline'; hex: string }
  | { kind: 'file'; path: string; size: number; mtimeMs: number };

interface Base {
  wf: string;
  /** Wall clock, Unix ms. */
  at: number;
}

export type JournalRecord =
  | (Base & {
      type: 'begin';
      /** The definition in its JSON form. */
      def: Record<string, unknown>;
      input: InputDescriptor;
      /** The caller's own notes (e.g. the CLI's --out), returned on recovery. */
      meta: Record<string, unknown>;
    })
  | (Base & {
      type: 'start';
      step: number;
      key: string;
      attempt: number;
      budget: number;
      /** A fresh id for this attempt's job, handed to the engine (a market job's id: its escrow hold). */
      ref?: string;
    })
  | (Base & {
      type: 'done';
      step: number;
      key: string;
      costUsed: number;
      outputBytes: number;
      /** The output as hex and the params as sent, kept for steps with effects (resume and compensation need them). */
      output?: string;
      params?: Record<string, unknown>;
    })
  | (Base & {
      type: 'fail';
      step: number;
      key: string;
      attempt: number;
      costUsed: number;
      status: string;
      error: string;
    })
  | (Base & { type: 'skip'; step: number; reason: string })
  | (Base & { type: 'rollback'; reason: string })
  | (Base & { type: 'comp-start'; step: number; key: string; budget: number })
  | (Base & { type: 'comp-done'; step: number; key: string; costUsed: number })
  | (Base & { type: 'comp-fail'; step: number; key: string; costUsed: number; error: string })
  | (Base & { type: 'end'; status: WorkflowEnd; error: string });

export type JournalRecordType = JournalRecord['type'];

export interface Journal {
  /**
   * Resolves once the record is written (a crash of this process cannot lose it) and, when `durable`
   * (the default), flushed to disk with everything appended before it.
   */
  append(record: JournalRecord, durable?: boolean): Promise<void>;
  /** Records of every workflow that has no `end`, oldest first, each list in append order. */
  unfinished(): Promise<JournalRecord[][]>;
  /** Drops a finished workflow's records. */
  compact(wf: string): Promise<void>;
  close(): Promise<void>;
}

/** Largest output kept in a `done` record (hex doubles it). Addresses and digests are 32-64 bytes. */
export const MAX_JOURNALED_OUTPUT = 64 * 1024;
