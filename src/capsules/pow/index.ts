/**
 * Capsule `pow`: double-SHA256 proof-of-work over an 80-byte header, for credit proofs,
 * anti-Sybil checks and benchmarks. Methods:
 *  - `search` {header, nonceStart, count, bits | target} → {found, nonce, hash, hashes, stopped}
 *  - `verify` {header, bits | target} → {valid, hash}
 * Runs in Workers, the offscreen document and Node (no Node-only imports).
 */
import { sharedSimdKernel, type SimdKernel } from './dsha256-simd.ts';
import { parseSearchParams, type PowSearchJob, type PowSearchResult, type StopReason } from './job.ts';
import { CpuSearch } from './search-cpu.ts';
import { GpuDeviceLostError, type GpuPowSearcher } from './search-gpu.ts';

export { powVerify, verifyJob } from './verify.ts';
export { parseSearchParams, parseVerifyParams } from './job.ts';
export type {
  PowSearchParams,
  PowVerifyParams,
  PowSearchResult,
  PowVerifyResult,
  PowSearchJob,
  PowVerifyJob,
  StopReason,
} from './job.ts';
export {
  searchCpu,
  CpuSearch,
  splitNonceRange,
  mergeSearchResults,
  type CpuSearchOptions,
} from './search-cpu.ts';
export {
  GpuPowSearcher,
  GpuDeviceLostError,
  requestPowDevice,
  pickBackend,
  type GpuSearchOptions,
  type GpuSearcherOptions,
} from './search-gpu.ts';
export {
  createSimdKernelSync,
  loadSimdKernel,
  sharedSimdKernel,
  simdSupported,
  type SimdKernel,
} from './dsha256-simd.ts';
export { powCapsule } from './capsule.ts';
export { powGpuSelfTest, type GpuSelfTestReport } from './gpu-self-test.ts';
export { BLOCK_VECTORS, type BlockVector } from './vectors.ts';
export { buildPowShader, DEFAULT_SHADER_OPTIONS, type ShaderOptions } from './shader.wgsl.ts';
export {
  verifyProof,
  proofFromSearch,
  proofCredits,
  HASHES_PER_CREDIT,
  type PowProof,
  type ProofCheck,
} from './proof.ts';
export {
  compactToTarget,
  targetToCompact,
  parseTargetHex,
  targetToHex,
  difficulty,
  expectedHashes,
  DIFF1_TARGET,
} from './target.ts';
export {
  parseHeader,
  bytesToHex,
  withNonce,
  headerNonce,
  headerBits,
  HEADER_BYTES,
  NONCE_SPACE,
} from './header.ts';
export { HeaderHasher, digestDisplayHex } from './dsha256.ts';

export interface PowSearchOptions {
  /** Aborting stops the search within one slice (≤ ~50 ms) with `stopped: 'cancelled'`. */
  signal?: AbortSignal;
  /** Extra stop condition checked between batches (e.g. a SharedArrayBuffer flag). */
  shouldStop?: () => boolean;
  /** Wall-clock budget in ms, then `stopped: 'budget'`. */
  budgetMs?: number;
  /** Search on this GPU searcher; on a lost device the search restarts on the CPU. */
  gpu?: GpuPowSearcher;
  /** Told when the GPU was lost and the CPU took over, so the caller can stop offering the GPU. */
  onGpuLost?: (err: GpuDeviceLostError) => void;
  /** The SIMD kernel to use; default: loaded once per realm, or scalar where SIMD is missing. */
  kernel?: SimdKernel | null;
}

/** Time the CPU path runs before yielding to the event loop, so `signal` can be seen. */
const CPU_SLICE_MS = 40;

/** The `search` method: validates `params` (throws TypeError/RangeError), then searches on the GPU or CPU. */
export async function powSearch(params: unknown, opts: PowSearchOptions = {}): Promise<PowSearchResult> {
  const job = parseSearchParams(params);
  if (opts.gpu) {
    try {
      return await opts.gpu.search(job, opts);
    } catch (err) {
      if (!(err instanceof GpuDeviceLostError)) throw err;
      opts.onGpuLost?.(err);
    }
  }
  return searchJobOnCpu(job, opts);
}

/** CPU search of a validated job, yielding to the event loop every ~40 ms. */
export async function searchJobOnCpu(
  job: PowSearchJob,
  opts: PowSearchOptions = {},
): Promise<PowSearchResult> {
  const kernel = opts.kernel === undefined ? await sharedSimdKernel() : opts.kernel;
  const search = new CpuSearch(job, kernel);
  const deadline = opts.budgetMs === undefined ? Infinity : performance.now() + opts.budgetMs;
  for (;;) {
    const sliceEnd = Math.min(deadline, performance.now() + CPU_SLICE_MS);
    let why: StopReason | null = null;
    const result = search.run(() => {
      if (opts.signal?.aborted || opts.shouldStop?.()) why = 'cancelled';
      else if (performance.now() >= deadline) why = 'budget';
      return why !== null || performance.now() >= sliceEnd;
    });
    if (result) return result;
    if (why) return { found: false, nonce: null, hash: null, hashes: search.hashes, stopped: why };
    await yieldToEventLoop();
  }
}

/** A macrotask turn without setTimeout's 4 ms clamp for nested timers. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
