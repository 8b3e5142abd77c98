/**
 * The body of every compute worker (browser Worker or Node worker_thread). It receives the shared
 * buffer once; from then on it talks only through shared memory:
 *
 *   inbox ring  → JobRequest frames (input as an arena reference: a view, never a copy)
 *   outbox ring ← JobResult frames (output in an arena block this worker allocated; the host frees it)
 *   registry slot: READY, STATE, HEARTBEAT (every ≤ 250 ms, also from inside jobs via checkpoints),
 *                  JOBS_DONE, CURRENT_JOB (ordinal of the frame being run), CANCEL_JOB (host → worker)
 *   control: LIFECYCLE word; parked workers sleep on LIFECYCLE_EPOCH
 *
 * Jobs are taken only while the lifecycle is `running`. Pause and suspend also act inside a job: the
 * next checkpoint parks the worker there (its clock stops, nothing is charged) until the lifecycle
 * changes; drain lets the running job finish and takes no new one; `stopped` ends the loop. Nothing is
 * dropped: a paused worker leaves frames in its inbox until it resumes.
 */
import type { Capsule, CapsuleServices } from '../capsules/capsule';
import { execute } from './execute';
import { CapsuleRegistry } from './registry';
import { Arena, workerOwner, type ArenaRef } from '../sab/arena';
import {
  assertLayout,
  checkCapsuleTable,
  CONTROL_WORDS,
  CTRL,
  LIFECYCLE_CODE,
  WORKER_SLOT,
  WORKER_STATE,
  workerReadyValue,
  workerSlot,
} from '../sab/layout';
import { RingBuffer } from '../sab/ring-buffer';
import {
  decodeJobRequest,
  encodeJobResult,
  FrameError,
  type JobRequestData,
  type JobResultData,
} from '../wire';

export interface WorkerInit {
  kind: 'init';
  sab: SharedArrayBuffer;
  index: number;
  /** Incremented each time the host replaces a worker in this slot. */
  generation: number;
}

export interface WorkerEnv {
  capsules: readonly Capsule[];
  services?: CapsuleServices;
}

const PARK_MS = 250;
const BEAT_EVERY_MS = 100;
/** The duty cycle's period: a worker runs its share of each cycle and parks for the rest. */
export const DUTY_CYCLE_MS = 1_000;

export async function runWorker(init: WorkerInit, env: WorkerEnv): Promise<void> {
  const { sab, index } = init;
  const layout = assertLayout(sab);
  const slot = workerSlot(sab, layout, index);
  const control = new Int32Array(sab, layout.controlOffset, CONTROL_WORDS);
  const inbox = RingBuffer.inbox(sab, layout, index);
  const outbox = RingBuffer.outbox(sab, layout, index);
  const arena = new Arena(sab, layout, { owner: workerOwner(index, init.generation) });
  const registry = new CapsuleRegistry(env.capsules);
  // Throws (the host sees no READY and no heartbeat) when the host serves other capsules.
  const tableIndex = checkCapsuleTable(sab, layout, env.capsules);
  let ordinal = Atomics.load(slot, WORKER_SLOT.CURRENT_JOB);
  /**
   * True once the host replaced this thread (WorkerPool.replace bumps the slot's generation first).
   * A browser's Worker.terminate() lets a thread that is running script go on for up to 2 s (Blink's
   * kForcibleTerminationDelay): meanwhile the slot, its rings and its cancel word belong to the new
   * worker, so this one stops its job, takes no frame and publishes nothing. Without it, such a
   * thread saw the new worker's cancel word (ordinals restart at 1) and published "stopped:
   * cancelled" into the new outbox, where it settled the next job — a paid mesh job — as cancelled.
   */
  const retired = () => Atomics.load(slot, WORKER_SLOT.GENERATION) !== init.generation;
  let lastBeat = 0;
  let cycleStart = performance.now();
  /** Time spent parked by the duty cycle inside jobs: not CPU time, so never charged. */
  let parkedMs = 0;
  /** Start of the current stretch of job work not yet added to the LOAD word; -1: no job running. */
  let busyFrom = -1;
  let busyCarry = 0;
  /**
   * Every WebAssembly memory a job registered (ctx.trackMemory), held weakly (instances may be
   * dropped), with the high-water mark of the capsule that registered it (undefined: the engine's).
   */
  const wasmMemories: Array<{ ref: WeakRef<WebAssembly.Memory>; mark: number | undefined }> = [];
  const seenMemories = new WeakSet<WebAssembly.Memory>();
  /** Capsules whose `load()` has succeeded on this thread. */
  const loadedLibraries = new Set<string>();
  /**
   * After each job: WASM_BYTES = the memories under the engine's worker-wide mark (the host compares),
   * RECYCLE = 1 when a memory passed its own capsule's mark or the job's capsule wants a new thread.
   */
  const reportRecycle = (library: string) => {
    let total = 0;
    let over = false;
    for (let k = wasmMemories.length - 1; k >= 0; k--) {
      const { ref, mark } = wasmMemories[k]!;
      const m = ref.deref();
      if (!m) wasmMemories.splice(k, 1);
      else if (mark === undefined) total += m.buffer.byteLength;
      else if (m.buffer.byteLength > mark) over = true;
    }
    let wants = false;
    try {
      wants = registry.get(library)?.wantsRecycle?.() === true;
    } catch {
      wants = true; // a capsule that cannot tell is not trusted with the next job
    }
    Atomics.store(slot, WORKER_SLOT.WASM_BYTES, Math.min(total, 0x7fffffff));
    Atomics.store(slot, WORKER_SLOT.RECYCLE, over || wants ? 1 : 0);
  };
  const flushBusy = (now: number) => {
    if (busyFrom < 0) return;
    const ms = now - busyFrom + busyCarry;
    const whole = Math.floor(ms);
    busyCarry = ms - whole;
    if (whole > 0) Atomics.add(slot, WORKER_SLOT.LOAD, whole);
    busyFrom = now;
  };

  const beat = () => {
    const now = performance.now();
    if (now - lastBeat >= BEAT_EVERY_MS) {
      lastBeat = now;
      flushBusy(now);
      Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
    }
  };
  /**
   * The duty cycle: after running `duty`% of the current cycle, park (Atomics.wait) for the rest of
   * it. Called between jobs and from every checkpoint, so a capsule that checks in every ~10 ms
   * tracks the cap within about that much per cycle. A throttle change wakes a parked worker at once.
   */
  const dutyGate = () => {
    beat();
    let now = performance.now();
    // Paused or suspended mid-job: park right here (the job keeps its place and is not charged),
    // so the CPU goes quiet within one checkpoint interval instead of at the end of the slice.
    for (;;) {
      const code = Atomics.load(control, CTRL.LIFECYCLE);
      if (code !== LIFECYCLE_CODE.paused && code !== LIFECYCLE_CODE.suspended) break;
      const epoch = Atomics.load(control, CTRL.LIFECYCLE_EPOCH);
      Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
      flushBusy(now);
      Atomics.wait(control, CTRL.LIFECYCLE_EPOCH, epoch, PARK_MS);
      const after = performance.now();
      parkedMs += after - now;
      if (busyFrom >= 0) busyFrom = after;
      now = after;
      cycleStart = now;
    }
    const duty = Atomics.load(control, CTRL.DUTY_PERCENT);
    if (now - cycleStart >= DUTY_CYCLE_MS) cycleStart = now;
    if (duty <= 0 || duty >= 100) return;
    const onMs = (DUTY_CYCLE_MS * duty) / 100;
    while (now - cycleStart >= onMs && now - cycleStart < DUTY_CYCLE_MS) {
      const epoch = Atomics.load(control, CTRL.THROTTLE_EPOCH);
      const rest = Math.min(PARK_MS, DUTY_CYCLE_MS - (now - cycleStart));
      Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
      flushBusy(now);
      Atomics.wait(control, CTRL.THROTTLE_EPOCH, epoch, rest);
      const after = performance.now();
      parkedMs += after - now;
      if (busyFrom >= 0) busyFrom = after;
      now = after;
      if (Atomics.load(control, CTRL.THROTTLE_EPOCH) !== epoch) break;
    }
    if (now - cycleStart >= DUTY_CYCLE_MS) cycleStart = now;
  };
  const setState = (s: number) => {
    Atomics.store(slot, WORKER_SLOT.STATE, s);
    Atomics.add(slot, WORKER_SLOT.EPOCH, 1);
  };

  Atomics.store(slot, WORKER_SLOT.GENERATION, init.generation);
  setState(WORKER_STATE.idle);
  Atomics.store(slot, WORKER_SLOT.READY, workerReadyValue(index));
  Atomics.add(control, CTRL.WORKERS_READY, 1);

  for (;;) {
    if (retired()) return;
    const epoch = Atomics.load(control, CTRL.LIFECYCLE_EPOCH);
    const code = Atomics.load(control, CTRL.LIFECYCLE);
    Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
    if (code === LIFECYCLE_CODE.stopped) {
      setState(WORKER_STATE.stopped);
      return;
    }
    const active = Atomics.load(control, CTRL.ACTIVE_WORKERS);
    if (code !== LIFECYCLE_CODE.running || (active > 0 && index >= active)) {
      // Paused, draining, suspended, or throttled out: take no job. A throttle change bumps the
      // lifecycle epoch too, so this wakes for either.
      setState(WORKER_STATE.idle);
      Atomics.wait(control, CTRL.LIFECYCLE_EPOCH, epoch, PARK_MS);
      continue;
    }
    const frame = retired() ? null : inbox.tryRead();
    if (retired()) return;
    if (!frame) {
      inbox.waitReadable(PARK_MS);
      continue;
    }
    ordinal = (ordinal + 1) | 0;
    Atomics.store(slot, WORKER_SLOT.CURRENT_JOB, ordinal);
    setState(WORKER_STATE.busy);
    busyFrom = performance.now();
    dutyGate();
    Atomics.store(slot, WORKER_SLOT.COPIED_BYTES, 0);
    const result = await runOne(frame, ordinal);
    if (retired()) return;
    flushBusy(performance.now());
    busyFrom = -1;
    // Before the result is published: the host reads it when it collects the result.
    reportRecycle(result.library);
    Atomics.store(slot, WORKER_SLOT.CAPSULE, 0);
    if (result.data.status === 'internalError') Atomics.add(slot, WORKER_SLOT.ERRORS, 1);
    const bytes = encodeJobResult(result.data);
    // Back-pressure: the host drains the outbox; wait rather than drop a result.
    while (!outbox.write(bytes, PARK_MS)) {
      if (retired()) return;
      beat();
    }
    Atomics.add(slot, WORKER_SLOT.JOBS_DONE, 1);
    // After the ring's HEAD store, so a host that saw the old epoch and then found no frame sleeps
    // only if this add comes later, and then it has set HOST_WAITING first (all seq-cst).
    Atomics.add(control, CTRL.OUTBOX_EPOCH, 1);
    if (Atomics.load(control, CTRL.HOST_WAITING) !== 0) Atomics.notify(control, CTRL.OUTBOX_EPOCH);
    setState(WORKER_STATE.idle);
    // Linger: the host often answers a result with the next job within µs, and a futex sleep and
    // wake costs tens of µs. Bounded per job (never while idle) and off under an in-use duty cap.
    const linger = Atomics.load(control, CTRL.WORKER_SPIN_US);
    if (linger > 0 && Atomics.load(control, CTRL.DUTY_PERCENT) >= 100) inbox.spinReadable(linger);
  }

  /**
   * A capsule's library is loaded on its first job in this worker (capsule.ts `load`), in the
   * `loading` state: the host stops the job's clock and allows LOAD_SILENT_MS of silence meanwhile.
   * A timer keeps the heartbeat while the load awaits; a failed load is left for the job to report.
   */
  async function loadLibrary(library: string): Promise<void> {
    const capsule = registry.get(library);
    if (!capsule?.load || loadedLibraries.has(library)) return;
    setState(WORKER_STATE.loading);
    const timer = setInterval(() => Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1), BEAT_EVERY_MS);
    try {
      await capsule.load();
      loadedLibraries.add(library);
    } catch {
      // The job's own run loads again and reports the error.
    } finally {
      clearInterval(timer);
      Atomics.add(slot, WORKER_SLOT.HEARTBEAT, 1);
      setState(WORKER_STATE.busy);
    }
  }

  async function runOne(
    frame: Uint8Array,
    myOrdinal: number,
  ): Promise<{ data: JobResultData; library: string }> {
    let req: JobRequestData;
    try {
      req = decodeJobRequest(frame);
    } catch (err) {
      const msg = err instanceof FrameError ? err.message : String(err);
      return { data: failed('', 'badInput', `malformed job frame: ${msg}`), library: '' };
    }
    const library = req.library;
    const mark = registry.get(library)?.limits.wasmHighWaterBytes;
    let input: Uint8Array;
    try {
      input =
        req.input.kind === 'inline'
          ? req.input.bytes
          : arena.view({
              offset: layout.arenaOffset + Number(req.input.offset),
              length: Number(req.input.length),
            });
    } catch (err) {
      return {
        data: failed(req.id, 'badInput', `job input reference is invalid: ${String(err)}`),
        library,
      };
    }
    let out: ArenaRef | null = null;
    Atomics.store(slot, WORKER_SLOT.CAPSULE, (tableIndex.get(req.library) ?? -1) + 1);
    await loadLibrary(library);
    const outcome = await execute(registry, {
      library: req.library,
      method: req.method,
      params: req.params,
      input,
      budget: Number(
        req.budget > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : req.budget,
      ),
      deadlineMs: Number(req.deadlineMs),
      allocOutput(n) {
        if (n === 0) return new Uint8Array(0);
        // Recorded in this worker's slot, so a supervisor that kills us mid-job frees it.
        out = arena.alloc(n, slot);
        return arena.view(out);
      },
      cancelled: () => Atomics.load(slot, WORKER_SLOT.CANCEL_JOB) === myOrdinal || retired(),
      beat: dutyGate,
      onMemory(m) {
        if (seenMemories.has(m)) return;
        seenMemories.add(m);
        wasmMemories.push({ ref: new WeakRef(m), mark });
      },
      services: env.services,
      clock: () => performance.now() - parkedMs,
      wallClock: () => Date.now(),
    });
    Atomics.store(slot, WORKER_SLOT.COPIED_BYTES, Math.min(outcome.copiedBytes ?? 0, 0x7fffffff));
    const ref = out as ArenaRef | null;
    // A retired thread leaves its block to the host's Arena.recover (the slot is the new worker's).
    if (outcome.status !== 'ok' && ref && !retired()) {
      arena.free(ref, slot);
      out = null;
    }
    const outRef = out as ArenaRef | null;
    return {
      library,
      data: {
        jobId: req.id,
        status: outcome.status,
        output: outRef
          ? {
              kind: 'arena',
              offset: BigInt(outRef.offset - layout.arenaOffset),
              length: BigInt(outRef.length),
            }
          : { kind: 'inline', bytes: new Uint8Array(0) },
        costUsed: BigInt(outcome.costUsed),
        error: outcome.error,
      },
    };
  }
}

function failed(jobId: string, status: JobResultData['status'], error: string): JobResultData {
  return { jobId, status, output: { kind: 'inline', bytes: new Uint8Array(0) }, costUsed: 0n, error };
}
