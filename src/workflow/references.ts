/**
 * `${previous.FIELD}`, `${steps.NAME.FIELD}` and `${vars.PATH}` in a step's params, and the fields a
 * condition tests. A step's output is bytes; its fields are:
 *
 *   length  its size in bytes            byte0  its first byte (-1 when empty)
 *   hex     lowercase hex (≤ 4 KiB)      text   UTF-8 text (≤ 64 KiB)
 *   KEY[.KEY…]  a value in the output parsed as a JSON object (≤ 1 MiB)
 *
 * References are replaced in string values of the parsed params, never in the JSON text, so a value
 * cannot inject JSON. A string that is exactly one reference takes the value's type (a number stays a
 * number); otherwise the value is written into the string.
 */
import { bytesToHex } from '../capsules/crypto/hex.ts';

export type Ref =
  | { kind: 'previous'; field: string }
  | { kind: 'step'; step: string; field: string }
  | { kind: 'vars'; path: string };

const MAX_HEX_BYTES = 4096;
const MAX_TEXT_BYTES = 64 * 1024;
const MAX_JSON_BYTES = 1024 * 1024;
const PART = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Parses `previous.F`, `steps.NAME.F` or `vars.P`; throws an Error whose message says what is allowed. */
export function parseRef(expr: string): Ref {
  const parts = expr.split('.');
  const bad = (why: string) =>
    new Error(`"${expr.slice(0, 80)}" ${why} (write previous.FIELD, steps.NAME.FIELD or vars.NAME)`);
  if (parts.some((p) => !PART.test(p))) throw bad('is not a reference');
  const [head, ...rest] = parts;
  if (head === 'previous') {
    if (rest.length === 0) throw bad('names no field');
    return { kind: 'previous', field: rest.join('.') };
  }
  if (head === 'steps') {
    if (rest.length < 2) throw bad('names no step and field');
    return { kind: 'step', step: rest[0]!, field: rest.slice(1).join('.') };
  }
  if (head === 'vars') {
    if (rest.length === 0) throw bad('names no variable');
    return { kind: 'vars', path: rest.join('.') };
  }
  throw bad('is not a reference');
}

const REF = /\$\{([^}]*)\}/g;

/** Every reference in a params value, in order; throws on a malformed one or an unclosed `${`. */
export function refsIn(value: unknown, out: Ref[] = [], depth = 0): Ref[] {
  if (depth > 40) return out;
  if (typeof value === 'string') {
    for (const m of value.matchAll(REF)) out.push(parseRef(m[1]!));
    if (value.replace(REF, '').includes('${'))
      throw new Error(`"${value.slice(0, 80)}" has a \${ without its closing }`);
  } else if (Array.isArray(value)) for (const v of value) refsIn(v, out, depth + 1);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) refsIn(v, out, depth + 1);
  return out;
}

/** A step's output fields, computed on demand from its bytes (which may be a shared arena view). */
export class OutputFields {
  private json: unknown = undefined;
  private parsed = false;

  constructor(private readonly bytes: Uint8Array) {}

  get(field: string): unknown {
    const b = this.bytes;
    if (field === 'length') return b.length;
    if (field === 'byte0') return b.length ? b[0]! : -1;
    if (field === 'hex') {
      if (b.length > MAX_HEX_BYTES)
        throw new Error(`the output is ${b.length} bytes; .hex is for outputs of at most ${MAX_HEX_BYTES}`);
      return bytesToHex(b);
    }
    if (field === 'text') {
      if (b.length > MAX_TEXT_BYTES)
        throw new Error(`the output is ${b.length} bytes; .text is for outputs of at most ${MAX_TEXT_BYTES}`);
      return decodeText(b);
    }
    if (!this.parsed) {
      this.parsed = true;
      if (b.length <= MAX_JSON_BYTES) {
        try {
          this.json = JSON.parse(decodeText(b));
        } catch {
          this.json = undefined;
        }
      }
    }
    let v: unknown = this.json;
    for (const key of field.split('.')) {
      if (!v || typeof v !== 'object' || !Object.hasOwn(v, key))
        throw new Error(
          `the output has no field "${field}" (it is ${this.json === undefined ? `${b.length} bytes, not a JSON object` : 'JSON without that key'}; length, byte0, hex and text always exist)`,
        );
      v = (v as Record<string, unknown>)[key];
    }
    return v;
  }
}

function decodeText(b: Uint8Array): string {
  // TextDecoder refuses views of a SharedArrayBuffer; these are small (bounded above), so copy.
  return new TextDecoder('utf-8', { fatal: true }).decode(b.buffer instanceof ArrayBuffer ? b : b.slice());
}

export interface RefScope {
  /** Fields of the output `previous` means for this step. */
  previous(): OutputFields;
  step(name: string): OutputFields;
  vars: Record<string, unknown>;
}

export function lookup(ref: Ref, scope: RefScope): unknown {
  if (ref.kind === 'previous') return scope.previous().get(ref.field);
  if (ref.kind === 'step') return scope.step(ref.step).get(ref.field);
  let v: unknown = scope.vars;
  for (const key of ref.path.split('.')) {
    if (!v || typeof v !== 'object' || !Object.hasOwn(v, key)) throw new Error(`vars has no "${ref.path}"`);
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A copy of `params` with every reference replaced (see the header). */
export function resolveParams(value: unknown, scope: RefScope): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole) return lookup(parseRef(whole[1]!), scope);
    if (!value.includes('${')) return value;
    return value.replace(REF, (_, expr: string) => {
      const v = lookup(parseRef(expr), scope);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveParams(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveParams(v, scope);
    return out;
  }
  return value;
}

export function compare(left: unknown, operator: string, right: number): boolean {
  const l = typeof left === 'boolean' ? Number(left) : left;
  if (typeof l !== 'number' || !Number.isFinite(l))
    throw new Error(`the condition compares ${JSON.stringify(left)?.slice(0, 40)}, which is not a number`);
  switch (operator) {
    case '<':
      return l < right;
    case '<=':
      return l <= right;
    case '>':
      return l > right;
    case '>=':
      return l >= right;
    case '==':
      return l === right;
    case '!=':
      return l !== right;
    default:
      throw new Error(`unknown operator ${operator}`);
  }
}
