/**
 * One wasm "worker" of bench:image (a Node worker thread with its own wasm-vips, as a pool worker has):
 * loads wasm-vips (not timed), says ready, then for each {run} request runs one untimed job and `n`
 * timed ones of a case in a mode, and replies {ms, loop_ms, bytes}. Modes:
 *  - full: the capsule's method, as a pool worker runs it (withVips, checkpoints, progress reports);
 *  - noprogress: the same pipeline and encoder options without libvips' progress callback;
 *  - op: decode -> normalise -> operation -> avg (no encode); decode: decode -> avg.
 */
import { parentPort } from 'node:worker_threads';
import type { JobContext } from '../../src/capsules/capsule.ts';
import { imageCapsule, loadVips, setVipsLoader } from '../../src/capsules/image/index.ts';
import { openImage } from '../../src/capsules/image/formats.ts';
import type { Operation } from '../../src/capsules/image/params.ts';
import { applyOperation, normalise } from '../../src/capsules/image/pipeline.ts';
import { releaseVipsObjects, type VipsImage } from '../../src/capsules/image/vips-loader.ts';
import { nodeVipsLoader } from '../../src/capsules/image/vips-node.ts';

export interface BenchJob {
  method: string;
  params: Record<string, unknown>;
  /** The operation the capsule's pipeline applies (none for encode cases). */
  op: Operation | null;
  input: Uint8Array;
}
export type Mode = 'full' | 'noprogress' | 'op' | 'decode';
export interface Reply {
  ms: number[];
  loop_ms: number;
  bytes: number;
}

setVipsLoader(nodeVipsLoader);
const vips = await loadVips();
const port = parentPort!;

function encodeDirect(im: VipsImage, params: Record<string, unknown>): Uint8Array {
  const format = params['format'] as string;
  const Q = params['quality'] as number | undefined;
  if (format === 'png') return im.pngsaveBuffer({ compression: 6, keep: 'none' });
  if (format === 'webp') return im.webpsaveBuffer({ Q: Q ?? 80, keep: 'none', effort: 4 });
  return im.jpegsaveBuffer({ Q: Q ?? 80, keep: 'none' });
}

async function once(job: BenchJob, mode: Mode): Promise<number> {
  if (mode === 'full') {
    const m = imageCapsule.methods[job.method]!;
    const ctx: JobContext = {
      input: job.input,
      output: (n) => new Uint8Array(n),
      checkpoint() {},
      costSoFar: 0,
      services: {},
    };
    const out = await m.run(ctx, m.params.parse(job.params));
    return out instanceof Uint8Array ? out.length : 0;
  }
  const random = job.method === 'resize' || job.method.startsWith('rotate') || job.method === 'flipv';
  try {
    let im = normalise(openImage(vips, job.input, random ? 'random' : 'sequential').image);
    if (mode !== 'decode' && job.op) im = applyOperation(vips, im, job.op);
    if (mode === 'noprogress') return encodeDirect(im, job.params).length;
    im.avg();
    return 0;
  } finally {
    releaseVipsObjects();
  }
}

port.on('message', (msg: { kind: 'run'; job: BenchJob; mode: Mode; n: number } | { kind: 'exit' }) => {
  void (async () => {
    if (msg.kind === 'exit') process.exit(0);
    let bytes = await once(msg.job, msg.mode); // untimed
    const ms: number[] = [];
    const start = performance.now();
    for (let i = 0; i < msg.n; i++) {
      const t = performance.now();
      bytes = await once(msg.job, msg.mode);
      ms.push(performance.now() - t);
    }
    const reply: Reply = { ms, loop_ms: performance.now() - start, bytes };
    port.postMessage(reply);
  })();
});
port.postMessage('ready');
