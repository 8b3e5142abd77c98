/**
 * Canonical JSON: the one byte string a record is signed over, so that any implementation (this
 * one, a server, a Python audit script) derives the same bytes from the same record.
 *
 * - object keys sorted by UTF-16 code unit (JS's default sort, what `sorted()` gives in Python for
 *   the ASCII keys we use); keys whose value is `undefined` are left out, as JSON.stringify does;
 * - no whitespace; strings escaped as JSON.stringify escapes them (ES2019 well-formed JSON);
 * - numbers must be safe integers: floats have several textual forms across languages (1e21,
 *   0.1 + 0.2), integers below 2^53 have exactly one;
 * - only plain objects, arrays, strings, safe integers, booleans and null; anything else throws,
 *   since silently dropping or coercing a field would sign something other than what was meant.
 */

export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new RangeError(`${path}: canonical JSON allows only safe integers, got ${value}`);
      }
      // -0 prints as "0" in JSON.stringify; normalise so it cannot be a second spelling of 0.
      return String(value === 0 ? 0 : value);
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: canonical JSON cannot encode a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(
      `${path}: canonical JSON encodes only plain objects, got ${Object.prototype.toString.call(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v, `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
}
