/**
 * CPU proof-of-work throughput in one Worker: the path the pow capsule takes (WASM SIMD where the
 * browser has it, else scalar JS) over its own slice of the nonce space, with a target nothing
 * meets, as bench/pow/bench-worker.ts does under Node.
 */
import { parseSearchParams, searchCpu, sharedSimdKernel } from '../capsules/pow/index.ts';

export async function powMhps(req: {
  slice: number;
  slices: number;
  warmupMs: number;
  ms: number;
  rounds: number;
}): Promise<{ samples: number[]; path: 'wasm-simd' | 'scalar' }> {
  const kernel = await sharedSimdKernel();
  const span = Math.floor(2 ** 32 / req.slices);
  const job = parseSearchParams({
    header: 'ab'.repeat(80),
    nonceStart: req.slice * span,
    count: span,
    target: '0'.repeat(63) + '1',
  });
  searchCpu(job, { kernel, budgetMs: req.warmupMs });
  const samples: number[] = [];
  for (let i = 0; i < req.rounds; i++) {
    const t0 = performance.now();
    const r = searchCpu(job, { kernel, budgetMs: req.ms });
    samples.push(r.hashes / ((performance.now() - t0) * 1e3));
  }
  return { samples, path: kernel ? 'wasm-simd' : 'scalar' };
}
