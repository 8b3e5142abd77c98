import {
  CTRL,
  CONTROL_WORDS,
  DISPATCH_SPIN_DEFAULTS,
  DISPATCH_SPIN_MAX_US,
  WORKER_SLOT,
  WORKER_STATE,
  workerReadyValue,
  workerSlot,
  type Layout,
} from '../sab/layout';
import { RingBuffer } from '../sab/ring-buffer';
import type { WorkerInit } from '../engine/job-worker';

export type { WorkerInit } from '../engine/job-worker';

/** What the pool needs of a Worker, so Node's worker_threads and browser Workers both fit. */
export interface PoolWorker {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): void | Promise<unknown>;
}

export interface WorkerSnapshot {
  index: number;
  ready: number;
  expectedReady: number;
  heartbeat: number;
  state: number;
  generation: number;
  jobsDone: number;
}

/** A worker counts as alive if its heartbeat counter moved within this window (it beats every ≤ 250 ms). */
export const WORKER_ALIVE_WINDOW_MS = 2_000;

/** Default pool size: leave one core for the browser itself, never fewer than one worker. */
export function defaultWorkerCount(hardwareConcurrency: number | undefined, max: number): number {
  const cores =
    Number.isFinite(hardwareConcurrency) && (hardwareConcurrency ?? 0) > 0 ? hardwareConcurrency! : 2;
  return Math.max(1, Math.min(max, cores - 1));
}

/**
 * The compute workers. The buffer is handed over once with postMessage; after that the pool and its
 * workers talk only through shared memory. A worker that hangs is replaced in its slot: the old one
 * is terminated, the slot and its two rings are reset, and a new worker starts with a higher
 * generation.
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly control: Int32Array;
  private readonly seen: Array<{ heartbeat: number; at: number }> = [];
  replacements = 0;

  constructor(
    readonly sab: SharedArrayBuffer,
    readonly layout: Layout,
    private readonly spawn: (index: number) => PoolWorker,
    /** More fields for each worker's init message (a port of its own), with what to transfer. */
    private readonly initExtra?: (index: number) => {
      fields: Record<string, unknown>;
      transfer: Transferable[];
    },
  ) {
    this.control = new Int32Array(sab, layout.controlOffset, CONTROL_WORDS);
  }

  get size(): number {
    return this.workers.length;
  }

  start(): void {
    this.setThrottle(this.layout.workers, 100);
    this.setDispatchSpin(DISPATCH_SPIN_DEFAULTS);
    const now = performance.now();
    for (let i = 0; i < this.layout.workers; i++) {
      this.workers.push(this.launch(i, 0));
      this.seen.push({ heartbeat: -1, at: now });
    }
  }

  private launch(index: number, generation: number): PoolWorker {
    const w = this.spawn(index);
    const extra = this.initExtra?.(index);
    const init: WorkerInit = { kind: 'init', sab: this.sab, index, generation };
    if (extra) w.postMessage({ ...extra.fields, ...init }, extra.transfer);
    else w.postMessage(init);
    return w;
  }

  /**
   * Terminates worker `index` and starts a fresh one in its slot. The caller must have settled the
   * job the old worker held; frames still in its inbox are discarded with the reset rings.
   */
  replace(index: number): Promise<void> {
    const now = performance.now();
    const old = this.workers[index];
    if (!old) throw new RangeError(`no worker ${index}`);
    const gone = Promise.resolve(old.terminate()).then(() => undefined);
    const slot = workerSlot(this.sab, this.layout, index);
    const generation = Atomics.load(slot, WORKER_SLOT.GENERATION) + 1;
    // First: the old thread may run on for a while (a browser's terminate() gives a thread busy in
    // script up to 2 s), and it checks this word before it reads its inbox, at every checkpoint and
    // before it publishes: from here on it stops without touching the slot's rings (job-worker.ts).
    Atomics.store(slot, WORKER_SLOT.GENERATION, generation);
    Atomics.store(slot, WORKER_SLOT.READY, 0);
    Atomics.store(slot, WORKER_SLOT.STATE, WORKER_STATE.starting);
    Atomics.store(slot, WORKER_SLOT.CANCEL_JOB, 0);
    Atomics.store(slot, WORKER_SLOT.CURRENT_JOB, 0);
    Atomics.store(slot, WORKER_SLOT.OUT_UNIT, 0);
    Atomics.store(slot, WORKER_SLOT.OUT_BYTES, 0);
    Atomics.store(slot, WORKER_SLOT.WASM_BYTES, 0);
    Atomics.store(slot, WORKER_SLOT.RECYCLE, 0);
    RingBuffer.init(
      this.sab,
      RingBuffer.inbox(this.sab, this.layout, index).byteOffset,
      this.layout.ringBytes,
    );
    RingBuffer.init(
      this.sab,
      RingBuffer.outbox(this.sab, this.layout, index).byteOffset,
      this.layout.ringBytes,
    );
    this.workers[index] = this.launch(index, generation);
    this.seen[index] = { heartbeat: Atomics.load(slot, WORKER_SLOT.HEARTBEAT), at: now };
    this.replacements++;
    return gone;
  }

  /** Publishes a lifecycle code: one store, one epoch bump, one notify wakes every parked worker. */
  setLifecycle(code: number): number {
    Atomics.store(this.control, CTRL.LIFECYCLE, code);
    const epoch = Atomics.add(this.control, CTRL.LIFECYCLE_EPOCH, 1) + 1;
    Atomics.notify(this.control, CTRL.LIFECYCLE_EPOCH);
    return epoch;
  }

  /**
   * Limits how many workers take jobs (the rest park) and what share of each ~1 s cycle they run.
   * Bumps the lifecycle epoch as well so workers parked between jobs re-read it at once.
   */
  setThrottle(workers: number, dutyPercent: number, gpu = false): void {
    const w = Math.max(1, Math.min(this.layout.workers, Math.floor(workers)));
    const d = Math.max(1, Math.min(100, Math.round(dutyPercent)));
    Atomics.store(this.control, CTRL.ACTIVE_WORKERS, w);
    Atomics.store(this.control, CTRL.DUTY_PERCENT, d);
    Atomics.store(this.control, CTRL.GPU_ALLOWED, gpu ? 1 : 0);
    Atomics.add(this.control, CTRL.THROTTLE_EPOCH, 1);
    Atomics.notify(this.control, CTRL.THROTTLE_EPOCH);
    Atomics.add(this.control, CTRL.LIFECYCLE_EPOCH, 1);
    Atomics.notify(this.control, CTRL.LIFECYCLE_EPOCH);
  }

  /**
   * The bounded spins of the dispatch path (CTRL.WORKER_SPIN_US, HOST_SPIN_US), in µs per job; 0
   * turns one off. Workers read theirs after each job, the engine after each dispatch.
   */
  setDispatchSpin(spin: { workerUs: number; hostUs: number }): void {
    for (const [name, v] of Object.entries(spin))
      if (!Number.isInteger(v) || v < 0 || v > DISPATCH_SPIN_MAX_US)
        throw new RangeError(
          `setDispatchSpin: ${name} must be an integer number of µs in 0..${DISPATCH_SPIN_MAX_US}; got ${String(v)}`,
        );
    Atomics.store(this.control, CTRL.WORKER_SPIN_US, spin.workerUs);
    Atomics.store(this.control, CTRL.HOST_SPIN_US, spin.hostUs);
  }

  dispatchSpin(): { workerUs: number; hostUs: number } {
    return {
      workerUs: Atomics.load(this.control, CTRL.WORKER_SPIN_US),
      hostUs: Atomics.load(this.control, CTRL.HOST_SPIN_US),
    };
  }

  throttle(): { workers: number; dutyPercent: number; gpu: boolean } {
    return {
      workers: Atomics.load(this.control, CTRL.ACTIVE_WORKERS),
      dutyPercent: Atomics.load(this.control, CTRL.DUTY_PERCENT),
      gpu: Atomics.load(this.control, CTRL.GPU_ALLOWED) === 1,
    };
  }

  lifecycleCode(): number {
    return Atomics.load(this.control, CTRL.LIFECYCLE);
  }

  slot(index: number): Int32Array {
    return workerSlot(this.sab, this.layout, index);
  }

  snapshot(): WorkerSnapshot[] {
    const out: WorkerSnapshot[] = [];
    for (let i = 0; i < this.workers.length; i++) {
      const slot = this.slot(i);
      out.push({
        index: i,
        ready: Atomics.load(slot, WORKER_SLOT.READY),
        expectedReady: workerReadyValue(i),
        heartbeat: Atomics.load(slot, WORKER_SLOT.HEARTBEAT),
        state: Atomics.load(slot, WORKER_SLOT.STATE),
        generation: Atomics.load(slot, WORKER_SLOT.GENERATION),
        jobsDone: Atomics.load(slot, WORKER_SLOT.JOBS_DONE),
      });
    }
    return out;
  }

  /**
   * Milliseconds since worker `index`'s heartbeat counter last moved (as seen by this thread). Always
   * on this thread's monotonic clock, whatever clock the caller uses, so callers cannot mix bases.
   */
  silentFor(index: number): number {
    const now = performance.now();
    const hb = Atomics.load(this.slot(index), WORKER_SLOT.HEARTBEAT);
    const seen = this.seen[index]!;
    if (hb !== seen.heartbeat) this.seen[index] = { heartbeat: hb, at: now };
    return now - this.seen[index]!.at;
  }

  /** Workers that have started and whose heartbeat counter advanced recently. */
  aliveCount(): number {
    let alive = 0;
    for (let i = 0; i < this.workers.length; i++) {
      const ready = Atomics.load(this.slot(i), WORKER_SLOT.READY) === workerReadyValue(i);
      if (ready && this.silentFor(i) <= WORKER_ALIVE_WINDOW_MS) alive++;
    }
    return alive;
  }

  /** Milliseconds all workers spent running jobs, summed (wrapping Int32: compare differences). */
  busyMs(): number {
    let n = 0;
    for (let i = 0; i < this.workers.length; i++) n = (n + Atomics.load(this.slot(i), WORKER_SLOT.LOAD)) | 0;
    return n;
  }

  jobsDone(): number {
    let n = 0;
    for (let i = 0; i < this.workers.length; i++) n += Atomics.load(this.slot(i), WORKER_SLOT.JOBS_DONE);
    return n;
  }

  async dispose(stopCode: number): Promise<void> {
    this.setLifecycle(stopCode);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
