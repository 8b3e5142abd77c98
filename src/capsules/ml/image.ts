/**
 * Images for `ocr` and `classify`: binary PNM (P6 RGB or P5 grey, 8 or 16 bits; what `convert in.png
 * ppm:-` writes), held as RGB bytes; bilinear resampling and crops into the CHW float tensors the
 * PaddleOCR models take, channels in BGR order as PaddleOCR's OpenCV pipeline feeds them.
 */
import { BadInputError } from '../capsule.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, RGB. */
  data: Uint8Array;
}

export const MAX_PIXELS = 16_000_000;

export function decodePnm(bytes: Uint8Array): RgbImage {
  const bad = (why: string) =>
    new BadInputError(
      `${why}; ocr and classify take a binary PNM image: P6 (RGB) or P5 (grey), maxval 255 or 65535`,
    );
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  if (magic !== 'P6' && magic !== 'P5') throw bad('the input is not a binary PNM image');
  const fields: number[] = [];
  let at = 2;
  while (fields.length < 3) {
    const c = bytes[at];
    if (c === undefined) throw bad('the PNM header is cut short');
    if (c === 0x23) while (at < bytes.length && bytes[at] !== 0x0a) at++;
    else if (c >= 0x30 && c <= 0x39) {
      let n = 0;
      while (at < bytes.length && bytes[at]! >= 0x30 && bytes[at]! <= 0x39) n = n * 10 + bytes[at++]! - 0x30;
      fields.push(n);
      continue;
    }
    at++;
  }
  at++; // the single whitespace byte after maxval
  const [width, height, maxval] = fields as [number, number, number];
  if (maxval !== 255 && maxval !== 65535) throw bad(`maxval is ${maxval}`);
  if (width < 1 || height < 1 || width * height > MAX_PIXELS)
    throw bad(`the image is ${width}×${height}; at most ${MAX_PIXELS} pixels`);
  const channels = magic === 'P6' ? 3 : 1;
  const wide = maxval === 65535 ? 2 : 1;
  const need = width * height * channels * wide;
  if (bytes.length - at < need) throw bad(`the pixel data is ${bytes.length - at} bytes, expected ${need}`);
  let src = bytes.subarray(at, at + need);
  // 16-bit samples (ImageMagick's default depth) are big-endian: keep the high byte.
  if (wide === 2) src = src.filter((_, i) => i % 2 === 0);
  if (channels === 3) return { width, height, data: src.slice() };
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = src[i]!;
  return { width, height, data };
}

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Resamples `rect` of `img` (pixel edges, fractional allowed) bilinearly to w × h into a [3, h, W]
 * tensor (W ≥ w: columns past w stay `pad`), each value mapped by `norm(byte, channel)`; channel
 * order B, G, R. `flip` rotates the crop by 180°.
 */
export function toTensor(
  img: RgbImage,
  rect: Rect,
  w: number,
  h: number,
  norm: (v: number, c: number) => number,
  opts: { W?: number; pad?: number; flip?: boolean } = {},
): Float32Array {
  const W = opts.W ?? w;
  const out = new Float32Array(3 * h * W).fill(opts.pad ?? 0);
  const sx = (rect.x1 - rect.x0) / w;
  const sy = (rect.y1 - rect.y0) / h;
  const { width, height, data } = img;
  for (let y = 0; y < h; y++) {
    const yy = opts.flip ? h - 1 - y : y;
    const fy = Math.min(Math.max(rect.y0 + (yy + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const xx = opts.flip ? w - 1 - x : x;
      const fx = Math.min(Math.max(rect.x0 + (xx + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const rgb = 2 - c; // B, G, R
        const a = data[(y0 * width + x0) * 3 + rgb]!;
        const b = data[(y0 * width + x1) * 3 + rgb]!;
        const d = data[(y1 * width + x0) * 3 + rgb]!;
        const e = data[(y1 * width + x1) * 3 + rgb]!;
        const v = (a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty;
        out[c * h * W + y * W + x] = norm(v, c);
      }
    }
  }
  return out;
}
