/**
 * dispatchLatency: the full round trip of an empty job through the JobEngine on this page —
 * encode the JobRequest, write it into a worker's inbox ring, the worker wakes (Atomics.wait),
 * decodes, runs crypto.sha256 of 0 bytes, writes the JobResult into its outbox, and the page wakes
 * (Atomics.waitAsync) and settles the promise. Jobs run one after another, after a warm-up.
 */
import { RingBuffer } from '../sab/ring-buffer.ts';
import { percentile, round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface DispatchLatency {
  jobs: number;
  warmup: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  minUs: number;
  /** Every job returned status ok and the SHA-256 of the empty string. */
  allCorrect: boolean;
  workersUsed: number[];
  /** RingBuffer.asyncSpinIterations during the run (the page's spin before Atomics.waitAsync). */
  hostSpin: number;
}

export async function dispatchLatency(
  host: SelfTestHost,
  n: number,
  hostSpin?: number,
): Promise<DispatchLatency> {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new RangeError(`dispatchLatency: n must be an integer in 1..1000000; got ${n}`);
  if (hostSpin !== undefined && !(Number.isInteger(hostSpin) && hostSpin >= 0 && hostSpin <= 1_000_000))
    throw new RangeError(`dispatchLatency: hostSpin must be an integer in 0..1000000; got ${hostSpin}`);
  const before = RingBuffer.asyncSpinIterations;
  if (hostSpin !== undefined) RingBuffer.asyncSpinIterations = hostSpin;
  try {
    return await measure(host, n);
  } finally {
    RingBuffer.asyncSpinIterations = before;
  }
}

async function measure(host: SelfTestHost, n: number): Promise<DispatchLatency> {
  const { engine } = await host.engine();
  const warmup = Math.min(500, Math.max(50, n >> 2));
  const lat: number[] = [];
  const workers = new Set<number>();
  let allCorrect = true;
  for (let i = 0; i < warmup + n; i++) {
    const t = performance.now();
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
    allCorrect,
    workersUsed: [...workers].sort(),
    hostSpin: RingBuffer.asyncSpinIterations,
  };
}
