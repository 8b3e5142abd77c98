/**
 * The `image` capsule: resize (Lanczos3, Triangle, CatmullRom, Gaussian, Nearest), crop, blur,
 * brighten, contrast, grayscale, rotate90/180/270, fliph, flipv, invert, decode/encode of JPEG, PNG,
 * WebP and AVIF, info, and batch — on wasm-vips (libvips 8.18.7 in WebAssembly, one thread per job).
 *
 * Conventions, for every method:
 * - the input is an encoded image (jpeg, png, webp or avif, recognised by its magic bytes), at most
 *   10 MiB, at most 40 megapixels by its header (checked before any pixel is decoded);
 * - the output is the result encoded as `format` (default: the input's format) with `quality`
 *   (jpeg/webp default 80, avif 60; png takes none), with no metadata; images are processed as 8-bit
 *   sRGB or grey, with alpha kept (JPEG output flattens it onto white);
 * - the same input and params give the same bytes on every peer (pinned wasm-vips, fixed settings,
 *   no platform codecs): the quorum relies on it.
 */
import { z } from 'zod';
import { BadInputError, method, type Capsule, type CapsuleMethod, type JobContext } from '../capsule.ts';
import { METHOD_BOUNDS, METHOD_PRICES } from '../price.ts';
import { openImage } from './formats.ts';
import {
  batchSchema,
  blurShape,
  brightenShape,
  contrastShape,
  cropShape,
  outputShape,
  rawShape,
  resizeShape,
  SIMPLE_OPS,
  type Operation,
} from './params.ts';
import { encode, guarded, normalise, runPipeline, watchProgress, type OutputOptions } from './pipeline.ts';
import {
  loadVips,
  MEMORY_HIGH_WATER_BYTES,
  MEMORY_MAX_BYTES,
  releaseVipsObjects,
  vipsMemory,
  type VipsModule,
} from './vips-loader.ts';

export {
  setVipsLoader,
  loadVips,
  vipsMemoryBytes,
  vipsMemory,
  MEMORY_HIGH_WATER_BYTES,
} from './vips-loader.ts';
export { FORMATS, MAX_PIXELS, AVIF_MAX_PIXELS, sniffFormat } from './formats.ts';
export { FILTERS } from './params.ts';

const MIB = 1 << 20;
const MAX_INPUT = 10 * MIB;
const MAX_OUTPUT = 50 * MIB;

/** Runs `body` with the loaded module and frees every libvips object it made, whatever happens. */
async function withVips<T>(ctx: JobContext, body: (vips: VipsModule) => T): Promise<T> {
  // The worker has loaded wasm-vips before the job (imageCapsule.load); a load that failed there is
  // tried again here, with the heartbeat kept, and its error reported as the job's.
  const beat = setInterval(() => {
    try {
      ctx.checkpoint();
    } catch {
      // reported by the next checkpoint
    }
  }, 100);
  let vips: VipsModule;
  try {
    vips = await loadVips();
    // libvips' threads talk to this thread by messages (an exited thread hands itself back, a new one
    // is started) that only run when this thread's event loop turns. The job loop parks in
    // Atomics.wait between jobs, so they pile up while a worker idles; a job that then needed a thread
    // blocked in wasm waiting for a message nobody read (seen: an idle worker's first job hung until
    // the watchdog replaced it). One macrotask turn drains them before libvips runs.
    await new Promise((r) => setTimeout(r, 0));
  } finally {
    clearInterval(beat);
  }
  // libvips' one linear memory: checked against maxMemoryBytes, and past limits.wasmHighWaterBytes
  // after the job the engine replaces this worker (src/engine recycling).
  const memory = vipsMemory();
  if (memory) ctx.trackMemory?.(memory);
  ctx.checkpoint();
  try {
    return body(vips);
  } finally {
    releaseVipsObjects();
  }
}

function pipelineMethod<S extends z.ZodRawShape>(
  summary: string,
  shape: S,
  toOps: (p: z.infer<z.ZodObject<S>>) => Operation[],
) {
  return method({
    params: z.strictObject({ ...shape, ...outputShape }),
    summary,
    run: (ctx, p) =>
      withVips(ctx, (vips) => {
        const out = p as OutputOptions;
        return runPipeline(vips, ctx.input, toOps(p as z.infer<z.ZodObject<S>>), out, ctx.checkpoint);
      }),
  });
}

const simple = (m: (typeof SIMPLE_OPS)[number], summary: string) =>
  pipelineMethod(summary, {}, () => [{ method: m }]);

function info(vips: VipsModule, input: Uint8Array): Uint8Array {
  // Header only: a bomb's claimed size is reported, never decoded, so no pixel limit applies here.
  const { image, format } = openImage(vips, input, 'sequential', false);
  const channels = image.bands;
  const text = JSON.stringify({
    format,
    width: image.width,
    height: image.height,
    channels,
    hasAlpha: channels === 2 || channels === 4,
    bitsPerChannel: image.format === 'ushort' ? 16 : 8,
    bytes: input.length,
  });
  return new TextEncoder().encode(text);
}

/** Each method with its work-based price and price bound (src/capsules/price.ts: pixels × a rate per step). */
function priced(methods: Record<string, CapsuleMethod>): Record<string, CapsuleMethod> {
  return Object.fromEntries(
    Object.entries(methods).map(([name, m]) => [
      name,
      { ...m, price: METHOD_PRICES[`image.${name}`], priceBound: METHOD_BOUNDS[`image.${name}`] },
    ]),
  );
}

export const imageCapsule: Capsule = {
  library: 'image',
  version: '1.0.0',
  summary:
    'Resize, crop, blur, colour ops, rotate/flip and JPEG/PNG/WebP/AVIF codecs (libvips in WebAssembly)',
  // wasm-vips (vips.wasm + vips-heif.wasm, 256 MiB of memory, 6 thread Workers) is loaded by the
  // worker before the first image job on a thread, outside the job's clock; never at start-up.
  load: () => loadVips().then(() => undefined),
  limits: {
    maxInputBytes: MAX_INPUT,
    maxOutputBytes: MAX_OUTPUT,
    timeoutMs: 5_000,
    // libvips' write calls beat through its progress reports (pipeline.ts watchProgress), but a
    // stretch between two reports (an AVIF frame's encode) is one wasm call: on a busy machine that
    // may pass 3 s of silence, so the job's own 5 s limit decides (a timeout, never an "unresponsive").
    maxSilentMs: 5_000,
    maxMemoryBytes: MEMORY_MAX_BYTES,
    wasmHighWaterBytes: MEMORY_HIGH_WATER_BYTES,
    // 5 s of CPU plus the data moved: 10 MiB in, 50 MiB out.
    costCap: 5_060,
  },
  methods: priced({
    resize: pipelineMethod(
      'resize to width/height (filter Lanczos3|Triangle|CatmullRom|Gaussian|Nearest, preserve_aspect, if_larger_than)',
      resizeShape,
      (p) => [{ method: 'resize', ...p }],
    ),
    crop: pipelineMethod('cut the width×height rectangle at (x, y)', cropShape, (p) => [
      { method: 'crop', x: p.x, y: p.y, width: p.width, height: p.height },
    ]),
    blur: pipelineMethod('Gaussian blur of standard deviation sigma (0.1-50 px)', blurShape, (p) => [
      { method: 'blur', sigma: p.sigma },
    ]),
    brighten: pipelineMethod(
      'add amount (-255..255) to every colour channel, clamped',
      brightenShape,
      (p) => [{ method: 'brighten', amount: p.amount }],
    ),
    contrast: pipelineMethod(
      'scale contrast around mid-grey by (100 + amount)% (amount -100..1000)',
      contrastShape,
      (p) => [{ method: 'contrast', amount: p.amount }],
    ),
    grayscale: simple('grayscale', 'BT.601 luma as ImageMagick computes it (-grayscale Rec601Luma)'),
    rotate90: simple('rotate90', 'rotate 90° clockwise'),
    rotate180: simple('rotate180', 'rotate 180°'),
    rotate270: simple('rotate270', 'rotate 270° clockwise (90° counter-clockwise)'),
    fliph: simple('fliph', 'mirror left-right'),
    flipv: simple('flipv', 'mirror top-bottom'),
    invert: simple('invert', 'negate the colour channels (255 − v), alpha kept'),
    batch: method({
      params: batchSchema,
      summary:
        'run operations [{method, ...params}] in order in one decode/encode (a final {method:"encode"} sets format/quality)',
      run: (ctx, p) =>
        withVips(ctx, (vips) => {
          const ops: Operation[] = [];
          const out: OutputOptions = { format: p.format, quality: p.quality };
          p.operations.forEach((step, i) => {
            if (step.method !== 'encode') {
              ops.push(step);
              return;
            }
            if (i !== p.operations.length - 1)
              throw new BadInputError(`operations[${i}]: "encode" may only be the last step`);
            if (step.format) out.format = step.format;
            if (step.quality !== undefined) out.quality = step.quality;
          });
          return runPipeline(vips, ctx.input, ops, out, ctx.checkpoint);
        }),
    }),
    encode: method({
      params: z.strictObject({ ...outputShape, raw: rawShape.optional() }),
      summary:
        'encode the input as format/quality: an encoded image (transcode), or raw 8-bit pixels described by raw {width,height,channels}',
      run: (ctx, p) =>
        withVips(ctx, (vips) => {
          if (!p.raw) return runPipeline(vips, ctx.input, [], p, ctx.checkpoint);
          const { width, height, channels } = p.raw;
          const want = width * height * channels;
          if (ctx.input.length !== want)
            throw new BadInputError(
              `raw pixels of ${width}×${height}×${channels} need exactly ${want} input bytes; got ${ctx.input.length}`,
            );
          if (!p.format)
            throw new BadInputError('encoding raw pixels needs a format: jpeg, png, webp or avif');
          const target = p.format;
          return guarded(`cannot encode ${target}`, () => {
            const im = vips.Image.newFromMemory(
              ctx.input.slice(),
              width,
              height,
              channels,
              vips.BandFormat.uchar,
            ).copy({
              interpretation: channels <= 2 ? 'b-w' : 'srgb',
            });
            return encode(vips, im, target, p.quality, ctx.checkpoint);
          });
        }),
    }),
    decode: method({
      params: z.strictObject({}),
      summary: 'decode to raw 8-bit pixels, row-major, channels interleaved (1-4 channels; see info)',
      run: (ctx) =>
        withVips(ctx, (vips) => {
          const { image, format } = openImage(vips, ctx.input, 'sequential');
          return guarded(`corrupt or unreadable ${format} file`, () => {
            const im = normalise(image);
            const bytes = im.width * im.height * im.bands;
            if (bytes > MAX_OUTPUT)
              throw new BadInputError(
                `the decoded pixels would be ${bytes} bytes (${im.width}×${im.height}×${im.bands}); decode produces at most ${MAX_OUTPUT}`,
              );
            const px = watchProgress(im, ctx.checkpoint, () => im.writeToMemory());
            return new Uint8Array(px.buffer, px.byteOffset, px.byteLength);
          });
        }),
    }),
    info: method({
      params: z.strictObject({}),
      summary: 'JSON {format, width, height, channels, hasAlpha, bitsPerChannel, bytes} from the header',
      run: (ctx) => withVips(ctx, (vips) => info(vips, ctx.input)),
    }),
  }),
};
