/**
 * The `pow` capsule for the job engine (src/capsules/capsule.ts contract): JSON params in, the
 * JSON result as UTF-8 bytes out, no input bytes. Runs the CPU path in the engine's worker,
 * calling `ctx.checkpoint()` between batches (~8 ms each, under the contract's 10 ms), so a
 * cancel, budget or timeout stops it via JobStopped. The GPU path runs when the host's
 * `services.powGpu()` gives a searcher (the extension's workers do while the user's limits allow the
 * GPU; src/pool/gpu-choice.ts picks it only if it beats the CPU); a lost device falls back to the CPU.
 */
import { z } from 'zod';
import { BadInputError, method, type Capsule } from '../capsule.ts';
import { METHOD_BOUNDS, METHOD_PRICES } from '../price.ts';
import { sharedSimdKernel } from './dsha256-simd.ts';
import { parseSearchParams } from './job.ts';
import { searchCpu } from './search-cpu.ts';
import { GpuDeviceLostError, type GpuPowSearcher } from './search-gpu.ts';
import { powVerify } from './verify.ts';

const targetFields = { bits: z.number().optional(), target: z.string().optional() };
const searchParams = z.strictObject({
  header: z.string(),
  nonceStart: z.number(),
  count: z.number(),
  ...targetFields,
});
const verifyParams = z.strictObject({ header: z.string(), ...targetFields });

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Our validators throw TypeError/RangeError with field-level messages; the engine wants BadInputError. */
function badInput<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError)
      throw new BadInputError(err.message, { cause: err });
    throw err;
  }
}

export const powCapsule: Capsule = {
  library: 'pow',
  version: '1.0.0',
  summary: 'double-SHA256 proof-of-work over an 80-byte header: nonce search and one-hash verification',
  limits: {
    maxInputBytes: 0,
    maxOutputBytes: 1024,
    // 2^32 nonces at ~5 MH/s per worker is ~15 min; requesters split big ranges into slices.
    timeoutMs: 120_000,
    maxMemoryBytes: 4 << 20,
    costCap: 120_000,
  },
  methods: {
    search: method({
      price: METHOD_PRICES['pow.search'],
      priceBound: METHOD_BOUNDS['pow.search'],
      params: searchParams,
      summary:
        'first nonce in [nonceStart, nonceStart+count) whose double-SHA256 ≤ target → {found, nonce, hash, hashes, stopped}',
      run: async (ctx, p) => {
        const job = badInput(() => parseSearchParams(p));
        const gpu = (await ctx.services.powGpu?.()) as GpuPowSearcher | null | undefined;
        if (gpu) {
          let stop: unknown = null;
          try {
            const result = await gpu.search(job, {
              shouldStop: () => {
                try {
                  ctx.checkpoint();
                  return false;
                } catch (err) {
                  stop = err;
                  return true;
                }
              },
            });
            if (stop) throw stop;
            return json({ ...result, backend: 'gpu' });
          } catch (err) {
            if (!(err instanceof GpuDeviceLostError)) throw err;
            // The device is gone: the same job continues on the CPU below.
          }
        }
        const kernel = await sharedSimdKernel();
        if (kernel?.memory) ctx.trackMemory?.(kernel.memory);
        const result = searchCpu(job, {
          kernel,
          shouldStop: () => {
            ctx.checkpoint();
            return false;
          },
        });
        return json(result);
      },
    }),
    verify: method({
      price: METHOD_PRICES['pow.verify'],
      priceBound: METHOD_BOUNDS['pow.verify'],
      params: verifyParams,
      summary: 'one double-SHA256 of the header → {valid: hash ≤ target, hash}',
      limits: { timeoutMs: 1000 },
      run: (_ctx, p) => json(badInput(() => powVerify(p))),
    }),
  },
};
