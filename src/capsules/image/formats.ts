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

const u32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u32le = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/**
 * Checks the container's framing covers the input exactly: a PNG's chunks end with IEND at the last
 * byte, a RIFF/WebP's size field is the file's, ISO-BMFF (AVIF) top-level boxes add up to the file, a
 * JPEG ends with its EOI marker. Bytes before or after the image are how polyglot files (an image that
 * is also a ZIP, HTML or script) are made, and a short file is a truncated upload: both are refused
 * here, with the offset, before a decoder runs.
 */
export function checkFraming(format: Format, b: Uint8Array): void {
  const fail = (why: string) => {
    throw new BadInputError(`not a well-formed ${format} file: ${why}`);
  };
  const trailer = (end: number) =>
    fail(
      `${b.length - end} bytes follow the end of the image at byte ${end} (a polyglot file?); send the image alone`,
    );
  if (format === 'png') {
    for (let at = 8; ;) {
      if (at + 12 > b.length)
        return fail(`it is truncated: a chunk header at byte ${at} runs past the end (${b.length} bytes)`);
      const len = u32(b, at);
      const type = ascii(b, at + 4, at + 8);
      const next = at + 12 + len;
      if (len > 0x7fffffff || next > b.length)
        return fail(
          `it is truncated: chunk "${type}" at byte ${at} claims ${len} bytes, past the end (${b.length} bytes)`,
        );
      if (type === 'IEND') return next === b.length ? undefined : trailer(next);
      at = next;
    }
  }
  if (format === 'webp') {
    const end = 8 + u32le(b, 4) + (u32le(b, 4) & 1);
    if (end > b.length)
      return fail(`it is truncated: the RIFF header claims ${end} bytes, the input has ${b.length}`);
    return end === b.length ? undefined : trailer(end);
  }
  if (format === 'avif') {
    let at = 0;
    while (at < b.length) {
      if (at + 8 > b.length) return fail(`a box header at byte ${at} runs past the end`);
      let size = u32(b, at);
      if (size === 1) {
        if (at + 16 > b.length) return fail(`a box header at byte ${at} runs past the end`);
        size = u32(b, at + 8) * 2 ** 32 + u32(b, at + 12);
      } else if (size === 0) size = b.length - at;
      if (size < 8)
        return fail(`box "${ascii(b, at + 4, at + 8)}" at byte ${at} has an impossible size ${size}`);
      if (at + size > b.length)
        return fail(
          `it is truncated: box "${ascii(b, at + 4, at + 8)}" at byte ${at} claims ${size} bytes, past the end`,
        );
      at += size;
    }
    return;
  }
  // JPEG: the entropy-coded data has no length field, so only the end marker can be checked cheaply.
  if (b.length < 4 || b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9)
    fail(
      'it does not end with the EOI marker (FF D9): truncated, or followed by other data (a polyglot file?)',
    );
}

/**
 * The text of what wasm-vips threw: a C++ exception arrives as a WebAssembly.Exception (not an Error)
 * whose `message` its glue sets to ['vips::Error', text]; embind errors are plain Errors.
 */
export function vipsMessage(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  const text = Array.isArray(m) ? String(m[m.length - 1] ?? m[0]) : typeof m === 'string' ? m : String(err);
  // libvips stacks one line per retry ("source: bad seek to …" ×20): the first lines say it all.
  const lines = text.trim().split('\n');
  return lines.length > 3
    ? `${lines.slice(0, 3).join('\n')}\n(${lines.length - 3} more lines)`
    : lines.join('\n');
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
  checkFraming(format, input);
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
