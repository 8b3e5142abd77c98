/**
 * mlJob: one `ml` job (vad, ocr, classify, infer) through the page's JobEngine on a pool Worker, with
 * its input passed as base64 (the e2e test makes inputs with espeak-ng / ImageMagick in Node) and its
 * output returned as text, so the test can compare it byte for byte with Node's output.
 */
import type { SelfTestHost } from './host.ts';

export interface MlJobResult {
  status: string;
  error?: string;
  output: string;
  ms: number;
}

export async function mlJob(
  host: SelfTestHost,
  method: string,
  inputBase64: string,
  params = '{}',
): Promise<MlJobResult> {
  const { engine } = await host.engine();
  const input = Uint8Array.from(atob(inputBase64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  const r = await engine.submit({ library: 'ml', method, params, input });
  return {
    status: r.status,
    error: r.error,
    output: new TextDecoder().decode(r.output),
    ms: performance.now() - t0,
  };
}
