/** Labelled boundary checks for encoders; each throws EncodeError naming the field. */
import { EncodeError } from './encode-error.ts';

const U64_MAX = (1n << 64n) - 1n;

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Object.prototype.toString.call(v).slice(8, -1);
}

export function aString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new EncodeError(path, `expected a string, got ${show(v)}`);
  return v;
}

export function aBytes(v: unknown, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new EncodeError(path, `expected a Uint8Array, got ${show(v)}`);
  return v;
}

export function aU64(v: unknown, path: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw new EncodeError(path, `expected a bigint in [0, 2^64 - 1], got ${show(v)}`);
  }
  return v;
}

export function aU32(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new EncodeError(path, `expected an integer in [0, 2^32 - 1], got ${show(v)}`);
  }
  return v;
}

/** Any JS number; Float32 storage rounds it (Math.fround), which callers must expect. */
export function aNumber(v: unknown, path: string): number {
  if (typeof v !== 'number') throw new EncodeError(path, `expected a number, got ${show(v)}`);
  return v;
}

export function aEnum<T extends string>(v: unknown, names: readonly T[], path: string): number {
  const i = typeof v === 'string' ? names.indexOf(v as T) : -1;
  if (i < 0) throw new EncodeError(path, `expected one of ${names.join(', ')}, got ${show(v)}`);
  return i;
}

export function anObject(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw new EncodeError(path, `expected an object, got ${show(v)}`);
  }
  return v as Record<string, unknown>;
}
