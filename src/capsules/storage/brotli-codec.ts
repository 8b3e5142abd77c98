/**
 * Brotli (RFC 7932) compression and bounded decompression over brotli-wasm's streaming API, so long
 * inputs checkpoint between calls and a decompression bomb is stopped at the output cap, not after
 * it has filled memory.
 *
 * The output of `brotliCompress` is one standard brotli stream: `brotli -d` and every browser decode it.
 * The window (lgwin) is 22: brotli-wasm 3.0.1 exposes only `quality`, and the encoder's default is 22
 * (checked: the stream header's WBITS field reads 22).
 */
import { BadInputError } from '../capsule.ts';
import { BrotliCode, type BrotliWasm } from './brotli-loader.ts';

export const QUALITY_MIN = 0;
export const QUALITY_MAX = 11;
export const DEFAULT_QUALITY = 5;
/** The only window the shipped encoder can produce (see the header). */
export const BROTLI_WINDOW = 22;

/**
 * Quality 10–11 run in uninterruptible blocks: one 64 KiB feed call took ~2 s per MiB of input at
 * quality 11 (0.3 MiB/s, Node 20 on a loaded 2-core machine), so a checkpoint may be seconds apart.
 * Those qualities are only accepted for inputs up to this size.
 */
export const HIGH_QUALITY_MAX_INPUT = 1 << 20;

/**
 * Feed and drain sizes. With 64 KiB in / 256 KiB out, the longest single call at quality 5 was ~10 ms
 * (vs ~20 ms with 128 KiB in); decompression with 64 KiB in / 128 KiB out stayed under ~9 ms per call.
 */
const COMPRESS_IN = 64 << 10;
const COMPRESS_OUT = 256 << 10;
const DECOMPRESS_IN = 64 << 10;
const DECOMPRESS_OUT = 128 << 10;

export function assertQuality(quality: number, inputBytes: number): void {
  if (quality >= 10 && inputBytes > HIGH_QUALITY_MAX_INPUT)
    throw new BadInputError(
      `quality ${quality} is limited to inputs of at most ${HIGH_QUALITY_MAX_INPUT} bytes (1 MiB): it compresses in ` +
        `uninterruptible blocks of ~2 s per MiB; use quality 0-9 for this ${inputBytes}-byte input`,
    );
}

/** Collects output pieces and enforces a byte cap as they arrive. */
class Sink {
  private readonly parts: Uint8Array[] = [];
  length = 0;
  constructor(
    private readonly cap: number,
    private readonly onOver: (cap: number) => Error,
  ) {}
  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.length += piece.length;
    if (this.length > this.cap) throw this.onOver(this.cap);
    this.parts.push(piece);
  }
  concat(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0] as Uint8Array;
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

/** Takes a result's bytes and frees its wasm-side object (wasm-bindgen objects are not GC'd). */
function take(r: { buf: Uint8Array; code: number; input_offset: number; free(): void }) {
  const out = { buf: r.buf, code: r.code, consumed: r.input_offset };
  r.free();
  return out;
}

export function brotliCompress(
  brotli: BrotliWasm,
  input: Uint8Array,
  quality: number,
  checkpoint: () => void,
  maxOutput = Number.MAX_SAFE_INTEGER,
): Uint8Array {
  if (!Number.isInteger(quality) || quality < QUALITY_MIN || quality > QUALITY_MAX)
    throw new BadInputError(`quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX}; got ${quality}`);
  assertQuality(quality, input.length);
  const sink = new Sink(
    maxOutput,
    (cap) => new BadInputError(`the compressed output would exceed ${cap} bytes`),
  );
  const stream = new brotli.CompressStream(quality);
  try {
    for (let off = 0; off < input.length;) {
      checkpoint();
      const r = take(
        stream.compress(input.subarray(off, Math.min(input.length, off + COMPRESS_IN)), COMPRESS_OUT),
      );
      sink.push(r.buf);
      off += r.consumed;
      if (r.code !== BrotliCode.NeedsMoreInput && r.code !== BrotliCode.NeedsMoreOutput)
        throw new Error(`brotli compression stopped with code ${r.code}`);
    }
    for (;;) {
      checkpoint();
      const r = take(stream.compress(undefined, COMPRESS_OUT));
      sink.push(r.buf);
      if (r.code === BrotliCode.ResultSuccess) break;
      if (r.code !== BrotliCode.NeedsMoreOutput)
        throw new Error(`brotli compression stopped with code ${r.code}`);
    }
  } finally {
    stream.free();
  }
  return sink.concat();
}

/**
 * Decodes exactly one brotli stream. Throws BadInputError when the data is not brotli, is truncated,
 * has bytes after the end of the stream, or decodes to more than `maxOutput` bytes (a bomb is stopped
 * within 128 KiB of the cap).
 */
export function brotliDecompress(
  brotli: BrotliWasm,
  input: Uint8Array,
  maxOutput: number,
  checkpoint: () => void,
): Uint8Array {
  if (input.length === 0) throw new BadInputError('the input is empty; a brotli stream is at least 1 byte');
  const sink = new Sink(
    maxOutput,
    (cap) =>
      new BadInputError(
        `the decompressed output exceeds ${cap} bytes, the most allowed (a decompression bomb?)`,
      ),
  );
  const stream = new brotli.DecompressStream();
  let off = 0;
  try {
    for (;;) {
      checkpoint();
      let r;
      try {
        r = take(
          stream.decompress(input.subarray(off, Math.min(input.length, off + DECOMPRESS_IN)), DECOMPRESS_OUT),
        );
      } catch (err) {
        throw new BadInputError(
          `corrupt brotli data near byte ${off}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      sink.push(r.buf);
      off += r.consumed;
      if (r.code === BrotliCode.ResultSuccess) {
        if (off < input.length)
          throw new BadInputError(
            `${input.length - off} bytes follow the end of the brotli stream (at byte ${off}); send exactly one stream`,
          );
        break;
      }
      if (r.code === BrotliCode.NeedsMoreInput && off >= input.length)
        throw new BadInputError(
          `the brotli stream is truncated: it ends after ${input.length} bytes without its last block`,
        );
      if (r.code !== BrotliCode.NeedsMoreInput && r.code !== BrotliCode.NeedsMoreOutput)
        throw new BadInputError(`corrupt brotli data near byte ${off} (decoder code ${r.code})`);
    }
  } finally {
    stream.free();
  }
  return sink.concat();
}
