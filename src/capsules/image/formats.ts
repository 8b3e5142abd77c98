/**
 * The four formats the image capsule reads and writes, recognised by their magic bytes before any
 * decoder sees the input, and the limits checked from the header before any pixel is decoded.
 *
 * Sniffing first, then calling that format's own loader (never libvips' "guess the loader"), means a
 * polyglot file is decoded as the format its first bytes claim or refused, and no other libvips loader
 * (TIFF, SVG, GIF, PDF, matrix, raw…) can ever be reached by a peer's bytes.
 */
import { BadInputError } from '../capsule.ts';
import type { VipsImage, VipsModule } from './vips-loader.ts';

export const FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type Format = (typeof FORMATS)[number];
export const FORMATS_TEXT = FORMATS.join(', ');

/**
 * Most pixels a decoded image (or a job's output) may have: 40 megapixels (an 8K frame is 33 MP). At
 * 4 bytes a pixel that is 160 MB decoded, twice that while a rotation holds a copy — inside the 1 GiB
 * memory cap of a worker (vips-loader.ts).
 */
export const MAX_PIXELS = 40_000_000;
/**
 * AVIF encoding (libaom, effort 0, one thread) is the slowest step by far: ~0.4 s for 0.75 MP on a
 * busy 2-core machine, so an AVIF output is limited to 4 MP to stay inside the 5 s job limit.
 */
export const AVIF_MAX_PIXELS = 4_000_000;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** A name for what the bytes look like, for the "unknown format" message. */
function lookalike(b: Uint8Array): string {
  if (b.length === 0) return 'empty input';
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(b, [0x42, 0x4d])) return 'BMP';
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46])) return 'PDF';
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'JPEG XL';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') return `an ISO media file of brand "${ascii(b, 8, 12)}"`;
  if (/^\s*<(\?xml|svg)/i.test(ascii(b, 0, Math.min(b.length, 64)))) return 'SVG/XML';
  return `unknown bytes ${[...b.subarray(0, 8)].map((v) => v.toString(16).padStart(2, '0')).join(' ')}`;
}

/** The input's format from its magic bytes; a BadInputError naming the allowed ones otherwise. */
export function sniffFormat(b: Uint8Array): Format {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const size = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    const end = Math.min(b.length, size, 64);
    const brands = [ascii(b, 8, 12)];
    for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(b, at, at + 4));
    if (brands.includes('avif') || brands.includes('avis')) return 'avif';
  }
  throw new BadInputError(
    `unsupported image format (${lookalike(b)}); allowed input formats: ${FORMATS_TEXT} (by their magic bytes)`,
  );
}

/** wasm-vips throws Error objects or ['vips::Error', message] pairs; returns the message text. */
export function vipsMessage(err: unknown): string {
  if (Array.isArray(err)) return String(err[err.length - 1] ?? err).trim();
  if (err instanceof Error) return err.message.trim();
  return String(err).trim();
}

export type Access = 'random' | 'sequential';

/**
 * Opens the input (header only: libvips decodes pixels later, when something reads them) and refuses
 * it if it claims more than MAX_PIXELS. `fail_on: 'truncated'` makes a cut-off file an error instead
 * of a silently grey bottom.
 */
export function openImage(
  vips: VipsModule,
  input: Uint8Array,
  access: Access,
  checkPixels = true,
): { image: VipsImage; format: Format } {
  const format = sniffFormat(input);
  const opts = { access, fail_on: 'truncated' };
  let image: VipsImage;
  try {
    // wasm-vips copies the bytes into wasm memory, so a view of shared memory is fine here.
    if (format === 'jpeg') image = vips.Image.jpegloadBuffer(input, opts);
    else if (format === 'png') image = vips.Image.pngloadBuffer(input, opts);
    else if (format === 'webp') image = vips.Image.webploadBuffer(input, opts);
    else image = vips.Image.heifloadBuffer(input, opts);
  } catch (err) {
    throw new BadInputError(`corrupt or unreadable ${format} file: ${vipsMessage(err)}`, { cause: err });
  }
  if (checkPixels) assertPixels(image.width, image.height, `the ${format} header`);
  return { image, format };
}

export function assertPixels(width: number, height: number, what: string): void {
  if (width * height > MAX_PIXELS)
    throw new BadInputError(
      `${what} says ${width}×${height} = ${width * height} pixels; at most ${MAX_PIXELS} (40 megapixels) are ` +
        'allowed (a decompression bomb?)',
    );
}
