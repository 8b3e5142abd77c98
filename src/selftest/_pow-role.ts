/**
 * CPU proof-of-work throughput in one worker: the path the pow capsule takes (WASM SIMD where the
 * runtime has it, else scalar JS) over its own slice of the nonce space, with a target nothing meets.
 * The one source for the Chromium self-test (role-worker.ts) and Node's bench/pow/bench-worker.ts.
 */
import { parseSearchParams, searchCpu, sharedSimdKernel, type SimdKernel } from '../capsules/pow/index.ts';

/** The search job of slice `slice` of `slices` equal slices of the 2^32 nonces. */
export function powSliceJob(slice: number, slices: number) {
  const span = Math.floor(2 ** 32 / slices);
  return parseSearchParams({
    header: 'ab'.repeat(80),
    nonceStart: slice * span,
    count: span,
    target: '0'.repeat(63) + '1',
  });
}

/** Hashes for `ms` and returns how many nonces it tried and how long it took. */
export function powSample(
  job: ReturnType<typeof powSliceJob>,
  kernel: SimdKernel | null,
  ms: number,
): { hashes: number; ms: number } {
  const t0 = performance.now();
  const r = searchCpu(job, { kernel, budgetMs: ms });
  return { hashes: r.hashes, ms: performance.now() - t0 };
}

export async function powMhps(req: {
  slice: number;
  slices: number;
  warmupMs: number;
  ms: number;
  rounds: number;
}): Promise<{ samples: number[]; path: 'wasm-simd' | 'scalar' }> {
  const kernel = await sharedSimdKernel();
  const job = powSliceJob(req.slice, req.slices);
  powSample(job, kernel, req.warmupMs);
  const samples: number[] = [];
  for (let i = 0; i < req.rounds; i++) {
    const s = powSample(job, kernel, req.ms);
    samples.push(s.hashes / (s.ms * 1e3));
  }
  return { samples, path: kernel ? 'wasm-simd' : 'scalar' };
}
