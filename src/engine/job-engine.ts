/**
 * The host side of the engine: queues jobs, hands each to an idle worker through its inbox ring
 * (input in an arena block: the worker gets a view, never a copy), collects results from the
 * outboxes, and supervises:
 *
 *  - a job past its limit (the smallest of its timeout, its deadline and its budget — a credit is at
 *    least a CPU millisecond) gets its cancel word set; capsules check it every ~10 ms of work;
 *  - a worker that has not stopped GRACE_MS after that is terminated and replaced, and the job is
 *    reported as timed out / out of budget, charged at most its budget;
 *  - a worker whose heartbeat stops for HEARTBEAT_TIMEOUT_MS (an infinite loop that never reaches a
 *    checkpoint) is replaced the same way.
 *
 * Jobs are dispatched only while the lifecycle is `running`. A pause or suspend leaves queued jobs
 * queued and parks running ones at their next checkpoint (the watchdog stops their clocks meanwhile);
 * they continue on resume, so no job is lost or run twice.
 */
import { BadInputError } from '../capsules/capsule';
import type { PriceBound } from '../capsules/price';
import {
  controlWords,
  CTRL,
  LIFECYCLE_CODE,
  WORKER_SLOT,
  WORKER_STATE,
  workerReadyValue,
  type Layout,
} from '../sab/layout';
import { AdaptiveSpin } from '../sab/adaptive-spin';
import { Arena, workerOwner, type ArenaRef } from '../sab/arena';
import { RingBuffer } from '../sab/ring-buffer';
import { decodeJobResult, encodeJobRequest, type PayloadData } from '../wire';
import { cpuCredits, dataCredits, jobRunMs, PRICED_RUN_FACTOR } from './cost';
import type { JobStatus } from './execute';
import type { CapsuleRegistry } from './registry';

/**
 * What the engine needs of the workers' owner (src/pool's WorkerPool implements it). Declared here so
 * the engine never imports from src/pool, the layer above it.
 */
export interface EngineWorkers {
  readonly sab: SharedArrayBuffer;
  readonly layout: Layout;
  slot(index: number): Int32Array;
  lifecycleCode(): number;
  throttle(): { workers: number; dutyPercent: number; gpu: boolean };
  /** Milliseconds since worker `index`'s heartbeat last moved. */
  silentFor(index: number): number;
  /**
   * Terminates worker `index` and starts a fresh one in its slot (its rings reset). Resolves once the
   * old thread is gone (what `terminate()` gives; immediately where it gives nothing).
   */
  replace(index: number): Promise<void>;
}

export const GRACE_MS = 100;
/**
 * A worker whose WebAssembly memory (the WASM_BYTES its capsules registered) passed this after a job
 * is replaced: WebAssembly memory never shrinks, so a worker that once ran a big job would keep it.
 * A capsule with its own `limits.wasmHighWaterBytes` is judged by that instead (in the worker, which
 * then sets RECYCLE), and one with `wantsRecycle()` can ask for a fresh thread after any job.
 */
export const DEFAULT_WASM_HIGH_WATER_BYTES = 256 * 1024 * 1024;
export const HEARTBEAT_TIMEOUT_MS = 3_000;
/**
 * Longest a worker in the `loading` state (a capsule's `load()` before its first job there) may go
 * without a heartbeat: a library's compile or parse can be one synchronous stretch (Rapier's 4 MB
 * module took over 3 s in Chromium on a busy 2-core machine). The job's clock is stopped meanwhile.
 */
export const LOAD_SILENT_MS = 30_000;
const WATCH_MS = 20;
const RECOVER_AFTER_MS = 50;

export interface JobSubmission {
  library: string;
  method: string;
  /** JSON text; default "{}". */
  params?: string;
  /** Bytes to copy into the arena, or a block from `allocInput` (no copy). */
  input?: Uint8Array | ArenaInput;
  /** Credits; default: the capsule's cost cap. */
  budget?: number;
  /** Absolute Unix ms; 0 or absent: none. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /**
   * Leave the output in its arena block and return it as `outputRef` (no copy out), so it can be the
   * next job's input by reference (workflows). The caller frees it with `release`.
   */
  keepOutput?: boolean;
  /**
   * Queued ahead of every job that is not urgent (behind earlier urgent ones): the extension's paid
   * mesh jobs before its local proof-of-work slices. Running jobs are not interrupted, unless
   * `preemptible`.
   */
  urgent?: boolean;
  /**
   * May be stopped (status `cancelled`, error PREEMPTED) when urgent jobs wait and no worker is free:
   * the extension's local proof-of-work slices (10 s of CPU each), which a paid mesh job otherwise
   * waited behind. A proof search is memoryless, so a stopped slice loses nothing in expectation.
   */
  preemptible?: boolean;
}

/** The error of a preemptible job stopped for an urgent one. */
export const PREEMPTED = 'preempted: an urgent job needed its worker';

export interface ArenaInput {
  ref: ArenaRef;
  view: Uint8Array;
}

export interface JobOutcome {
  id: string;
  status: JobStatus;
  /** A private (non-shared) copy of the output. */
  output: Uint8Array;
  costUsed: number;
  error: string;
  worker: number;
  /** Wall time from dispatch to result. */
  ms: number;
  /** With `keepOutput` and status ok: the output's arena block (then `output` is empty). */
  outputRef?: ArenaInput;
  /**
   * Bytes of input and output this job copied (measured, the design's zero-copy check): the host's
   * copy of the input into the arena and of the output out of it, plus the worker's copy of bytes a
   * capsule returned instead of writing into its output block.
   */
  bytesCopied: number;
}

interface Pending {
  id: string;
  sub: JobSubmission;
  budget: number;
  limitMs: number;
  /** What a watchdog stop at `limitMs` is reported as: the budget's bound, or the time limit's. */
  limitCause: 'budget' | 'timeout';
  /** Where `limitMs` came from, for the stop's message (stopText): its run time, and the price bound in it. */
  limitFrom: 'run' | 'deadline' | 'capsule';
  bound: number | undefined;
  /** Longest a worker may go without a heartbeat while running this job. */
  silentMs: number;
  input: ArenaRef | null;
  ownsInput: boolean;
  inputBytes: number;
  resolve: (o: JobOutcome) => void;
  worker: number;
  ordinal: number;
  dispatchedAt: number;
  cancelledAt: number;
  stopReason: 'timeout' | 'budget' | 'cancelled' | null;
  /** Stopped for an urgent job (`preemptible`). */
  preempted?: boolean;
  copied: number;
}

export class JobEngine {
  private readonly arena: Arena;
  private readonly queue: Pending[] = [];
  private readonly running: Array<Pending | null>;
  private readonly ordinals: number[];
  private readonly inboxes: RingBuffer[];
  private readonly outboxes: RingBuffer[];
  private watch: ReturnType<typeof setInterval> | null = null;
  private seq = 0;
  private closed = false;
  private readonly control: Int32Array;
  private readonly resultSpin = new AdaptiveSpin();
  /** Jobs handed to workers so far, and its value at the last spin (one bounded spin per dispatch). */
  private dispatches = 0;
  private spunAt = -1;
  /** See DEFAULT_WASM_HIGH_WATER_BYTES; a host may lower it (a small device) or raise it. */
  wasmHighWaterBytes = DEFAULT_WASM_HIGH_WATER_BYTES;
  /** Workers replaced for their WebAssembly memory. */
  recycled = 0;
  /**
   * Result frames dropped because they were not the running job's (a replaced thread's late frame):
   * each would otherwise have settled the next job on that worker with another job's result.
   */
  staleResults = 0;
  /** Jobs a worker reported `cancelled` though this host never asked them to stop (settled as internalError). */
  unaskedStops = 0;
  /** The last host anomalies (stale frames, unasked stops), newest last, for logs and tests. */
  readonly anomalies: string[] = [];
  /** Told of each anomaly as it happens (a host's log; test builds print it). */
  onAnomaly?: (message: string) => void;

  private note(message: string): void {
    this.anomalies.push(message);
    if (this.anomalies.length > 50) this.anomalies.shift();
    this.onAnomaly?.(message);
  }

  constructor(
    private readonly pool: EngineWorkers,
    private readonly registry: CapsuleRegistry,
    private readonly clock: () => number = () => performance.now(),
  ) {
    const { sab, layout } = pool;
    this.control = controlWords(sab, layout);
    this.arena = new Arena(sab, layout);
    this.running = Array.from({ length: layout.workers }, () => null);
    this.ordinals = Array.from({ length: layout.workers }, () => 0);
    this.inboxes = Array.from({ length: layout.workers }, (_, i) => RingBuffer.inbox(sab, layout, i));
    this.outboxes = Array.from({ length: layout.workers }, (_, i) => RingBuffer.outbox(sab, layout, i));
  }

  /** Workers held free for urgent jobs (see `reserve`). */
  private reservedWorkers = 0;

  /**
   * Keeps `workers` workers for urgent jobs until the returned function is called: a job that is
   * not urgent starts only on a free worker beyond them (urgent jobs running count toward them).
   * For a chain of short urgent jobs with gaps between them (a workflow's steps, each submitted once
   * the previous one's outcome is journaled): without it, a queued non-urgent job (the extension's
   * next proof-of-work slice) takes the worker in each gap and every step waits a whole slice.
   * A running job is never interrupted.
   */
  reserve(workers: number): () => void {
    const n = Math.max(0, Math.floor(workers));
    this.reservedWorkers += n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedWorkers -= n;
      this.pump();
    };
  }

  /** Holds on preemptible jobs (see `holdPreemptible`). */
  private preemptibleHolds = 0;

  /**
   * Starts no preemptible job (the extension's local proof-of-work slices, the filler) until the
   * returned function is called; every other job (urgent or not) is dispatched as usual, past the
   * held ones in the queue. With `preempt`, preemptible jobs running now are stopped too (status
   * `cancelled`, error PREEMPTED): a slice runs ~10 s, longer than most transfers it would slow.
   * For the offscreen document's chunk transfers (transfer-hold.ts). Holds nest; releasing twice is
   * a no-op.
   */
  holdPreemptible(opts: { preempt?: boolean } = {}): () => void {
    this.preemptibleHolds++;
    if (opts.preempt)
      for (const r of this.running)
        if (r && r.sub.preemptible && !r.sub.urgent && !r.cancelledAt) {
          r.preempted = true;
          this.requestStop(r, 'cancelled');
        }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.preemptibleHolds--;
      this.pump();
    };
  }

  /** Whether preemptible jobs are held now. */
  get preemptibleHeld(): boolean {
    return this.preemptibleHolds > 0;
  }

  /** The queue index of the next job that may start now, or -1 (only held jobs are queued). */
  private nextDispatchable(): number {
    if (this.queue.length === 0) return -1;
    if (this.preemptibleHolds === 0) return 0;
    return this.queue.findIndex((q) => q.sub.urgent || !q.sub.preemptible);
  }

  /** Jobs dispatched and not yet settled (a drain completes when this reaches 0). */
  get inFlight(): number {
    let n = 0;
    for (const p of this.running) if (p) n++;
    return n;
  }

  get queued(): number {
    return this.queue.length;
  }

  get arenaStats() {
    return this.arena.stats();
  }

  /** Frees an output kept with `keepOutput` (or a block from `allocInput` no job owns). */
  release(block: ArenaInput): void {
    this.arena.free(block.ref);
  }

  /** A block for a producer that writes its input straight into shared memory (zero copy). */
  allocInput(bytes: number): ArenaInput {
    const ref = this.arena.alloc(Math.max(1, bytes));
    return { ref, view: this.arena.view(ref).subarray(0, bytes) };
  }

  submit(sub: JobSubmission): Promise<JobOutcome> {
    const id = `job-${++this.seq}`;
    return new Promise<JobOutcome>((resolve) => {
      const reject = (status: JobStatus, error: string) =>
        resolve({
          id,
          status,
          output: new Uint8Array(0),
          costUsed: 0,
          error,
          worker: -1,
          ms: 0,
          bytesCopied: 0,
        });
      if (this.closed) return reject('cancelled', 'the engine is shut down');
      let limits;
      let method;
      try {
        ({ limits, method } = this.registry.resolve(sub.library, sub.method));
      } catch (err) {
        return reject('badInput', err instanceof BadInputError ? err.message : String(err));
      }
      const budget = Math.min(sub.budget ?? limits.costCap, limits.costCap);
      if (!Number.isFinite(budget) || budget < 0)
        return reject('badInput', `budget must be a credit count ≥ 0`);
      const inputBytes = sub.input ? ('ref' in sub.input ? sub.input.view.length : sub.input.length) : 0;
      if (inputBytes > limits.maxInputBytes)
        return reject(
          'badInput',
          `input is ${inputBytes} bytes; ${sub.library}.${sub.method} accepts at most ${limits.maxInputBytes} bytes`,
        );
      let input: ArenaRef | null = null;
      let ownsInput = false;
      try {
        if (sub.input && 'ref' in sub.input) input = sub.input.ref;
        else if (inputBytes > 0) {
          input = this.arena.alloc(inputBytes);
          ownsInput = true;
          this.arena.view(input).set(sub.input as Uint8Array);
        }
      } catch (err) {
        return reject('internalError', `no shared memory for the input: ${String(err)}`);
      }
      const deadlineLeft = sub.deadlineMs ? sub.deadlineMs - Date.now() : Infinity;
      // A credit is at least one CPU millisecond, so the budget also bounds the run time; a priced
      // job's by its price bound (cost.ts jobRunMs).
      const bound =
        method.price && method.priceBound
          ? this.priceBound(method.priceBound, sub, input, inputBytes)
          : undefined;
      const runMs = jobRunMs({ budget, costCap: limits.costCap, bound, maxSilentMs: limits.maxSilentMs });
      const limitMs = Math.min(limits.timeoutMs, deadlineLeft, runMs);
      const p: Pending = {
        id,
        sub,
        budget,
        limitMs,
        // Past a bound its price set (the bound below the budget), the job is a runaway: a timeout.
        limitCause: limitMs === runMs && (bound === undefined || bound >= budget) ? 'budget' : 'timeout',
        limitFrom: limitMs === runMs ? 'run' : limitMs === deadlineLeft ? 'deadline' : 'capsule',
        bound,
        silentMs: Math.max(HEARTBEAT_TIMEOUT_MS, limits.maxSilentMs ?? 0),
        input,
        ownsInput,
        inputBytes,
        resolve,
        worker: -1,
        ordinal: 0,
        dispatchedAt: 0,
        cancelledAt: 0,
        stopReason: null,
        copied: ownsInput ? inputBytes : 0,
      };
      sub.signal?.addEventListener('abort', () => this.cancel(p), { once: true });
      const behind = sub.urgent ? this.queue.findIndex((q) => !q.sub.urgent) : -1;
      if (behind < 0) this.queue.push(p);
      else this.queue.splice(behind, 0, p);
      this.pump();
    });
  }

  /** A job's price bound from its params (as sent) and input; undefined when it cannot be read. */
  private priceBound(
    bound: PriceBound,
    sub: JobSubmission,
    input: ArenaRef | null,
    inputBytes: number,
  ): number | undefined {
    let params: unknown = {};
    try {
      if (sub.params !== undefined && sub.params.trim() !== '') params = JSON.parse(sub.params);
    } catch {
      return undefined; // the worker refuses such params as badInput
    }
    const bytes = input ? this.arena.view(input).subarray(0, inputBytes) : new Uint8Array(0);
    try {
      return bound({ inputBytes: bytes.length, params, input: bytes });
    } catch {
      return undefined;
    }
  }

  private cancel(p: Pending): void {
    const q = this.queue.indexOf(p);
    if (q >= 0) {
      this.queue.splice(q, 1);
      this.settle(p, { status: 'cancelled', error: 'cancelled before it started', costUsed: 0 });
    } else if (p.worker >= 0 && this.running[p.worker] === p) this.requestStop(p, 'cancelled');
  }

  /** The message of a job the watchdog stopped at its run-time limit. */
  private stopText(p: Pending): string {
    const what = p.stopReason === 'budget' ? `the budget of ${p.budget} credits ran out` : 'it ran too long';
    const from =
      p.limitFrom === 'deadline'
        ? "the job's deadline"
        : p.limitFrom === 'capsule'
          ? `the ${p.sub.library} capsule's time limit`
          : p.bound === undefined
            ? `its budget of ${p.budget} credits, 1 ms each`
            : `${PRICED_RUN_FACTOR} × min(its price bound of ${p.bound}, its budget of ${p.budget}) credits + ${p.limitMs - PRICED_RUN_FACTOR * Math.min(p.bound, p.budget)} ms`;
    return `stopped: ${what} (${p.limitMs} ms of run time: ${from})`;
  }

  private requestStop(p: Pending, reason: 'timeout' | 'budget' | 'cancelled'): void {
    if (p.cancelledAt) return;
    p.stopReason = reason;
    p.cancelledAt = this.clock();
    Atomics.store(this.pool.slot(p.worker), WORKER_SLOT.CANCEL_JOB, p.ordinal);
  }

  /** Collects results, dispatches queued jobs, and keeps the watchdog running while work is out. */
  pump(): void {
    this.collect();
    this.dispatch();
    if (this.inFlight > 0 || this.queue.length > 0) this.arm();
  }

  private arm(): void {
    if (!this.watch) this.watch = setInterval(() => this.tick(), WATCH_MS);
    if (this.inFlight > 0) void this.awaitResults();
  }

  private awaiting = false;

  /**
   * Wakes as soon as any worker publishes a result: one waiter on CTRL.OUTBOX_EPOCH for all workers
   * (Atomics.waitAsync: legal on any thread), so one wake-up collects every result published
   * meanwhile, and a worker pays for Atomics.notify only while the host sleeps (HOST_WAITING).
   * After a dispatch it first spins for up to CTRL.HOST_SPIN_US (AdaptiveSpin): on a page, a
   * waitAsync wake-up is a task on the event loop, tens of µs in Chromium.
   */
  private async awaitResults(): Promise<void> {
    if (this.awaiting) return;
    this.awaiting = true;
    try {
      // Let dispatch() hand out every job first: a spin here must not hold back the next worker's.
      await undefined;
      while (this.inFlight > 0 && !this.closed) {
        const seen = Atomics.load(this.control, CTRL.OUTBOX_EPOCH);
        if (this.collect() > 0) {
          this.dispatch();
          continue;
        }
        if (this.spinForResult(seen)) continue;
        // The worker adds to the epoch after its frame is visible and then reads HOST_WAITING: a
        // frame collect() misses below is followed by an add that waitAsync sees or that notifies.
        Atomics.store(this.control, CTRL.HOST_WAITING, 1);
        try {
          if (this.collect() === 0) {
            const r = Atomics.waitAsync(this.control, CTRL.OUTBOX_EPOCH, seen, WATCH_MS * 5);
            if (r.async) await r.value;
          }
        } finally {
          Atomics.store(this.control, CTRL.HOST_WAITING, 0);
        }
        this.collect();
        this.dispatch();
      }
    } finally {
      this.awaiting = false;
    }
  }

  /** One bounded spin per dispatch round; off under an in-use duty cap (the user's CPU comes first). */
  private spinForResult(seen: number): boolean {
    if (this.spunAt === this.dispatches) return false;
    this.spunAt = this.dispatches;
    const us = Atomics.load(this.control, CTRL.HOST_SPIN_US);
    if (us <= 0 || Atomics.load(this.control, CTRL.DUTY_PERCENT) < 100) return false;
    return this.resultSpin.spin(us, () => Atomics.load(this.control, CTRL.OUTBOX_EPOCH) !== seen);
  }

  private tick(): void {
    this.collect();
    this.supervise();
    this.dispatch();
    if (this.inFlight === 0 && (this.queue.length === 0 || this.closed) && this.watch) {
      clearInterval(this.watch);
      this.watch = null;
    }
  }

  private dispatch(): void {
    if (this.closed || this.pool.lifecycleCode() !== LIFECYCLE_CODE.running) return;
    const active = this.pool.throttle().workers;
    const usable = (i: number) =>
      !this.running[i] &&
      !(active > 0 && i >= active) &&
      Atomics.load(this.pool.slot(i), WORKER_SLOT.READY) === workerReadyValue(i);
    // Urgent jobs already running count toward the reserve (a workflow step on one worker leaves the
    // others to anyone, e.g. the chunk store's fanout helpers of that very step).
    let hold = this.reservedWorkers;
    let free = 0;
    if (hold > 0)
      for (let i = 0; i < this.running.length; i++) {
        if (this.running[i]?.sub.urgent) hold--;
        else if (usable(i)) free++;
      }
    for (let i = 0; i < this.running.length && this.queue.length > 0; i++) {
      if (!usable(i)) continue;
      const k = this.nextDispatchable();
      if (k < 0) break; // only held preemptible jobs wait
      // Urgent jobs sort first, so a non-urgent head means none is waiting: keep the reserve free.
      if (hold > 0 && free <= hold && !this.queue[k]!.sub.urgent) return;
      const p = this.queue.splice(k, 1)[0]!;
      const input: PayloadData = p.input
        ? {
            kind: 'arena',
            offset: BigInt(p.input.offset - this.pool.layout.arenaOffset),
            length: BigInt(p.inputBytes),
          }
        : { kind: 'inline', bytes: new Uint8Array(0) };
      let frame: Uint8Array;
      try {
        frame = encodeJobRequest({
          id: p.id,
          library: p.sub.library,
          method: p.sub.method,
          params: p.sub.params ?? '{}',
          budget: BigInt(Math.floor(p.budget)),
          deadlineMs: BigInt(Math.max(0, Math.floor(p.sub.deadlineMs ?? 0))),
          input,
        });
      } catch (err) {
        this.settle(p, {
          status: 'badInput',
          error: `the job cannot be framed: ${String(err)}`,
          costUsed: 0,
        });
        continue;
      }
      if (frame.length > this.inboxes[i]!.maxPayload) {
        // Never throw from dispatch (it runs from timers): refuse this job, keep the engine going.
        this.settle(p, {
          status: 'badInput',
          error: `the job's frame is ${frame.length} bytes; this host's job bus carries at most ${this.inboxes[i]!.maxPayload} (make params smaller)`,
          costUsed: 0,
        });
        continue;
      }
      if (!this.inboxes[i]!.tryWrite(frame)) {
        this.queue.splice(k, 0, p); // back-pressure: try again on the next tick
        return;
      }
      this.ordinals[i] = (this.ordinals[i]! + 1) | 0;
      p.worker = i;
      p.ordinal = this.ordinals[i]!;
      p.dispatchedAt = this.clock();
      this.running[i] = p;
      free--;
      if (p.sub.urgent) hold--;
      this.dispatches++;
      void this.awaitResults();
    }
    this.preempt(active);
  }

  /**
   * Urgent jobs still queued after a dispatch round found no worker: stop as many running
   * preemptible jobs as wait (less those already stopping), on workers the throttle keeps active.
   * The worker sees the cancel at its next checkpoint (≤ 10 ms by the capsule contract) and the
   * urgent job starts there, instead of after the rest of a slice.
   */
  private preempt(active: number): void {
    let waiting = 0;
    for (const q of this.queue) {
      if (!q.sub.urgent) break; // urgent jobs sort first
      waiting++;
    }
    if (waiting === 0) return;
    for (const r of this.running) if (r?.cancelledAt) waiting--;
    for (let i = 0; i < this.running.length && waiting > 0; i++) {
      const r = this.running[i];
      if (!r || !r.sub.preemptible || r.sub.urgent || r.cancelledAt || (active > 0 && i >= active)) continue;
      r.preempted = true;
      this.requestStop(r, 'cancelled');
      waiting--;
    }
  }

  /** Settles every result published so far; returns how many. */
  private collect(): number {
    let collected = 0;
    for (let i = 0; i < this.running.length; i++) {
      const p = this.running[i];
      if (!p) continue;
      const frame = this.outboxes[i]!.tryRead();
      if (!frame) continue;
      let status: JobStatus = 'internalError';
      let error = '';
      let costUsed = 0;
      let output = new Uint8Array(0);
      let outputRef: ArenaInput | undefined;
      let r: ReturnType<typeof decodeJobResult> | null = null;
      try {
        r = decodeJobResult(frame);
      } catch (err) {
        error = `unreadable result from worker ${i}: ${String(err)}`;
      }
      if (r && r.jobId !== p.id) {
        // Not this job's result: a frame from a replaced thread that still runs (a browser's
        // Worker.terminate() lets a thread busy in script run on for up to 2 s: Blink's
        // kForcibleTerminationDelay). Never settle a job with another job's result.
        this.staleResults++;
        this.note(
          `worker ${i}: dropped a result for ${r.jobId || '(no id)'} (${r.status}${r.error ? `: ${r.error}` : ''}) while ${p.id} (ordinal ${p.ordinal}) runs there`,
        );
        continue;
      }
      // Written by the worker before it published this frame (the ring's head store orders it).
      p.copied += Atomics.load(this.pool.slot(i), WORKER_SLOT.COPIED_BYTES);
      if (r)
        try {
          status = r.status;
          error = r.error;
          // The worker sees only "cancel": when the host asked because of the time or the budget, say so.
          if (status === 'cancelled' && (p.stopReason === 'timeout' || p.stopReason === 'budget')) {
            status = p.stopReason === 'timeout' ? 'timeout' : 'budgetExhausted';
            error = this.stopText(p);
          }
          if (status === 'cancelled' && p.preempted) error = PREEMPTED;
          if (status === 'cancelled' && p.stopReason === null) {
            // The worker saw a cancel word this host never wrote for this job: a host bug (another
            // writer of the slot), never a "cancelled" anyone should take as the job's answer.
            const slot = this.pool.slot(i);
            this.unaskedStops++;
            status = 'internalError';
            error = `worker ${i} reported ${p.id} (host ordinal ${p.ordinal}) cancelled though the host asked no stop: slot CURRENT_JOB ${Atomics.load(slot, WORKER_SLOT.CURRENT_JOB)}, CANCEL_JOB ${Atomics.load(slot, WORKER_SLOT.CANCEL_JOB)}, generation ${Atomics.load(slot, WORKER_SLOT.GENERATION)} (the worker said: ${r.error})`;
            this.note(error);
          }
          costUsed = Math.min(p.budget, Number(r.costUsed));
          if (r.output.kind === 'inline') output = r.output.bytes.slice();
          else {
            const ref = {
              offset: this.pool.layout.arenaOffset + Number(r.output.offset),
              length: Number(r.output.length),
            };
            if (p.sub.keepOutput && status === 'ok') {
              outputRef = { ref, view: this.arena.view(ref).subarray(0, ref.length) };
              // The host owns the block now: a later death of this worker must not free it (Arena.recover).
              const slot = this.pool.slot(i);
              Atomics.store(slot, WORKER_SLOT.OUT_UNIT, 0);
              Atomics.store(slot, WORKER_SLOT.OUT_BYTES, 0);
            } else {
              output = this.arena.view(ref).slice();
              p.copied += output.length;
              this.arena.free(ref, this.pool.slot(i));
            }
          }
        } catch (err) {
          status = 'internalError';
          error = `unreadable result from worker ${i}: ${String(err)}`;
        }
      this.running[i] = null;
      collected++;
      this.settle(p, { status, error, costUsed, output, ...(outputRef ? { outputRef } : {}) });
      // Idle now and holding nothing of ours: a worker whose WebAssembly memory grew past the mark
      // (the engine's, or its capsule's own: RECYCLE) or whose capsule asked for a fresh thread
      // starts afresh (its memory is released with its thread).
      const done = this.pool.slot(i);
      if (
        Atomics.load(done, WORKER_SLOT.RECYCLE) === 1 ||
        Atomics.load(done, WORKER_SLOT.WASM_BYTES) > this.wasmHighWaterBytes
      ) {
        this.recycled++;
        this.restart(i);
      }
    }
    return collected;
  }

  private lastSupervised = 0;

  private supervise(): void {
    const now = this.clock();
    // While paused or suspended, running jobs are parked inside their checkpoints: their clocks stop.
    const code = this.pool.lifecycleCode();
    const parked = code === LIFECYCLE_CODE.paused || code === LIFECYCLE_CODE.suspended;
    const since = this.lastSupervised ? now - this.lastSupervised : 0;
    this.lastSupervised = now;
    for (let i = 0; i < this.running.length; i++) {
      const p = this.running[i];
      const silent = this.pool.silentFor(i);
      // A worker loading its capsule's library (capsule.ts `load`): the job's clock has not started.
      const loading = Atomics.load(this.pool.slot(i), WORKER_SLOT.STATE) === WORKER_STATE.loading;
      if (p && !p.cancelledAt && (parked || loading)) p.dispatchedAt += since;
      // A stop asked for mid-load is seen at the job's first checkpoint, once the load is over.
      if (p && p.cancelledAt && loading) p.cancelledAt += since;
      // Under a duty cycle a job needs proportionally more wall time for the same CPU time.
      const duty = Math.max(1, this.pool.throttle().dutyPercent || 100);
      const wallLimit = duty >= 100 ? (p?.limitMs ?? 0) : ((p?.limitMs ?? 0) * 100) / duty + 1_000;
      if (p && !p.cancelledAt && now - p.dispatchedAt > wallLimit) this.requestStop(p, p.limitCause);
      const overdue = p && p.cancelledAt && now - p.cancelledAt > GRACE_MS;
      const silentLimit = loading ? LOAD_SILENT_MS : (p?.silentMs ?? HEARTBEAT_TIMEOUT_MS);
      if (overdue || silent > silentLimit) {
        if (p) {
          this.running[i] = null;
          const status: JobStatus =
            p.stopReason === 'budget'
              ? 'budgetExhausted'
              : p.stopReason === 'cancelled'
                ? 'cancelled'
                : 'timeout';
          const ran = now - p.dispatchedAt;
          if (loading && !p.stopReason) {
            // The job never started: its capsule's library was still loading (a busy machine).
            this.settle(p, {
              status: 'timeout',
              error: `the worker was still loading the ${p.sub.library} library after ${Math.round(silent)} ms without a heartbeat (the machine is busy) and was replaced; the job never started: submit it again`,
              costUsed: 0,
            });
            this.restart(i);
            continue;
          }
          this.settle(p, {
            status: p.stopReason ? status : 'internalError',
            error: p.stopReason
              ? `${p.preempted ? PREEMPTED : p.stopReason === 'cancelled' ? 'stopped: cancelled' : this.stopText(p)}; the worker did not stop within ${GRACE_MS} ms and was replaced`
              : `the worker stopped responding (no heartbeat for ${Math.round(silent)} ms) and was replaced`,
            costUsed: Math.min(p.budget, cpuCredits(ran) + dataCredits(p.inputBytes)),
          });
        }
        if (p || Atomics.load(this.pool.slot(i), WORKER_SLOT.READY) === workerReadyValue(i)) this.restart(i);
      }
    }
  }

  /**
   * Replaces worker i and, once the old thread is really gone, takes back what it held in the arena:
   * the lock if it died holding it, and its output block (the slot's record, captured before the new
   * worker can write there).
   */
  private restart(i: number): void {
    this.replaceWorker(i);
    // The slot and its rings were reset: start counting and caching afresh.
    this.ordinals[i] = 0;
    this.inboxes[i] = RingBuffer.inbox(this.pool.sab, this.pool.layout, i);
    this.outboxes[i] = RingBuffer.outbox(this.pool.sab, this.pool.layout, i);
  }

  private replaceWorker(i: number): void {
    const slot = this.pool.slot(i);
    const owner = workerOwner(i, Atomics.load(slot, WORKER_SLOT.GENERATION));
    const record = new Int32Array(WORKER_SLOT.OUT_BYTES + 1);
    record[WORKER_SLOT.OUT_UNIT] = Atomics.load(slot, WORKER_SLOT.OUT_UNIT);
    record[WORKER_SLOT.OUT_BYTES] = Atomics.load(slot, WORKER_SLOT.OUT_BYTES);
    const gone = this.pool.replace(i);
    void gone
      // A browser Worker's terminate() returns nothing: give its thread a moment to stop.
      .then(() => new Promise((r) => setTimeout(r, RECOVER_AFTER_MS)))
      .then(() => {
        const r = this.arena.recover(owner, record);
        if (r.lockRecovered || r.freedBytes) this.recoveries.push({ worker: i, ...r });
      })
      .catch((err: unknown) => this.recoveries.push({ worker: i, error: String(err) }));
  }

  /** What each replaced worker left behind and was taken back (for tests and diagnostics). */
  readonly recoveries: Array<
    { worker: number } & ({ lockRecovered: boolean; freedBytes: number } | { error: string })
  > = [];

  private settle(
    p: Pending,
    r: { status: JobStatus; error: string; costUsed: number; output?: Uint8Array; outputRef?: ArenaInput },
  ): void {
    if (p.input && p.ownsInput) {
      try {
        this.arena.free(p.input);
      } catch {
        // A replaced worker's slot was reset; the block is still ours to free, but never twice.
      }
      p.input = null;
    }
    p.resolve({
      id: p.id,
      status: r.status,
      output: r.output ?? new Uint8Array(0),
      costUsed: r.costUsed,
      error: r.error,
      worker: p.worker,
      ms: p.dispatchedAt ? this.clock() - p.dispatchedAt : 0,
      ...(r.outputRef ? { outputRef: r.outputRef } : {}),
      bytesCopied: p.copied,
    });
  }

  /** Cancels everything and stops supervising; the pool is disposed by its owner. */
  close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0))
      this.settle(p, { status: 'cancelled', error: 'engine shut down', costUsed: 0 });
    for (const p of this.running) if (p) this.requestStop(p, 'cancelled');
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
  }
}
