/**
 * imageJob: one `image` job through the page's JobEngine on a pool Worker (wasm-vips from the
 * extension's vips/ folder), input as base64, output returned as its SHA-256 and size, so the e2e
 * test can compare it with the same job in Node without moving the image back.
 */
import type { SelfTestHost } from './host.ts';

export interface ImageJobResult {
  status: string;
  error?: string;
  sha256: string;
  bytes: number;
  ms: number;
}

export async function imageJob(
  host: SelfTestHost,
  method: string,
  inputBase64: string,
  params = '{}',
): Promise<ImageJobResult> {
  const { engine } = await host.engine();
  const input = Uint8Array.from(atob(inputBase64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  const r = await engine.submit({ library: 'image', method, params, input });
  const ms = performance.now() - t0;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', r.output.slice()));
  return {
    status: r.status,
    error: r.error,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
    bytes: r.output.length,
    ms,
  };
}

export interface PoolStart {
  /** ms from the first host.engine() call to every pool worker READY (no library loaded). */
  readyMs: number;
  /** false when the pool was already up before this call (readyMs is then the first start's). */
  startedNow: boolean;
}

let firstStart: number | null = null;

/** Starts the page's pool (if not yet) and reports how long it took to be ready. */
export async function poolStart(host: SelfTestHost): Promise<PoolStart> {
  const startedNow = firstStart === null;
  const t0 = performance.now();
  await host.engine();
  firstStart ??= performance.now() - t0;
  return { readyMs: Math.round(firstStart), startedNow };
}

export interface MemoryEntry {
  bytes: number;
  /** 'Window' for the page, 'DedicatedWorkerGlobalScope' for its Workers (pool and nested). */
  scope: string;
  /** The realm's script (the pool worker's bundle, wasm-vips' thread glue, …), query stripped. */
  url: string;
  types: string[];
}

export interface PageMemory {
  bytes: number;
  entries: MemoryEntry[];
}

/**
 * performance.measureUserAgentSpecificMemory() (cross-origin isolated pages only): the page's and
 * each of its Workers' memory as Chromium attributes it (JS heaps and the buffers they hold; a
 * shared WebAssembly.Memory is counted once, for one of the realms that share it).
 */
export async function pageMemory(): Promise<PageMemory> {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{
      bytes: number;
      breakdown: Array<{
        bytes: number;
        types: string[];
        attribution: Array<{ url: string; scope: string }>;
      }>;
    }>;
  };
  if (!perf.measureUserAgentSpecificMemory)
    throw new Error('performance.measureUserAgentSpecificMemory is missing (not cross-origin isolated?)');
  const m = await perf.measureUserAgentSpecificMemory();
  const entries = m.breakdown
    .filter((b) => b.bytes > 0)
    .map((b) => ({
      bytes: b.bytes,
      scope: b.attribution.map((a) => a.scope).join(',') || 'shared',
      url: b.attribution.map((a) => a.url.replace(/\?.*$/, '')).join(',') || '',
      types: b.types,
    }));
  return { bytes: m.bytes, entries };
}
