/**
 * The reference both market benches measure against: the same jobs on this machine's engine, as
 * `inos run` runs them, `lanes` at a time. Returns the wall time and each job's output (hex) so the
 * caller can check the market's outputs against it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { SubmitJob } from '../../src/cli/requester.ts';
import type { NodeEngine } from '../../src/cli/node-engine.ts';
import { mulberry32 } from '../../src/random/mulberry32.ts';

export async function runLocally(
  engine: NodeEngine,
  jobs: SubmitJob[],
  lanes: number,
): Promise<{ ms: number; outs: string[] }> {
  const outs: string[] = new Array(jobs.length);
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (let i = next++; i < jobs.length; i = next++) {
      const j = jobs[i]!;
      const o = await engine.engine.submit({
        library: j.capsule,
        method: j.method,
        params: '{}',
        ...(j.input ? { input: j.input } : {}),
        budget: 10_000,
        // The engine's deadline is a wall-clock time (as `inos run --deadline-ms` passes it).
        deadlineMs: Date.now() + 60_000,
      });
      if (o.status !== 'ok') throw new Error(`local job ${i}: ${o.status} ${o.error}`);
      outs[i] = bytesToHex(o.output);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { ms: performance.now() - t0, outs };
}

/**
 * The jobs both market benches submit: `tiny` sha256 jobs of 64 B and `big` of `bigMiB` MiB each,
 * inputs from a seeded PRNG (tiny first, then big, so a seed gives the same bytes in both benches).
 */
export function sha256Jobs(
  seed: number,
  tiny: number,
  big: number,
  bigMiB: number,
): { tinyJobs: SubmitJob[]; bigJobs: SubmitJob[] } {
  const rand = mulberry32(seed);
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
    return b;
  };
  const job = (n: number): SubmitJob => ({ capsule: 'crypto', method: 'sha256', input: bytes(n) });
  const tinyJobs = Array.from({ length: tiny }, () => job(64));
  const bigJobs = Array.from({ length: big }, () => job(bigMiB * 1024 * 1024));
  return { tinyJobs, bigJobs };
}
