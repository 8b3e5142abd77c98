import {
  GpuPowSearcher,
  parseSearchParams,
  requestPowDevice,
  searchCpu,
  sharedSimdKernel,
  pickBackend,
} from '../capsules/pow';

/** A header that never meets this target: both backends search the same nonces for the same time. */
const PROBE = { header: 'ab'.repeat(80), nonceStart: 0, count: 2 ** 32, target: '0'.repeat(63) + '1' };
const PROBE_MS = 300;

/**
 * The worker's choice of proof-of-work backend, made once: a GPU searcher when WebGPU has an adapter
 * and it measured faster than this worker's CPU path over the same probe, otherwise null (CPU).
 * A lost device makes the capsule fall back to the CPU; the next job measures again.
 */
export function gpuChooser(
  gpu: GPU | undefined,
  log?: (msg: string) => void,
): () => Promise<GpuPowSearcher | null> {
  let choice: Promise<GpuPowSearcher | null> | null = null;
  return () => {
    choice ??= (async () => {
      try {
        const device = await requestPowDevice(gpu);
        if (!device) return null;
        const searcher = await GpuPowSearcher.create(device);
        device.lost.then(() => {
          choice = null;
        });
        const job = parseSearchParams(PROBE);
        const g = await searcher.search(job, { budgetMs: PROBE_MS });
        const c = searchCpu(job, { kernel: await sharedSimdKernel(), budgetMs: PROBE_MS });
        const gpuMhps = g.hashes / PROBE_MS / 1000;
        const cpuMhps = c.hashes / PROBE_MS / 1000;
        const pick = pickBackend(cpuMhps, gpuMhps);
        log?.(
          `proof-of-work backend: ${pick} (GPU ${gpuMhps.toFixed(2)} MH/s vs CPU ${cpuMhps.toFixed(2)} MH/s)`,
        );
        if (pick === 'gpu') return searcher;
        searcher.destroy();
        device.destroy();
        return null;
      } catch (err) {
        log?.(`WebGPU unavailable for proof-of-work: ${String(err)}`);
        return null;
      }
    })();
    return choice;
  };
}
