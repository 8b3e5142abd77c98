/**
 * The image pipeline: decode (header-checked), normalise to 8-bit sRGB or grey (± alpha), apply the
 * operations lazily in libvips, then encode once. `batch` is the same pipeline with several steps, so
 * nothing is re-encoded between steps.
 *
 * Exactness notes (tests/unit/capsules/image check them against ImageMagick):
 * - rotate*, flip*, crop, invert are pixel moves / 255 − v: exact.
 * - grayscale is BT.601 luma on the gamma-encoded values as ImageMagick computes it
 *   (`-grayscale Rec601Luma`): 0.298839 R + 0.586811 G + 0.114350 B in its 16-bit quantum, rounded,
 *   then truncated to 8 bits — done here in double precision with the same two steps.
 * - resize uses libvips `resize` with gap 0 (a true separable filter, no box pre-shrink), in the
 *   gamma-encoded values like ImageMagick; alpha is premultiplied around it. libvips has no Gaussian
 *   kernel: `Gaussian` is a Gaussian blur of σ = 0.5 source pixels × the reduction factor followed by
 *   a Triangle (bilinear) resample — the shape of the Rust `image` crate's Gaussian filter (σ 0.5,
 *   stretched when reducing), not its exact weights.
 */
import { BadInputError, JobStopped } from '../capsule.ts';
import {
  assertPixels,
  AVIF_MAX_PIXELS,
  openImage,
  vipsMessage,
  type Access,
  type Format,
} from './formats.ts';
import type { Filter, Operation } from './params.ts';
import type { VipsImage, VipsModule } from './vips-loader.ts';

const KERNEL: Record<Filter, string> = {
  Lanczos3: 'lanczos3',
  Triangle: 'linear',
  CatmullRom: 'cubic',
  Gaussian: 'linear',
  Nearest: 'nearest',
};

export const DEFAULT_QUALITY: Record<Exclude<Format, 'png'>, number> = { jpeg: 80, webp: 80, avif: 60 };

export interface OutputOptions {
  format?: Format | undefined;
  quality?: number | undefined;
}

/** Runs `fn` and turns a libvips failure into a BadInputError (the input could not be processed). */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError || err instanceof JobStopped) throw err;
    throw new BadInputError(`${what}: ${vipsMessage(err)}`, { cause: err });
  }
}

/** 8-bit sRGB (3 or 4 bands) or grey (1 or 2 bands); the alpha band, if any, last. */
export function normalise(image: VipsImage): VipsImage {
  let im = image;
  const interp = im.interpretation;
  if (interp === 'cmyk' || interp === 'lab' || interp === 'xyz' || interp === 'scrgb')
    im = im.colourspace('srgb');
  else if (interp === 'rgb16') im = im.colourspace('srgb');
  else if (interp === 'grey16') im = im.colourspace('b-w');
  if (im.format !== 'uchar') im = im.cast('uchar');
  if (im.bands < 1 || im.bands > 4)
    throw new BadInputError(
      `the image has ${im.bands} channels; 1 to 4 (grey, grey+alpha, RGB, RGBA) are supported`,
    );
  return im;
}

const hasAlpha = (im: VipsImage) => im.bands === 2 || im.bands === 4;

/** Applies `fn` to the colour bands only, keeping the alpha band as it is. */
function colourOnly(im: VipsImage, fn: (colour: VipsImage) => VipsImage): VipsImage {
  if (!hasAlpha(im)) return fn(im);
  const colour = im.extractBand(0, { n: im.bands - 1 });
  const alpha = im.extractBand(im.bands - 1);
  return fn(colour).bandjoin(alpha);
}

export interface ResizeParams {
  width?: number | undefined;
  height?: number | undefined;
  filter?: Filter | undefined;
  preserve_aspect?: boolean | undefined;
  if_larger_than?: [number, number] | undefined;
}

/** The output size of a resize, or null when `if_larger_than` says to leave the image alone. */
export function resizeTarget(
  w: number,
  h: number,
  p: ResizeParams,
): { width: number; height: number } | null {
  if (p.width === undefined && p.height === undefined)
    throw new BadInputError('resize needs width, height or both (pixels)');
  if (p.if_larger_than && w <= p.if_larger_than[0] && h <= p.if_larger_than[1]) return null;
  if (p.preserve_aspect === false) {
    if (p.width === undefined || p.height === undefined)
      throw new BadInputError('resize with preserve_aspect false needs both width and height');
    return { width: p.width, height: p.height };
  }
  const scale = Math.min(p.width ? p.width / w : Infinity, p.height ? p.height / h : Infinity);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

function resize(im: VipsImage, p: ResizeParams): VipsImage {
  const target = resizeTarget(im.width, im.height, p);
  if (!target) return im;
  assertPixels(target.width, target.height, 'the resize target');
  if (target.width === im.width && target.height === im.height) return im;
  const filter = p.filter ?? 'Lanczos3';
  const hscale = target.width / im.width;
  const vscale = target.height / im.height;
  const alpha = hasAlpha(im);
  let src = alpha ? im.premultiply() : im;
  if (filter === 'Gaussian') {
    const sigma = 0.5 * Math.max(1, 1 / Math.min(hscale, vscale));
    src = src.gaussblur(sigma, { precision: 'float' });
  }
  const kernel = KERNEL[filter];
  let out = src.resize(hscale, { vscale, kernel, gap: 0 });
  if (out.width !== target.width || out.height !== target.height) {
    // Some kernels' integer pre-shrink floors the size where the others round (320 → 99 for 100 with
    // Triangle); a quarter-pixel nudge of the scale lands on the asked size under either rule.
    const h = out.width === target.width ? hscale : (target.width + 0.25) / im.width;
    const v = out.height === target.height ? vscale : (target.height + 0.25) / im.height;
    out = src.resize(h, { vscale: v, kernel, gap: 0 });
  }
  if (alpha) out = out.unpremultiply();
  if (out.format !== 'uchar') out = out.cast('uchar');
  if (out.width !== target.width || out.height !== target.height)
    throw new Error(
      `libvips resized to ${out.width}×${out.height} instead of ${target.width}×${target.height}`,
    );
  return out;
}

/** A 1×3 recombination matrix; wasm-vips' .d.ts types newFromArray as 1-D, its code takes rows. */
const LUMA_601_IM = [[0.298839, 0.586811, 0.11435]] as unknown as number[];

/**
 * ImageMagick's Rec601Luma (see the header): its Q16 build rounds the weighted sum of the 16-bit values
 * (v·257) to a quantum, and writing 8 bits then truncates (q / 257). Both steps were matched pixel for
 * pixel against `convert -grayscale Rec601Luma` (6.9.11 Q16); rounding the 8-bit sum instead differs
 * on about half the pixels.
 */
function grayscale(vips: VipsModule, im: VipsImage): VipsImage {
  return colourOnly(im, (c) => {
    if (c.bands === 1) return c;
    const q16 = c.cast('double').multiply(257).recomb(vips.Image.newFromArray(LUMA_601_IM)).add(0.5).floor();
    return q16.divide(257).floor().cast('uchar').copy({ interpretation: 'b-w' });
  });
}

function brighten(im: VipsImage, amount: number): VipsImage {
  return colourOnly(im, (c) => c.linear(1, amount).cast('uchar'));
}

function contrast(im: VipsImage, amount: number): VipsImage {
  const f = 1 + amount / 100;
  return colourOnly(im, (c) =>
    c
      .cast('double')
      .linear(f, 128 - 128 * f + 0.5)
      .floor()
      .cast('uchar'),
  );
}

export function applyOperation(vips: VipsModule, im: VipsImage, op: Operation): VipsImage {
  switch (op.method) {
    case 'resize':
      return resize(im, op);
    case 'crop':
      if (op.x + op.width > im.width || op.y + op.height > im.height)
        throw new BadInputError(
          `crop ${op.width}×${op.height} at (${op.x}, ${op.y}) falls outside the ${im.width}×${im.height} image`,
        );
      return im.extractArea(op.x, op.y, op.width, op.height);
    case 'blur':
      return im.gaussblur(op.sigma);
    case 'brighten':
      return brighten(im, op.amount);
    case 'contrast':
      return contrast(im, op.amount);
    case 'grayscale':
      return grayscale(vips, im);
    case 'rotate90':
      return im.rot('d90');
    case 'rotate180':
      return im.rot('d180');
    case 'rotate270':
      return im.rot('d270');
    case 'fliph':
      return im.flip('horizontal');
    case 'flipv':
      return im.flip('vertical');
    case 'invert':
      return colourOnly(im, (c) => c.invert());
  }
}

/**
 * Operations that read their input out of order (rotations, vertical flips, enlargements) need the
 * decoder's random access; everything else streams top to bottom, which needs less memory.
 */
function needsRandomAccess(ops: readonly Operation[]): boolean {
  return ops.some(
    (op) =>
      op.method === 'rotate90' ||
      op.method === 'rotate180' ||
      op.method === 'rotate270' ||
      op.method === 'flipv' ||
      op.method === 'resize',
  );
}

/**
 * libvips computes every pixel inside the one call that writes the result (a save, writeToMemory),
 * where no checkpoint of ours can run: on a busy machine that call went past the engine's 3 s
 * heartbeat and the worker was replaced as unresponsive (34 internal errors in the 1000-job soak).
 * libvips reports its progress from that call on this thread (the image's eval signal, wasm-vips'
 * `onProgress`, every few tiles): `watchProgress` runs the job's checkpoint there, which keeps the
 * heartbeat and sees a cancel, a timeout or the memory limit. A stop is not thrown through wasm:
 * it sets the image's `kill` flag (libvips then ends the write with an error) and `write` rethrows it.
 */
export function watchProgress<T>(im: VipsImage, checkpoint: () => void, write: () => T): T {
  let stop: unknown = null;
  im.onProgress = () => {
    if (stop !== null) return;
    try {
      checkpoint();
    } catch (err) {
      stop = err;
      im.kill = true;
    }
  };
  let out: T;
  try {
    out = write();
  } catch (err) {
    throw stop ?? err;
  }
  if (stop !== null) throw stop;
  return out;
}

export function encode(
  vips: VipsModule,
  im: VipsImage,
  format: Format,
  quality: number | undefined,
  checkpoint: () => void = () => {},
): Uint8Array {
  assertPixels(im.width, im.height, 'the output');
  if (format === 'png') {
    if (quality !== undefined)
      throw new BadInputError('quality applies to jpeg, webp and avif; png is lossless (leave quality out)');
    return watchProgress(im, checkpoint, () => im.pngsaveBuffer({ compression: 6, keep: 'none' }));
  }
  const Q = quality ?? DEFAULT_QUALITY[format];
  if (format === 'jpeg') {
    const flat = hasAlpha(im) ? im.flatten({ background: [255] }) : im;
    return watchProgress(flat, checkpoint, () => flat.jpegsaveBuffer({ Q, keep: 'none' }));
  }
  if (format === 'webp')
    return watchProgress(im, checkpoint, () => im.webpsaveBuffer({ Q, keep: 'none', effort: 4 }));
  if (im.width * im.height > AVIF_MAX_PIXELS)
    throw new BadInputError(
      `an avif output may have at most ${AVIF_MAX_PIXELS} pixels (AVIF encoding is slow); this one is ` +
        `${im.width}×${im.height}: resize it first or choose jpeg, png or webp`,
    );
  void vips;
  return watchProgress(im, checkpoint, () =>
    im.heifsaveBuffer({ Q, compression: 'av1', effort: 0, bitdepth: 8, keep: 'none' }),
  );
}

/**
 * Decode → operations → encode. `checkpoint` runs between the stages and, through libvips' progress
 * reports, inside the encode call where the pixels are computed (watchProgress).
 */
export function runPipeline(
  vips: VipsModule,
  input: Uint8Array,
  ops: readonly Operation[],
  out: OutputOptions,
  checkpoint: () => void,
): Uint8Array {
  const access: Access = needsRandomAccess(ops) ? 'random' : 'sequential';
  const { image, format } = openImage(vips, input, access);
  checkpoint();
  let im = guarded(`cannot read the ${format} image`, () => normalise(image));
  for (const op of ops) im = guarded(`${op.method} failed`, () => applyOperation(vips, im, op));
  checkpoint();
  const target = out.format ?? format;
  return guarded(`corrupt or unreadable ${format} input, or it cannot be encoded as ${target}`, () =>
    encode(vips, im, target, out.quality, checkpoint),
  );
}
