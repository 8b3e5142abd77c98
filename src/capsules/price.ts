/**
 * Work-based prices (docs/CREDITS.md "Work-based prices"): what a deterministic method's job costs,
 * from what it did — bytes hashed, encrypted, compressed; hashes tried — never from how long it took
 * on a busy machine. A price is a pure function of the job's input size, its params (the JSON the
 * requester sent, not the schema-parsed form) and its output, so the contributor's engine and the
 * requester compute the same number: the requester pays min(claimed, its own price, budget) and a
 * contributor cannot inflate its earnings (src/trade/requester.ts).
 *
 * One credit stays one millisecond of a reference worker's CPU (the rates below are measured
 * milliseconds per MiB, rounded up; the sources are in docs/CREDITS.md), plus one credit per MiB
 * moved (input and output together), as the wall-time formula charges. Every price is at least the
 * price of the same job with an empty output (the engine refuses up front a budget below that).
 *
 * Light on purpose: no capsule implementation is imported, so the requester side (CLI, extension
 * page, library) can price a job without loading wasm libraries.
 */
import { MAX_IMAGE_PIXELS, readImageHeader, type HeaderFormat } from './image/header.ts';

export const MIB = 1024 * 1024;

/** What is known of a job before it runs: the same on both sides of the market. */
export interface JobShape {
  inputBytes: number;
  /** The params as sent, JSON-parsed (unvalidated; a price reads them defensively). */
  params: unknown;
  /**
   * The input's bytes, for prices that read a header (image.*: the pixels; ml.classify: its size).
   * Both sides have it (the requester sent it); a price whose work is in a header counts none
   * without it, so every caller passes it.
   */
  input?: Uint8Array;
}

/** What a price is computed from: the same on both sides of the market. */
export interface PriceInput extends JobShape {
  /** The job's output (the result's bytes, verified by the requester's quorum). */
  output: Uint8Array;
}

/** Credits for a finished (`ok`) job of a method; a whole number ≥ 0. */
export type Price = (job: PriceInput) => number;

/**
 * The most a job's price can be, from what is known before it runs (its input and params), or
 * undefined when that is not known (params a price cannot read). The engine turns it into the job's
 * run-time bound (src/engine/cost.ts `pricedRunMs`); it is never a charge.
 */
export type PriceBound = (job: JobShape) => number | undefined;

/** One credit per MiB moved, input and output counted together, rounded up. */
export function dataCredits(bytes: number): number {
  return Math.ceil(bytes / MIB);
}

/** `rate` credits per MiB of `bytes` of work, rounded up. */
export function perMib(rate: number, bytes: number): number {
  return Math.ceil((rate * bytes) / MIB);
}

/** Work credits per MiB of input (ms per MiB on a reference worker, rounded up). */
export const RATES = {
  /** SHA-256, SHA-512, HMAC-SHA256, BLAKE3: 913 and 685 MB/s on one Node worker (bench/results/capsules.json). */
  hash: 2,
  /** ChaCha20-Poly1305: 99 MB/s on one worker (bench/results/capsules.json). */
  chacha: 11,
  /**
   * AES-GCM (WebCrypto): 0.88× ChaCha20-Poly1305's time in one quiet run of bench/ledger/price-rates.ts
   * (bench/results/price-rates.json, load 0.5): 0.88 × 11, rounded up.
   */
  aesGcm: 10,
  /**
   * One Ed25519 signature or verification, plus `hash` per MiB: 1.20 ms a 1 KiB signature in one quiet
   * run of bench/ledger/price-rates.ts (bench/results/price-rates.json, load 0.5), rounded up.
   */
  ed25519Op: 2,
  /** Brotli decompression, per MiB of output: 177 MB/s (bench/results/capsules.json). */
  decompress: 6,
  /**
   * pow.search: double-SHA256 evaluations per credit, i.e. per millisecond of one worker's CPU
   * search: 3240.74 hashes/ms for 2^23 nonces on the SIMD kernel through `execute` in one quiet run
   * of bench/ledger/price-rates.ts (bench/results/price-rates.json, load 0.5), rounded down (as the
   * other rates round up: in the contributor's favour).
   */
  powHashesPerCredit: 3240,
} as const;

/**
 * Brotli compression, credits per MiB of input by quality 0-11: q9 is 183 ms/MiB (5.47 MB/s on the
 * headers corpus, bench/results/capsules.json); the others scale by their time against q9 in one
 * run of bench/ledger/price-rates.ts; q10-11 by the ~2 s per MiB docs/CREDITS.md gives them.
 */
export const COMPRESS_RATES: readonly number[] = [20, 25, 30, 32, 70, 100, 100, 100, 183, 183, 2000, 2000];
/** storage's default quality (src/capsules/storage/brotli-codec.ts DEFAULT_QUALITY). */
const DEFAULT_QUALITY = 5;

/**
 * UTF-8 text of an output. In the browser's pool an output is a view of the shared arena, which
 * Chromium's TextDecoder refuses ("must not be shared"): such a view is copied first.
 */
export function textOf(b: Uint8Array): string {
  const shared = typeof SharedArrayBuffer !== 'undefined' && b.buffer instanceof SharedArrayBuffer;
  return new TextDecoder().decode(shared ? b.slice() : b);
}

function field(params: unknown, key: string): unknown {
  return typeof params === 'object' && params !== null && !Array.isArray(params)
    ? (params as Record<string, unknown>)[key]
    : undefined;
}

function compressRate(params: unknown): number {
  const q = field(params, 'quality');
  const quality = typeof q === 'number' && Number.isInteger(q) && q >= 0 && q <= 11 ? q : DEFAULT_QUALITY;
  return COMPRESS_RATES[quality] ?? COMPRESS_RATES[DEFAULT_QUALITY]!;
}

/**
 * A price written over the output's size: the prices below read only the output's length (pow.search
 * excepted), so the same function gives the price (the output's real size) and the bound (its largest).
 */
type Sized = (j: JobShape, outBytes: number) => number;
const byOutput =
  (f: Sized): Price =>
  (j) =>
    f(j, j.output.length);
const upTo =
  (f: Sized, most: (j: JobShape) => number): PriceBound =>
  (j) =>
    f(j, most(j));

const moved = (j: JobShape, out: number) => dataCredits(j.inputBytes + out);
const hashingN: Sized = (j, out) => perMib(RATES.hash, j.inputBytes) + moved(j, out);
const chachaN: Sized = (j, out) => perMib(RATES.chacha, Math.max(j.inputBytes, out)) + moved(j, out);
const aesGcmN: Sized = (j, out) => perMib(RATES.aesGcm, Math.max(j.inputBytes, out)) + moved(j, out);
const ed25519N: Sized = (j, out) => RATES.ed25519Op + perMib(RATES.hash, j.inputBytes) + moved(j, out);
const compressN: Sized = (j, out) => perMib(compressRate(j.params), j.inputBytes) + moved(j, out);
const decompressN: Sized = (_j, out) => perMib(RATES.decompress, out) + moved(_j, out);
// A put compresses, seals (ChaCha20-Poly1305) and BLAKE3-addresses every chunk of its input.
const putN: Sized = (j, out) =>
  perMib(compressRate(j.params) + RATES.chacha + RATES.hash, j.inputBytes) + moved(j, out);
// A get reads the blob's chunks back: each decrypted (ChaCha20-Poly1305), decompressed and
// BLAKE3-re-hashed, all bounded by the blob it returns. (has/delete: see UNPRICED_REASONS.)
const getN: Sized = (j, out) => perMib(RATES.decompress + RATES.chacha + RATES.hash, out) + moved(j, out);
// One double hash of 80 bytes.
const verifyN: Sized = (j, out) => 1 + moved(j, out);

const hashing = byOutput(hashingN);
const chacha = byOutput(chachaN);
const aesGcm = byOutput(aesGcmN);
const ed25519 = byOutput(ed25519N);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The nonces a `pow.search` result accounts for: a found nonce is the first in the range that meets
 * the target, so every nonce from `nonceStart` up to it was hashed (nonce − nonceStart + 1); a range
 * finished without one was hashed whole (`count`). Computed from the params and the result's nonce,
 * never from the result's own `hashes` field. An output that is neither (unreadable, or stopped early)
 * proves no work: 0.
 */
export function powSearchHashes(params: unknown, output: Uint8Array): number {
  const start = field(params, 'nonceStart');
  const count = field(params, 'count');
  if (!isCount(start) || !isCount(count) || output.length === 0) return 0;
  let out: unknown;
  try {
    out = JSON.parse(textOf(output));
  } catch {
    return 0;
  }
  const nonce = field(out, 'nonce');
  if (field(out, 'found') === true && isCount(nonce) && nonce >= start && nonce - start < count)
    return nonce - start + 1;
  if (field(out, 'found') === false && field(out, 'stopped') === null) return count;
  return 0;
}

/** pow.search: the hashes its result accounts for, at RATES.powHashesPerCredit, rounded up. */
const powSearch: Price = (j) =>
  Math.ceil(powSearchHashes(j.params, j.output) / RATES.powHashesPerCredit) + moved(j, j.output.length);

/**
 * The most a `pow.search` job can cost: its whole range hashed, plus the data moved by its (≤ 1 KiB)
 * result. A budget of this much never stops a search (the local mint sizes its slices' budgets so).
 */
export function powSearchMaxPrice(count: number): number {
  return Math.ceil(count / RATES.powHashesPerCredit) + 1;
}

/**
 * image.*, milliseconds per megapixel of a quiet reference worker, rounded up: one run of
 * bench/ledger/price-rates.ts at load 10 (bench/results/price-rates.json `perQuietWorker`: each
 * time divided by that run's load factor, 3.11, its median time against the quiet run [B] for the
 * same priced methods; docs/CREDITS.md [D]). Decoding the input by its format, encoding the output by
 * its format (a same-format transcode less its decode), and each operation over the larger of the
 * input's and the output's pixels.
 */
export const IMAGE_RATES = {
  decode: { jpeg: 14, png: 18, webp: 12, avif: 73 } as Readonly<Record<HeaderFormat, number>>,
  encode: { jpeg: 1, png: 29, webp: 57, avif: 12 } as Readonly<Record<HeaderFormat, number>>,
  /**
   * Every operation alike: the mean of the 15 operation rows of that run (rotations, flips, invert,
   * grayscale, brighten, contrast, crop, blur at sigma 1 and 10, three resizes), 1.58 ms/MP. One by
   * one they were within that run's noise (−10.8 to +13.3 ms/MP around it), so no operation is
   * priced apart from the others.
   */
  op: 2,
  /** `info` reads the header only: a flat charge, ms (0.51 ms in that run). */
  info: 1,
} as const;

/** The pixels of a readable header within the capsule's limit; 0 otherwise (the capsule refuses it at cost 0). */
function headerPixels(h: { width: number; height: number } | null): number {
  const px = h ? h.width * h.height : 0;
  return px <= MAX_IMAGE_PIXELS ? px : 0;
}

/** The operations a job of `image.<method>` runs, from its params as sent ([] when unreadable). */
function imageOperations(method: string, params: unknown): string[] {
  if (method === 'encode' || method === 'decode' || method === 'info') return [];
  if (method !== 'batch') return [method];
  const ops = field(params, 'operations');
  if (!Array.isArray(ops)) return [];
  return ops.flatMap((op: unknown) => {
    const m = field(op, 'method');
    return typeof m === 'string' && m !== 'encode' ? [m] : [];
  });
}

/** `encode`'s raw pixels: params.raw {width, height} when both are counts. */
function rawPixels(params: unknown): number | undefined {
  const raw = field(params, 'raw');
  const w = field(raw, 'width');
  const h = field(raw, 'height');
  return isCount(w) && isCount(h) ? w * h : undefined;
}

/**
 * image.<method>: decode of the input (its header's format and pixels; raw pixels for `encode` with
 * `raw`: none) + each operation over the larger of the input's and output's pixels + encode of the
 * output (its header's format and pixels), in ms by IMAGE_RATES, rounded up, + data moved. An input
 * or output whose header cannot be read counts no pixels (the capsule reports what is wrong).
 */
function imageWork(
  method: string,
  j: JobShape,
  out: { format: HeaderFormat; pixels: number } | null,
): number {
  if (method === 'info') return IMAGE_RATES.info;
  const raw = method === 'encode' ? rawPixels(j.params) : undefined;
  const inHeader = raw === undefined && j.input ? readImageHeader(j.input) : null;
  const inPx = raw ?? headerPixels(inHeader);
  const outPx = method === 'decode' ? inPx : (out?.pixels ?? 0);
  const decode = inHeader ? (IMAGE_RATES.decode[inHeader.format] * inPx) / 1e6 : 0;
  const encode = out ? (IMAGE_RATES.encode[out.format] * out.pixels) / 1e6 : 0;
  const ops = imageOperations(method, j.params).length * IMAGE_RATES.op;
  return Math.ceil(decode + (ops * Math.max(inPx, outPx)) / 1e6 + encode);
}

const imagePrice =
  (method: string): Price =>
  (j) => {
    const h = method === 'decode' || method === 'info' ? null : readImageHeader(j.output);
    const out = h ? { format: h.format, pixels: headerPixels(h) } : null;
    return imageWork(method, j, out) + moved(j, j.output.length);
  };

const FORMATS_BY_NAME: readonly HeaderFormat[] = ['jpeg', 'png', 'webp', 'avif'];
/** The output format a job asks for (a batch's final encode step, else params.format), if any. */
function askedFormat(params: unknown): HeaderFormat | undefined {
  const ops = field(params, 'operations');
  const last: unknown = Array.isArray(ops) ? ops[ops.length - 1] : undefined;
  const f = field(last, 'method') === 'encode' ? field(last, 'format') : undefined;
  const g = f ?? field(params, 'format');
  return FORMATS_BY_NAME.find((x) => x === g);
}

/** ml's largest output (src/capsules/ml limits). */
const ML_MAX_OUTPUT = 16 * MIB;
/** image's largest output (src/capsules/image MAX_OUTPUT). */
const IMAGE_MAX_OUTPUT = 50 * MIB;
/**
 * image.<method>'s bound: the output as the asked format (else the input's), as large as the input
 * (as the 40-megapixel limit when the job resizes, which may enlarge), 50 MiB of it moved.
 */
const imageBound =
  (method: string): PriceBound =>
  (j) => {
    const inHeader = j.input ? readImageHeader(j.input) : null;
    const format = askedFormat(j.params) ?? inHeader?.format;
    const enlarges = imageOperations(method, j.params).includes('resize');
    const pixels = enlarges ? MAX_IMAGE_PIXELS : (rawPixels(j.params) ?? headerPixels(inHeader));
    const out = format && method !== 'decode' ? { format, pixels } : null;
    return imageWork(method, j, out) + moved(j, IMAGE_MAX_OUTPUT);
  };

export const IMAGE_METHODS = [
  'batch',
  'blur',
  'brighten',
  'contrast',
  'crop',
  'decode',
  'encode',
  'fliph',
  'flipv',
  'grayscale',
  'info',
  'invert',
  'resize',
  'rotate180',
  'rotate270',
  'rotate90',
] as const;

/**
 * ml.vad, ml.ocr, ml.classify: milliseconds of a quiet reference worker, from the same run as
 * IMAGE_RATES (divided by its load factor, 3.11; docs/CREDITS.md [D]), rounded up. The first job of a worker also builds the model's session
 * (seconds): a one-off the contributor carries, not priced.
 */
export const ML_RATES = {
  /** Silero VAD, per 512-sample frame (32 ms of 16 kHz audio): 0.33 in that run. */
  vadFrame: 0.34,
  /** PaddleOCR detection, per megapixel of its input tensor (the page resized to ≤ 960 px, multiples of 32): 466.75. */
  ocrDetMp: 467,
  /** Angle classification and recognition of a line, per 320 columns of its 48-px-high crop: 16.1. */
  ocrLineUnit: 17,
  /** The angle classifier, per 48×192 piece: 1.49. */
  classifyPiece: 1.5,
} as const;

const jsonOf = (b: Uint8Array): unknown => {
  try {
    return JSON.parse(textOf(b));
  } catch {
    return undefined;
  }
};

/**
 * The work an `ml.ocr` result accounts for, from its JSON: the detector's input tensor (the page's
 * width × height as src/capsules/ml/ocr.ts `detect` sizes it) and each line's recognition width in
 * units of 320 columns (its box scaled to 48 px high, at least 320 wide, as `recognize` crops it).
 * Lines the recogniser read as empty are not in the result and not counted.
 */
export function ocrWork(text: string): { detMp: number; lineUnits: number } {
  let out: unknown;
  try {
    out = JSON.parse(text);
  } catch {
    return { detMp: 0, lineUnits: 0 };
  }
  const w = field(out, 'width');
  const h = field(out, 'height');
  if (!isCount(w) || !isCount(h) || w === 0 || h === 0) return { detMp: 0, lineUnits: 0 };
  const ratio = Math.min(1, 960 / Math.max(w, h));
  const side = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  const lines = field(out, 'lines');
  let lineUnits = 0;
  for (const line of Array.isArray(lines) ? lines.slice(0, 1000) : []) {
    const box = field(line, 'box');
    if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number')) continue;
    const [x0, y0, x1, y1] = box as [number, number, number, number];
    const cols = Math.ceil((48 * Math.max(0, Math.min(x1 - x0, w))) / Math.max(1, y1 - y0));
    lineUnits += Math.min(Math.max(320, cols), 320 * 64) / 320;
  }
  return { detMp: (side(w) * side(h)) / 1e6, lineUnits };
}

/** A binary PNM's width and height (P5/P6 header), or null. */
function pnmSize(b: Uint8Array | undefined): { width: number; height: number } | null {
  if (!b || b[0] !== 0x50 || (b[1] !== 0x35 && b[1] !== 0x36)) return null;
  const fields: number[] = [];
  for (let at = 2; fields.length < 2 && at < Math.min(b.length, 4096);) {
    const c = b[at]!;
    if (c === 0x23) while (at < b.length && b[at] !== 0x0a) at++;
    else if (c >= 0x30 && c <= 0x39) {
      let n = 0;
      while (at < b.length && b[at]! >= 0x30 && b[at]! <= 0x39 && n < 1e9) n = n * 10 + b[at++]! - 0x30;
      fields.push(n);
      continue;
    }
    at++;
  }
  const [width, height] = fields;
  return width && height ? { width, height } : null;
}

/**
 * The angle classifier's pieces for an `ml.classify` crop (its PNM header): about 4:1 each, 1 to 16,
 * as src/capsules/ml/ocr.ts `classifyAngle` cuts it; 1 when the header cannot be read.
 */
export function classifyPieces(input: Uint8Array | undefined): number {
  const size = pnmSize(input);
  return size ? Math.min(16, Math.max(1, Math.round(size.width / size.height / 4))) : 1;
}

const vadFrames = (inputBytes: number) => Math.ceil(Math.max(0, inputBytes - 44) / 2 / 512);
const mlClassifyN: Sized = (j, out) =>
  Math.ceil(ML_RATES.classifyPiece * classifyPieces(j.input)) + moved(j, out);

/**
 * The priced methods, by `library.method`. Each capsule's method declares the same function as its
 * `price` (tests/unit/capsules/price.test.ts checks both agree). Methods absent here have no
 * work-based price: their jobs are charged by the wall-time formula (src/engine/cost.ts) and a
 * requester pays the lowest claim of its agreeing quorum.
 */
export const METHOD_PRICES: Readonly<Record<string, Price>> = {
  'crypto.sha256': hashing,
  'crypto.sha512': hashing,
  'crypto.blake3': hashing,
  'crypto.hmac_sha256': hashing,
  'crypto.ed25519_sign': ed25519,
  'crypto.ed25519_verify': ed25519,
  'crypto.chacha20poly1305_encrypt': chacha,
  'crypto.chacha20poly1305_decrypt': chacha,
  'crypto.aes_gcm_encrypt': aesGcm,
  'crypto.aes_gcm_decrypt': aesGcm,
  'storage.compress': byOutput(compressN),
  'storage.decompress': byOutput(decompressN),
  'storage.put': byOutput(putN),
  'pow.search': powSearch,
  'storage.get': byOutput(getN),
  'pow.verify': byOutput(verifyN),
  ...Object.fromEntries(IMAGE_METHODS.map((m) => [`image.${m}`, imagePrice(m)])),
  // The frames the result reports (its `frames`, verified by the quorum like the rest of it).
  'ml.vad': (j) => {
    const frames = field(jsonOf(j.output), 'frames');
    return Math.ceil(ML_RATES.vadFrame * (isCount(frames) ? frames : 0)) + moved(j, j.output.length);
  },
  'ml.ocr': (j) => {
    const w = ocrWork(textOf(j.output));
    return (
      Math.ceil(ML_RATES.ocrDetMp * w.detMp + ML_RATES.ocrLineUnit * w.lineUnits) + moved(j, j.output.length)
    );
  },
  'ml.classify': byOutput(mlClassifyN),
};

/** storage's largest blob or decompressed stream (src/capsules/storage MAX_INPUT). */
const STORAGE_MAX_BYTES = 64 * MIB;
const digestBytes = () => 64;
const sealedBytes = (j: JobShape) => j.inputBytes + 16;

/**
 * Each priced method's bound (PriceBound): its price with the largest output this job can have
 * (a digest or signature: 64 bytes; a seal: the input + 16; brotli: the input + 64 KiB; a blob or
 * decompressed stream: 64 MiB), `pow.search` its whole range. A capsule method declares the same
 * function as its `priceBound` (tests/unit/capsules/price.test.ts checks it, and that no price of
 * a job passes its bound).
 */
export const METHOD_BOUNDS: Readonly<Record<string, PriceBound>> = {
  'crypto.sha256': upTo(hashingN, digestBytes),
  'crypto.sha512': upTo(hashingN, digestBytes),
  'crypto.blake3': upTo(hashingN, digestBytes),
  'crypto.hmac_sha256': upTo(hashingN, digestBytes),
  'crypto.ed25519_sign': upTo(ed25519N, digestBytes),
  'crypto.ed25519_verify': upTo(ed25519N, digestBytes),
  'crypto.chacha20poly1305_encrypt': upTo(chachaN, sealedBytes),
  'crypto.chacha20poly1305_decrypt': upTo(chachaN, sealedBytes),
  'crypto.aes_gcm_encrypt': upTo(aesGcmN, sealedBytes),
  'crypto.aes_gcm_decrypt': upTo(aesGcmN, sealedBytes),
  'storage.compress': upTo(compressN, (j) => j.inputBytes + 64 * 1024),
  'storage.decompress': upTo(decompressN, () => STORAGE_MAX_BYTES),
  'storage.put': upTo(putN, () => 32),
  'storage.get': upTo(getN, () => STORAGE_MAX_BYTES),
  'pow.search': (j) => {
    const count = field(j.params, 'count');
    return isCount(count) ? powSearchMaxPrice(count) : undefined;
  },
  'pow.verify': upTo(verifyN, () => 1024),
  ...Object.fromEntries(IMAGE_METHODS.map((m) => [`image.${m}`, imageBound(m)])),
  // 16-bit samples (the smaller of the two kinds), every byte after a 44-byte header a sample.
  'ml.vad': (j) => Math.ceil(ML_RATES.vadFrame * vadFrames(j.inputBytes)) + moved(j, ML_MAX_OUTPUT),
  // Detection of a 960×960 tensor (and a little over: sides round to 32), 1000 lines (detect's
  // cap) of the widest crop ocrWork counts (64 units).
  'ml.ocr': (j) =>
    Math.ceil(ML_RATES.ocrDetMp * 0.99 + ML_RATES.ocrLineUnit * 1000 * 64) + moved(j, ML_MAX_OUTPUT),
  'ml.classify': upTo(mlClassifyN, () => 1024),
};

/**
 * Why each method without a price has none: its cost cannot be bound by its input size, params and
 * output, or has not been measured yet. Those jobs are charged wall time and a market requester pays
 * the quorum's lowest claim (docs/CREDITS.md). tests/unit/capsules/price.test.ts checks every builtin
 * method is in METHOD_PRICES or here.
 */
export const UNPRICED_REASONS: Readonly<Record<string, string>> = {
  'storage.has':
    "index look-ups over the blob's chunks, whose number is in neither the params nor the 1-byte answer, and the answer is this contributor's own store",
  'storage.delete':
    "index updates over the blob's chunks, whose number is in neither the params nor the 1-byte answer, and the effect is on this contributor's own store",
  'physics.simulate':
    'a step costs what its contacts cost, and the contacts come from the simulation itself: 1000 resting cubes took 36 ms a step, 1000 falling spheres 3.7 ms (bench/results/physics.json), so bodies × steps does not bound the work within 10×',
  'physics.step': 'as physics.simulate: the contacts of the state decide a step’s cost',
  'physics.query': 'rays and contacts against a state whose broad-phase work depends on the scene’s layout',
  'shader.execute':
    'a WGSL kernel loops on its data: invocations × loopSteps (the loop guard) bounds it only far above what a kernel that leaves its loops early costs, and GPU time differs by device',
  'shader.compile': 'compile time of arbitrary WGSL on the device’s driver: not bound by the source’s size',
  'ml.infer':
    "an arbitrary ONNX model sent by the requester: its cost is the model's, not bound by input and output sizes",
};

/** The price bound of `library.method`, or undefined when it has none. */
export function priceBoundOf(library: string, method: string): PriceBound | undefined {
  return Object.hasOwn(METHOD_BOUNDS, `${library}.${method}`)
    ? METHOD_BOUNDS[`${library}.${method}`]
    : undefined;
}

/** The price of `library.method`, or undefined when it has none. */
export function priceOf(library: string, method: string): Price | undefined {
  return Object.hasOwn(METHOD_PRICES, `${library}.${method}`)
    ? METHOD_PRICES[`${library}.${method}`]
    : undefined;
}
