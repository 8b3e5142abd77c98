/**
 * Loads the one Rapier build the physics capsule runs on, once per thread:
 * @dimforge/rapier3d-deterministic-compat, the build whose README promises cross-platform
 * determinism (rapier feature `enhanced-determinism`: software libm, deterministic collections; no
 * SIMD). The `-compat` package carries its wasm inline as base64, so nothing is fetched: in the
 * extension it runs in the pool Workers under the `'wasm-unsafe-eval'` CSP, in Node in worker_threads.
 *
 * The module is imported on the first physics job, not when a worker starts: it is ~4 MB of JS that
 * other capsules' workers never need.
 *
 * Its linear memory is not exported by the package, yet the capsule must read its size (per-step
 * memory limit, the recycle high-water mark): while `init()` runs, `WebAssembly.instantiate` is
 * wrapped to keep the instance's exported `memory`. The wrapper is removed as soon as init settles.
 */
type RapierModule = typeof import('@dimforge/rapier3d-deterministic-compat');

export interface LoadedRapier {
  R: RapierModule;
  /** The build's linear memory; it only grows (wasm memory cannot shrink). */
  memory: WebAssembly.Memory;
}

let loading: Promise<LoadedRapier> | null = null;

export function loadRapier(): Promise<LoadedRapier> {
  return (loading ??= load().catch((err: unknown) => {
    loading = null;
    throw err;
  }));
}

async function load(): Promise<LoadedRapier> {
  const R: RapierModule = await import('@dimforge/rapier3d-deterministic-compat');
  let memory: WebAssembly.Memory | null = null;
  const original = WebAssembly.instantiate;
  const keep = (exports: WebAssembly.Exports) => {
    if (exports['memory'] instanceof WebAssembly.Memory) memory = exports['memory'];
  };
  const wrapped = async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const r = (await (original as (...a: unknown[]) => Promise<unknown>)(...args)) as
      WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource;
    keep(r instanceof WebAssembly.Instance ? r.exports : r.instance.exports);
    return r;
  };
  WebAssembly.instantiate = wrapped as typeof WebAssembly.instantiate;
  try {
    await R.init();
  } finally {
    WebAssembly.instantiate = original;
  }
  if (!memory) throw new Error('physics: the Rapier wasm instance exported no memory');
  return { R, memory };
}

/** Bytes of the loaded Rapier instance's linear memory; 0 before the first physics job. */
export async function rapierMemoryBytes(): Promise<number> {
  if (!loading) return 0;
  return (await loading).memory.buffer.byteLength;
}
