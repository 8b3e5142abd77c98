/**
 * The reference both market benches measure against: the same jobs on this machine's engine, as
 * `inos run` runs them, `lanes` at a time. Returns the wall time and each job's output (hex) so the
 * caller can check the market's outputs against it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { SubmitJob } from '../../src/cli/requester.ts';
import type { NodeEngine } from '../../src/cli/node-engine.ts';

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
