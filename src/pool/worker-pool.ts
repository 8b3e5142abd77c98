import { CTRL, CONTROL_WORDS, WORKER_SLOT, workerReadyValue, workerSlot, type Layout } from '../sab/layout';

/** What the pool needs of a Worker, so unit tests can use Node's worker_threads or a fake. */
export interface PoolWorker {
  postMessage(message: unknown): void;
  terminate(): void;
}

export interface WorkerInit {
  kind: 'init';
  sab: SharedArrayBuffer;
  index: number;
}

export interface WorkerSnapshot {
  index: number;
  ready: number;
  expectedReady: number;
  heartbeat: number;
  state: number;
}

/** A worker counts as alive if its heartbeat counter moved within this window (it beats every 250 ms). */
export const WORKER_ALIVE_WINDOW_MS = 2_000;

/** Default pool size: leave one core for the browser itself, never fewer than one worker. */
export function defaultWorkerCount(hardwareConcurrency: number | undefined, max: number): number {
  const cores =
    Number.isFinite(hardwareConcurrency) && (hardwareConcurrency ?? 0) > 0 ? hardwareConcurrency! : 2;
  return Math.max(1, Math.min(max, cores - 1));
}

/**
 * The compute workers of the offscreen document. The buffer is handed over once with postMessage;
 * after that the pool and its workers talk only through shared memory (lifecycle word + epoch,
 * per-worker registry slots; jobs through the rings of src/sab).
 */
export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly control: Int32Array;
  private readonly seen: Array<{ heartbeat: number; at: number }> = [];

  constructor(
    private readonly sab: SharedArrayBuffer,
    private readonly layout: Layout,
    private readonly spawn: (index: number) => PoolWorker,
  ) {
    this.control = new Int32Array(sab, layout.controlOffset, CONTROL_WORDS);
  }

  get size(): number {
    return this.workers.length;
  }

  start(now: number): void {
    for (let i = 0; i < this.layout.workers; i++) {
      const w = this.spawn(i);
      w.postMessage({ kind: 'init', sab: this.sab, index: i } satisfies WorkerInit);
      this.workers.push(w);
      this.seen.push({ heartbeat: -1, at: now });
    }
  }

  /** Publishes a lifecycle code: one store, one epoch bump, one notify wakes every parked worker. */
  setLifecycle(code: number): number {
    Atomics.store(this.control, CTRL.LIFECYCLE, code);
    const epoch = Atomics.add(this.control, CTRL.LIFECYCLE_EPOCH, 1) + 1;
    Atomics.notify(this.control, CTRL.LIFECYCLE_EPOCH);
    return epoch;
  }

  lifecycleCode(): number {
    return Atomics.load(this.control, CTRL.LIFECYCLE);
  }

  snapshot(): WorkerSnapshot[] {
    const out: WorkerSnapshot[] = [];
    for (let i = 0; i < this.workers.length; i++) {
      const slot = workerSlot(this.sab, this.layout, i);
      out.push({
        index: i,
        ready: Atomics.load(slot, WORKER_SLOT.READY),
        expectedReady: workerReadyValue(i),
        heartbeat: Atomics.load(slot, WORKER_SLOT.HEARTBEAT),
        state: Atomics.load(slot, WORKER_SLOT.STATE),
      });
    }
    return out;
  }

  /** Workers that have started and whose heartbeat counter advanced recently. */
  aliveCount(now: number): number {
    let alive = 0;
    for (const s of this.snapshot()) {
      const seen = this.seen[s.index]!;
      if (s.heartbeat !== seen.heartbeat) this.seen[s.index] = { heartbeat: s.heartbeat, at: now };
      if (s.ready === s.expectedReady && now - this.seen[s.index]!.at <= WORKER_ALIVE_WINDOW_MS) alive++;
    }
    return alive;
  }

  jobsDone(): number {
    let n = 0;
    for (let i = 0; i < this.workers.length; i++)
      n += Atomics.load(workerSlot(this.sab, this.layout, i), WORKER_SLOT.JOBS_DONE);
    return n;
  }

  dispose(stopCode: number): void {
    this.setLifecycle(stopCode);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
