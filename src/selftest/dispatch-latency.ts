/**
 * dispatchLatency: the full round trip of an empty job through the JobEngine on this page —
 * encode the JobRequest, write it into a worker's inbox ring, the worker wakes (a spin or
 * Atomics.wait), decodes, runs crypto.sha256 of 0 bytes, writes the JobResult into its outbox, and the
 * page wakes (a spin or Atomics.waitAsync) and settles the promise. Jobs run one after another, after
 * a warm-up, with the dispatch spins (CTRL.WORKER_SPIN_US / HOST_SPIN_US) given for the run.
 *
 * A cross-origin isolated page's clock has 5 µs steps, so besides per-job percentiles it reports the
 * median over batches of BATCH jobs of each batch's mean (one clock read per batch), and, to say
 * where the µs go, the page's own codec share: encoding the JobRequest and decoding the JobResult
 * the engine does for every job, timed over many repetitions.
 */
import { decodeJobResult, encodeJobRequest, encodeJobResult } from '../wire/index.ts';
import { AdaptiveSpin } from '../sab/adaptive-spin.ts';
import { percentile, round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const BATCH = 50;

export interface DispatchSpin {
  /** µs a worker polls its inbox after a job before it sleeps (CTRL.WORKER_SPIN_US). */
  workerUs: number;
  /** µs the page polls an outbox after a dispatch before Atomics.waitAsync (CTRL.HOST_SPIN_US). */
  hostUs: number;
}

export interface DispatchLatency {
  jobs: number;
  warmup: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  minUs: number;
  /** Median over batches of BATCH back-to-back jobs of the batch's mean µs per job (finer than the clock). */
  batchP50Us: number;
  /** Page-side codec per job: encodeJobRequest + decodeJobResult of frames like the engine's (µs). */
  codecUs: number;
  /** The page's spins after a dispatch during the timed jobs: caught the result / ran out / skipped. */
  hostSpinHits: number;
  hostSpinMisses: number;
  hostSpinSkips: number;
  /** Every job returned status ok and the SHA-256 of the empty string. */
  allCorrect: boolean;
  workersUsed: number[];
  /** The spins in force during the run. */
  spin: DispatchSpin;
}

const checkUs = (name: string, v: number) => {
  if (!(Number.isInteger(v) && v >= 0 && v <= 1_000))
    throw new RangeError(
      `dispatchLatency: spin.${name} must be an integer number of µs in 0..1000; got ${v}`,
    );
};

export async function dispatchLatency(
  host: SelfTestHost,
  n: number,
  spin?: Partial<DispatchSpin>,
): Promise<DispatchLatency> {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new RangeError(`dispatchLatency: n must be an integer in 1..1000000; got ${n}`);
  if (spin?.workerUs !== undefined) checkUs('workerUs', spin.workerUs);
  if (spin?.hostUs !== undefined) checkUs('hostUs', spin.hostUs);
  const { engine, pool } = await host.engine();
  const before = pool.dispatchSpin();
  pool.setDispatchSpin({ ...before, ...spin });
  try {
    return await measure(engine, n, pool.dispatchSpin());
  } finally {
    pool.setDispatchSpin(before);
  }
}

type Engine = Awaited<ReturnType<SelfTestHost['engine']>>['engine'];

async function measure(engine: Engine, n: number, spin: DispatchSpin): Promise<DispatchLatency> {
  const warmup = Math.min(500, Math.max(50, n >> 2));
  const lat: number[] = [];
  const batches: number[] = [];
  const workers = new Set<number>();
  let allCorrect = true;
  let batchStart = 0;
  const spins = { ...AdaptiveSpin.stats };
  for (let i = 0; i < warmup + n; i++) {
    if (i === warmup) Object.assign(spins, AdaptiveSpin.stats);
    const t = performance.now();
    if (i >= warmup && (i - warmup) % BATCH === 0) {
      if (i > warmup) batches.push(((t - batchStart) * 1000) / BATCH);
      batchStart = t;
    }
    const out = await engine.submit({ library: 'crypto', method: 'sha256' });
    const us = (performance.now() - t) * 1000;
    if (i < warmup) continue;
    lat.push(us);
    workers.add(out.worker);
    if (out.status !== 'ok' || out.output.length !== 32) allCorrect = false;
    else if (i === warmup) {
      let hex = '';
      for (const b of out.output) hex += b.toString(16).padStart(2, '0');
      if (hex !== EMPTY_SHA256) allCorrect = false;
    }
  }
  return {
    jobs: n,
    warmup,
    p50Us: round(percentile(lat, 50)),
    p99Us: round(percentile(lat, 99)),
    meanUs: round(lat.reduce((s, x) => s + x, 0) / lat.length),
    minUs: round(Math.min(...lat)),
    batchP50Us: round(batches.length ? percentile(batches, 50) : percentile(lat, 50)),
    hostSpinHits: AdaptiveSpin.stats.hits - spins.hits,
    hostSpinMisses: AdaptiveSpin.stats.misses - spins.misses,
    hostSpinSkips: AdaptiveSpin.stats.skips - spins.skips,
    codecUs: round(codecUs()),
    allCorrect,
    workersUsed: [...workers].sort(),
    spin,
  };
}

/** µs per job of the page's framing work, as the engine frames an empty job and its 32-byte result. */
function codecUs(): number {
  const result = encodeJobResult({
    jobId: 'job-1',
    status: 'ok',
    output: { kind: 'arena', offset: 4096n, length: 32n },
    costUsed: 1n,
    error: '',
  });
  const reps = 2000;
  let sink = 0;
  const t = performance.now();
  for (let k = 0; k < reps; k++) {
    const f = encodeJobRequest({
      id: `job-${k}`,
      library: 'crypto',
      method: 'sha256',
      params: '{}',
      budget: 1000n,
      deadlineMs: 0n,
      input: { kind: 'inline', bytes: new Uint8Array(0) },
    });
    sink += f.length + decodeJobResult(result).jobId.length;
  }
  const us = ((performance.now() - t) * 1000) / reps;
  return sink > 0 ? us : Number.NaN;
}
