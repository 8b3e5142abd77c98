import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/**
 * The background's durable job queue (IndexedDB). A job survives service-worker and browser
 * restarts; one dispatched to a host that then died is found by its deadline and either reissued
 * (mesh jobs, up to MAX_ATTEMPTS) or failed with a reason (local proof-of-work slices, which are
 * simply replaced by fresh ones). Nothing is paid twice: results are accepted once, by job id.
 */
export type JobSource = 'local-pow' | 'mesh' | 'market';
export type QueuedState = 'queued' | 'dispatched' | 'done' | 'failed';

export interface QueuedJob {
  id: string;
  source: JobSource;
  /** Higher runs first. */
  priority: number;
  library: string;
  method: string;
  params: string;
  budget: number;
  /** Unix ms; past it a dispatched job is presumed lost. */
  deadlineMs: number;
  state: QueuedState;
  attempts: number;
  createdAt: number;
  dispatchedAt: number | null;
  /**
   * The offscreen host instance that accepted the job (its `instanceId`), once it replied; null or
   * absent before that and in records written before hosts were tracked.
   */
  host?: string | null;
  finishedAt: number | null;
  /** For done/failed jobs: the engine's status and message. */
  outcome: { status: string; error: string; costUsed: number } | null;
  /**
   * `market` jobs only: a paid job the offscreen document runs for a peer (its inputs and outputs
   * travel over the mesh, never through this queue; it is here so it counts as a held worker). The
   * requester's node id, and the micro-credits its payment booked (absent until paid).
   */
  requester?: string;
  paid?: number;
}

interface QueueSchema extends DBSchema {
  jobs: { key: string; value: QueuedJob; indexes: { state: QueuedState } };
  meta: { key: string; value: unknown };
}

export const QUEUE_DB = 'inos-scheduler';
export const MAX_ATTEMPTS = 3;
/**
 * Finished jobs kept for inspection, per source; older ones are pruned. Per source, so that hundreds
 * of proof-of-work slices never push the paid jobs (what the popup lists with their payments) out.
 */
export const KEEP_FINISHED = 200;

export class JobQueue {
  private constructor(private readonly db: IDBPDatabase<QueueSchema>) {}

  /** Opens the queue in the global IndexedDB (the service worker's; fake-indexeddb in unit tests). */
  static async open(name = QUEUE_DB): Promise<JobQueue> {
    const db = await openDB<QueueSchema>(name, 1, {
      upgrade(d) {
        const jobs = d.createObjectStore('jobs', { keyPath: 'id' });
        jobs.createIndex('state', 'state');
        d.createObjectStore('meta');
      },
    });
    return new JobQueue(db);
  }

  async add(
    job: Omit<QueuedJob, 'state' | 'attempts' | 'dispatchedAt' | 'finishedAt' | 'outcome'>,
  ): Promise<QueuedJob> {
    const full: QueuedJob = {
      ...job,
      state: 'queued',
      attempts: 0,
      dispatchedAt: null,
      finishedAt: null,
      outcome: null,
    };
    await this.db.add('jobs', full);
    return full;
  }

  /**
   * Records a job another component already runs on `host` (a paid mesh job): it enters as
   * dispatched, so it counts against the slots, and is never dispatched from here. A known id is
   * left as it is (a repeated notice). Returns whether it was new.
   */
  async addRunning(
    job: Omit<QueuedJob, 'state' | 'attempts' | 'dispatchedAt' | 'finishedAt' | 'outcome' | 'host'>,
    host: string,
    now: number,
  ): Promise<boolean> {
    const tx = this.db.transaction('jobs', 'readwrite');
    if ((await tx.store.get(job.id)) !== undefined) {
      await tx.done;
      return false;
    }
    await tx.store.put({
      ...job,
      state: 'dispatched',
      attempts: 1,
      dispatchedAt: now,
      host,
      finishedAt: null,
      outcome: null,
    });
    await tx.done;
    return true;
  }

  /** Adds `credits` booked for a job's payment (once: a job already marked paid is left alone). */
  async markPaid(id: string, credits: number): Promise<boolean> {
    const tx = this.db.transaction('jobs', 'readwrite');
    const j = await tx.store.get(id);
    const fresh = j !== undefined && j.paid === undefined;
    if (fresh) await tx.store.put({ ...j, paid: credits });
    await tx.done;
    return fresh;
  }

  /** The newest jobs of one source, newest first. */
  async recent(source: JobSource, n: number): Promise<QueuedJob[]> {
    const all = await this.db.getAll('jobs');
    return all
      .filter((j) => j.source === source)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, n);
  }

  async get(id: string): Promise<QueuedJob | undefined> {
    return this.db.get('jobs', id);
  }

  byState(state: QueuedState): Promise<QueuedJob[]> {
    return this.db.getAllFromIndex('jobs', 'state', state);
  }

  /** The next job to run: highest priority, then earliest deadline; expired queued jobs fail. */
  async next(now: number): Promise<QueuedJob | null> {
    const queued = await this.byState('queued');
    queued.sort(
      (a, b) => b.priority - a.priority || a.deadlineMs - b.deadlineMs || a.createdAt - b.createdAt,
    );
    for (const j of queued) {
      if (j.deadlineMs <= now) {
        await this.finish(
          j.id,
          'failed',
          { status: 'timeout', error: 'deadline passed while queued', costUsed: 0 },
          now,
        );
        continue;
      }
      return j;
    }
    return null;
  }

  async markDispatched(id: string, now: number): Promise<void> {
    const tx = this.db.transaction('jobs', 'readwrite');
    const j = await tx.store.get(id);
    if (j && j.state === 'queued')
      await tx.store.put({
        ...j,
        state: 'dispatched',
        attempts: j.attempts + 1,
        dispatchedAt: now,
        host: null,
      });
    await tx.done;
  }

  /** Records which host instance accepted a dispatched job. */
  async assignHost(id: string, host: string): Promise<void> {
    const tx = this.db.transaction('jobs', 'readwrite');
    const j = await tx.store.get(id);
    if (j && j.state === 'dispatched') await tx.store.put({ ...j, host });
    await tx.done;
  }

  /**
   * A new host instance said hello: every job dispatched to another instance (or to none known) is
   * lost with the old document. Requeues each at once with a fresh deadline while it has attempts
   * left (a result that still arrives for it is accepted once, by id, so nothing is paid twice);
   * fails the rest. Returns how many were requeued.
   */
  async requeueLost(host: string, now: number): Promise<number> {
    let requeued = 0;
    for (const j of await this.byState('dispatched')) {
      if (j.host === host) continue;
      if (j.source === 'market') {
        // Its requester reissues it elsewhere (this host can't: the inputs were the peer's).
        await this.finish(
          j.id,
          'failed',
          { status: 'internalError', error: 'its host went away; the requester reissues it', costUsed: 0 },
          now,
        );
        continue;
      }
      if (j.attempts < MAX_ATTEMPTS) {
        await this.db.put('jobs', {
          ...j,
          state: 'queued',
          dispatchedAt: null,
          host: null,
          deadlineMs: now + (j.deadlineMs - j.createdAt),
        });
        requeued++;
      } else
        await this.finish(
          j.id,
          'failed',
          { status: 'internalError', error: 'its host went away (attempts exhausted)', costUsed: 0 },
          now,
        );
    }
    return requeued;
  }

  /**
   * Records a result once. Returns the job as it was when dispatched, or null when the job is unknown
   * or already finished (a duplicate delivery: the caller must not pay again).
   */
  async finish(
    id: string,
    state: 'done' | 'failed',
    outcome: QueuedJob['outcome'],
    now: number,
  ): Promise<QueuedJob | null> {
    const tx = this.db.transaction('jobs', 'readwrite');
    const j = await tx.store.get(id);
    if (!j || j.state === 'done' || j.state === 'failed') {
      await tx.done;
      return null;
    }
    await tx.store.put({ ...j, state, outcome, finishedAt: now });
    await tx.done;
    return j;
  }

  /** Dispatched jobs past their deadline: reissue mesh jobs with attempts left, fail the rest. */
  async reapLost(now: number): Promise<number> {
    let reaped = 0;
    for (const j of await this.byState('dispatched')) {
      if (j.deadlineMs > now) continue;
      reaped++;
      if (j.source === 'mesh' && j.attempts < MAX_ATTEMPTS)
        await this.db.put('jobs', {
          ...j,
          state: 'queued',
          dispatchedAt: null,
          deadlineMs: now + (j.deadlineMs - j.createdAt),
        });
      else
        await this.finish(
          j.id,
          'failed',
          { status: 'timeout', error: 'no result before the deadline (host restarted?)', costUsed: 0 },
          now,
        );
    }
    return reaped;
  }

  /** Deletes finished jobs beyond the newest KEEP_FINISHED of each source. */
  async prune(): Promise<void> {
    const finished = [...(await this.byState('done')), ...(await this.byState('failed'))].sort(
      (a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0),
    );
    const kept = new Map<JobSource, number>();
    for (const j of finished) {
      const n = (kept.get(j.source) ?? 0) + 1;
      kept.set(j.source, n);
      if (n > KEEP_FINISHED) await this.db.delete('jobs', j.id);
    }
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key)) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.put('meta', value, key);
  }

  close(): void {
    this.db.close();
  }
}
