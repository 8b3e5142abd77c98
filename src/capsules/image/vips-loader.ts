/**
 * Loading wasm-vips (libvips 8.18 compiled to WebAssembly), which differs per host, behind one
 * injectable loader — the same shape as the storage capsule's brotli loader:
 *
 * - Node (`inos run`, unit tests): `nodeVipsLoader` in ./vips-node.ts imports the package's Node build,
 *   which reads its .wasm files with node:fs and runs libvips' threads on worker_threads.
 * - Extension workers: `webVipsLoader(url)` imports the package's browser glue (vips-es6.js) from the
 *   extension's own files (vips/, shipped by wxt.config.ts). The glue as published evaluates generated
 *   code (embind's `new Function` invokers, side modules' EM_ASM via `eval`), which MV3's extension
 *   CSP forbids; scripts/vips-csp.mjs rewrites those spots into closures at build time and leaves
 *   vips.wasm untouched, so workers run the same library bytes as Node. libvips' thread is a nested
 *   module Worker started from the same glue file (allowed under the pages' COOP/COEP).
 *
 * Every host gets the same module with the same settings, so the same job gives the same bytes:
 * - libvips concurrency 1 (the pool already runs one job per core; more threads only oversubscribe);
 * - the operation cache off (a cache would make memory depend on job history);
 * - untrusted loaders blocked (only the four formats we sniff ever reach a loader anyway);
 * - the linear memory's maximum bounded to MEMORY_MAX_BYTES (the package asks for 2 GiB; see below).
 *
 * Each host calls `setVipsLoader` once per context; `loadVips()` then resolves to one shared module.
 */
import type VipsNs from 'wasm-vips';

/** The initialised wasm-vips module (its namespace: `vips.Image`, `vips.concurrency`, …). */
export type VipsModule = typeof VipsNs;
export type VipsImage = VipsNs.Image;
/** wasm-vips' factory: `Vips(moduleOptions)`. */
export type VipsFactory = (opts: Record<string, unknown>) => Promise<VipsModule>;
export type VipsLoader = () => Promise<VipsModule>;

const PAGE = 65_536;
/**
 * The most linear memory one worker's libvips may reach. The package's glue creates a shared memory of
 * 256 MiB initial and 2 GiB maximum; we keep the initial size (the wasm module declares it as its
 * minimum) and lower the maximum to 1 GiB: the largest job the limits admit (MAX_PIXELS RGBA decoded
 * and a rotated copy) needs about 320 MiB, so 1 GiB leaves room without letting one worker take 2 GiB.
 */
export const MEMORY_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * The image capsule's limits.wasmHighWaterBytes: after a job, a worker whose libvips memory has grown
 * past this is recycled by the engine (wasm memory never shrinks). 256 MiB is the initial size, so
 * the mark is passed only by jobs that grew it.
 */
export const MEMORY_HIGH_WATER_BYTES = 384 * 1024 * 1024;

/**
 * Extension-worker loader: `glueUrl` is the rewritten vips-es6.js inside the extension; vips.wasm and
 * vips-heif.wasm sit next to it (the glue finds them, and its thread Workers, relative to its URL).
 */
export function webVipsLoader(glueUrl: string): VipsLoader {
  return async () => {
    const mod = (await import(/* @vite-ignore */ glueUrl)) as { default: VipsFactory };
    // As in Node: vips-heif.wasm brings AVIF; the JPEG XL and SVG side modules are not loaded.
    return instantiateVips(mod.default, { dynamicLibraries: ['vips-heif.wasm'], printErr: quietVipsLog });
  };
}

/**
 * libvips' log, minus its warnings: a corrupt input makes it print one "VIPS-WARNING" per bad tile
 * (dozens of lines on stderr), while the job itself already fails or succeeds with its own message.
 */
export function quietVipsLog(text: string): void {
  if (text.trim() === '' || text.includes('VIPS-WARNING') || text.startsWith('VipsJpeg:')) return;
  console.error(text);
}

let loader: VipsLoader | null = null;
let loaded: Promise<VipsModule> | null = null;
let memory: WebAssembly.Memory | null = null;

export function setVipsLoader(next: VipsLoader): void {
  loader = next;
  loaded = null;
}

/** The initialised module, loaded once per context; a failed load is retried on the next call. */
export function loadVips(): Promise<VipsModule> {
  if (!loader)
    return Promise.reject(
      new Error(
        'wasm-vips is not configured in this context: call setVipsLoader(nodeVipsLoader) (Node) or ' +
          'setVipsLoader(webVipsLoader(...)) (extension worker) at startup',
      ),
    );
  if (!loaded) {
    const attempt = loader().catch((err: unknown) => {
      if (loaded === attempt) loaded = null;
      throw new Error(`wasm-vips failed to load: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    loaded = attempt;
  }
  return loaded;
}

/** Bytes of linear memory this context's libvips holds now (0 before it is loaded). */
export function vipsMemoryBytes(): number {
  return memory ? memory.buffer.byteLength : 0;
}

/** This context's libvips linear memory (null before it is loaded), for ctx.trackMemory. */
export function vipsMemory(): WebAssembly.Memory | null {
  return memory;
}

/**
 * Runs wasm-vips' factory with its shared memory's maximum lowered to MEMORY_MAX_BYTES. The glue
 * creates that memory with `new WebAssembly.Memory({initial, maximum, shared: true})` and offers no
 * option for it, so the constructor is wrapped while the factory runs (see below)
 * it, then restored; we also keep the Memory to report its size.
 */
export async function instantiateVips(
  factory: VipsFactory,
  opts: Record<string, unknown>,
): Promise<VipsModule> {
  const Original = WebAssembly.Memory;
  let made: WebAssembly.Memory | null = null;
  const Bounded = function (desc: WebAssembly.MemoryDescriptor) {
    const bounded =
      desc.shared && desc.maximum !== undefined
        ? { ...desc, maximum: Math.max(desc.initial, Math.min(desc.maximum, MEMORY_MAX_BYTES / PAGE)) }
        : desc;
    const m = new Original(bounded);
    if (desc.shared) made ??= m;
    return m;
  } as unknown as typeof WebAssembly.Memory;
  Bounded.prototype = Original.prototype;
  // The Node glue awaits a module import before it makes the memory, so the wrapper stays in place
  // until the factory settles; nothing else in a capsule worker makes a shared memory meanwhile.
  WebAssembly.Memory = Bounded;
  let vips: VipsModule;
  try {
    vips = await factory(opts);
  } finally {
    WebAssembly.Memory = Original;
  }
  memory = made;
  vips.concurrency(1);
  vips.Cache.max(0);
  vips.blockUntrusted(true);
  // Every image handle is queued for deletion when made, and the queue is emptied after each job
  // (releaseVipsObjects): left to the garbage collector, decoded images would stay in wasm memory
  // until a GC that JS-heap pressure alone may never trigger.
  const lifetimes = vips as unknown as VipsLifetimes;
  lifetimes.setAutoDeleteLater(true);
  lifetimes.setDelayFunction((fn) => {
    flush = fn;
  });
  await warmUp(vips);
  releaseVipsObjects();
  return vips;
}

/** wasm-vips' embind object-lifetime hooks (present in its glue, absent from its .d.ts). */
interface VipsLifetimes {
  setAutoDeleteLater(on: boolean): void;
  setDelayFunction(fn: (flush: () => void) => void): void;
}

let flush: (() => void) | null = null;

/** Deletes every wasm-vips object made since the last call (call after each job, success or not). */
export function releaseVipsObjects(): void {
  flush?.();
}

/**
 * libvips starts its worker thread and the engine compiles the hot code on the first pipeline; in
 * Node on a busy 2-core machine that first pipeline took ~3 s, the next ones ~0.2 s. Paying it at
 * load time keeps it out of the first real job's 5 s.
 */
async function warmUp(vips: VipsModule): Promise<void> {
  // Steps apart, with a turn of the event loop between them, so a caller's heartbeat timer can run.
  const tick = () => new Promise((r) => setTimeout(r, 0));
  const tile = vips.Image.black(64, 64, { bands: 3 }).add([90, 120, 150]).cast('uchar');
  const jpeg = tile.jpegsaveBuffer({ Q: 80 });
  await tick();
  const back = vips.Image.jpegloadBuffer(jpeg);
  const small = back.resize(0.5, { kernel: 'lanczos3', gap: 0 });
  vips.Image.pngloadBuffer(small.pngsaveBuffer()).webpsaveBuffer({ Q: 80 });
  await tick();
  // The AVIF side module (libheif + aom) compiles and sets up on its first use: ~1 s here.
  vips.Image.heifloadBuffer(small.heifsaveBuffer({ Q: 60, compression: 'av1', effort: 0 }));
  await tick();
}
