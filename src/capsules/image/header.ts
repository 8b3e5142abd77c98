/**
 * The format and size of an encoded image from its first bytes, without decoding it: a cheap parse
 * of the PNG IHDR, the JPEG SOFn frame header, the WebP VP8/VP8L/VP8X header or the AVIF `ispe`
 * property. No imports on purpose: the work-based price (src/capsules/price.ts) reads it on the
 * requester's side, where no decoder is loaded. Anything it cannot read is null, never an error:
 * the capsule's own decoder then reports what is wrong with the file (formats.ts).
 */
/** The most pixels an image job's input or output may have (formats.ts MAX_PIXELS: 40 megapixels). */
export const MAX_IMAGE_PIXELS = 40_000_000;

export type HeaderFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export interface ImageHeader {
  format: HeaderFormat;
  width: number;
  height: number;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const tag = (b: Uint8Array, at: number) =>
  at + 4 <= b.length ? String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!) : '';

const sized = (format: HeaderFormat, width: number, height: number): ImageHeader | null =>
  width > 0 && height > 0 ? { format, width, height } : null;

function png(b: Uint8Array): ImageHeader | null {
  if (b.length < 24 || tag(b, 12) !== 'IHDR') return null;
  return sized('png', u32(b, 16), u32(b, 20));
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame's height and width. */
function jpeg(b: Uint8Array): ImageHeader | null {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // standalone markers
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan: no frame header
    const len = u16(b, at + 2);
    if (len < 2) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return at + 9 <= b.length ? sized('jpeg', u16(b, at + 7), u16(b, at + 5)) : null;
    at += 2 + len;
  }
  return null;
}

function webp(b: Uint8Array): ImageHeader | null {
  const chunk = tag(b, 12);
  if (chunk === 'VP8X' && b.length >= 30) return sized('webp', u24le(b, 24) + 1, u24le(b, 27) + 1);
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const [b0, b1, b2, b3] = [b[21]!, b[22]!, b[23]!, b[24]!];
    return sized('webp', 1 + (((b1 & 0x3f) << 8) | b0), 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | (b1 >> 6)));
  }
  if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a)
    return sized('webp', (b[26]! | (b[27]! << 8)) & 0x3fff, (b[28]! | (b[29]! << 8)) & 0x3fff);
  return null;
}

/**
 * AVIF: the largest `ispe` (image spatial extents) property in meta/iprp/ipco. The primary item's is
 * the image's size; the others (alpha plane, grid tiles, a thumbnail) are no larger.
 */
function avif(b: Uint8Array): ImageHeader | null {
  let best: ImageHeader | null = null;
  const walk = (from: number, to: number, depth: number) => {
    for (let at = from; at + 8 <= to;) {
      let size = u32(b, at);
      const type = tag(b, at + 4);
      let body = at + 8;
      if (size === 1) {
        if (at + 16 > to) return;
        size = u32(b, at + 8) * 2 ** 32 + u32(b, at + 12);
        body = at + 16;
      } else if (size === 0) size = to - at;
      if (size < body - at || at + size > to) return;
      const end = at + size;
      if (type === 'meta' && depth === 0)
        walk(body + 4, end, 1); // a full box: version and flags first
      else if ((type === 'iprp' && depth === 1) || (type === 'ipco' && depth === 2))
        walk(body, end, depth + 1);
      else if (type === 'ispe' && depth === 3 && body + 12 <= end) {
        const h = sized('avif', u32(b, body + 4), u32(b, body + 8));
        if (h && (!best || h.width * h.height > best.width * best.height)) best = h;
      }
      at = end;
    }
  };
  walk(0, b.length, 0);
  return best;
}

/** The image's format (by its magic bytes, as formats.ts sniffs it) and size, or null. */
export function readImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (b.length >= 8 && u32(b, 0) === 0x89504e47 && u32(b, 4) === 0x0d0a1a0a) return png(b);
  if (tag(b, 0) === 'RIFF' && tag(b, 8) === 'WEBP') return webp(b);
  if (tag(b, 4) === 'ftyp') return avif(b);
  return null;
}
