/**
 * The capsule's method parameters and results (JSON on the wire), and their validation into
 * prepared jobs. Every check throws a TypeError (wrong type) or RangeError (wrong value) whose
 * message names the field and what is allowed.
 */
import { HEADER_HEX_CHARS, NONCE_SPACE, headerBits, parseHeader } from './header.ts';
import { compactToTarget, parseTargetHex, targetToWords } from './target.ts';

/** `search` params. Give the target as compact `bits` or as 64 hex digits; with neither, the header's own bits. */
export interface PowSearchParams {
  /** 160 hex digits: the 80-byte header as serialised on the wire; its nonce field is ignored. */
  header: string;
  nonceStart: number;
  count: number;
  bits?: number;
  target?: string;
}

export interface PowVerifyParams {
  /** 160 hex digits including the nonce to check. */
  header: string;
  bits?: number;
  target?: string;
}

/** Why a search ended early: `cancelled` by the caller, or out of its time `budget`. */
export type StopReason = 'cancelled' | 'budget';

export interface PowSearchResult {
  found: boolean;
  /** The first nonce in the range that meets the target, or null. */
  nonce: number | null;
  /** Its double-SHA256 in display order (byte-reversed), or null. */
  hash: string | null;
  /** Nonces hashed: up to and including the found one, or everything scanned. */
  hashes: number;
  /** Null when the range was finished or a nonce found. */
  stopped: StopReason | null;
}

export interface PowVerifyResult {
  valid: boolean;
  hash: string;
}

export interface TargetSpec {
  readonly target: bigint;
  /** Most significant word first. */
  readonly targetWords: Uint32Array;
  /** The compact form when the target was given as bits (or taken from the header). */
  readonly bits: number | null;
}

export interface PowSearchJob extends TargetSpec {
  readonly header: Uint8Array;
  readonly nonceStart: number;
  readonly count: number;
}

export interface PowVerifyJob extends TargetSpec {
  readonly header: Uint8Array;
}

const SEARCH_KEYS = new Set(['header', 'nonceStart', 'count', 'bits', 'target']);
const VERIFY_KEYS = new Set(['header', 'bits', 'target']);

export function parseSearchParams(params: unknown): PowSearchJob {
  const p = record(params, 'search', SEARCH_KEYS);
  const header = parseHeader(p['header']);
  const nonceStart = uint(p['nonceStart'], 'nonceStart', NONCE_SPACE - 1);
  const count = uint(p['count'], 'count', NONCE_SPACE);
  if (count === 0) throw new RangeError('count: must be at least 1');
  if (nonceStart + count > NONCE_SPACE) {
    throw new RangeError(
      `nonceStart + count: the range must end within the 32-bit nonce space (≤ 2^32), got ${nonceStart} + ${count}`,
    );
  }
  return { header, nonceStart, count, ...targetSpec(p, header) };
}

export function parseVerifyParams(params: unknown): PowVerifyJob {
  const p = record(params, 'verify', VERIFY_KEYS);
  const header = parseHeader(p['header']);
  return { header, ...targetSpec(p, header) };
}

export function targetSpec(p: Record<string, unknown>, header: Uint8Array): TargetSpec {
  if (p['bits'] !== undefined && p['target'] !== undefined) {
    throw new RangeError(
      'bits, target: give the target one way, either compact bits or 64 hex digits, not both',
    );
  }
  if (p['target'] !== undefined) {
    const target = parseTargetHex(p['target']);
    return { target, targetWords: targetToWords(target), bits: null };
  }
  const bits = p['bits'] === undefined ? headerBits(header) : p['bits'];
  const label = p['bits'] === undefined ? "bits (from the header's bits field)" : 'bits';
  const target = compactToTarget(bits, label);
  return { target, targetWords: targetToWords(target), bits: bits as number };
}

function record(params: unknown, method: string, keys: Set<string>): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError(
      `pow.${method}: params must be an object like {"header": "<${HEADER_HEX_CHARS} hex>", ...}`,
    );
  }
  const rec = params as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!keys.has(key))
      throw new RangeError(
        `pow.${method}: unknown parameter ${JSON.stringify(key)}; allowed: ${[...keys].join(', ')}`,
      );
  }
  return rec;
}

function uint(v: unknown, label: string, max: number): number {
  if (typeof v !== 'number') throw new TypeError(`${label}: expected a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new RangeError(`${label}: expected an integer in 0 .. ${max}, got ${v}`);
  return v;
}
