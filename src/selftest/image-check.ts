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
