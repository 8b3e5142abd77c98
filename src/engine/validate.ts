import { BadInputError } from '../capsules/capsule';

/** Params arrive as JSON text from untrusted requesters. These bounds hold before any parsing work. */
export const MAX_PARAMS_BYTES = 1024 * 1024;
export const MAX_PARAMS_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses and checks job params: size ≤ 1 MiB, valid JSON, nesting ≤ 32, and no prototype-pollution
 * keys at any depth (they are refused, not stripped, so a requester learns what was wrong).
 */
export function parseParams(text: string): unknown {
  if (typeof text !== 'string') throw new BadInputError('params must be a JSON text');
  // UTF-8 length is at most 3 bytes per UTF-16 unit; count exactly only when that bound is exceeded.
  if (text.length * 3 > MAX_PARAMS_BYTES && new TextEncoder().encode(text).length > MAX_PARAMS_BYTES)
    throw new BadInputError(`params are larger than ${MAX_PARAMS_BYTES} bytes (1 MiB), the most allowed`);
  if (text.trim() === '') return {};
  assertDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`params are not valid JSON: ${(err as Error).message}`);
  }
  assertNoForbiddenKeys(value, '$');
  return value;
}

/** Checked on the text, before JSON.parse builds anything: deep nesting is refused cheaply. */
function assertDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_PARAMS_DEPTH)
        throw new BadInputError(`params nest deeper than ${MAX_PARAMS_DEPTH} levels, the most allowed`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function assertNoForbiddenKeys(v: unknown, path: string): void {
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => assertNoForbiddenKeys(x, `${path}[${i}]`));
    return;
  }
  for (const key of Object.keys(v)) {
    if (FORBIDDEN_KEYS.has(key))
      throw new BadInputError(
        `params may not contain the key "${key}" (at ${path}): it could pollute prototypes`,
      );
    assertNoForbiddenKeys((v as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

export function assertInputSize(bytes: number, max: number, library: string, method: string): void {
  if (bytes > max)
    throw new BadInputError(`input is ${bytes} bytes; ${library}.${method} accepts at most ${max} bytes`);
}
