/** Writes typed values as Cap'n Proto text-format literals for `capnp encode` (test oracle input). */
import type { JobRequestData, PayloadData } from '../../../../src/wire/index.ts';

/** capnp's lexer takes C escapes but no \u: non-ASCII goes through as raw UTF-8. */
export function textLiteral(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** capnp 0.9's text parser rejects an empty hex literal `0x""`, so empty Data is written as `""`. */
export function dataLiteral(b: Uint8Array): string {
  if (b.length === 0) return '""';
  return `0x"${[...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')}"`;
}

function payloadLiteral(p: PayloadData): string {
  return p.kind === 'inline'
    ? `(inline = ${dataLiteral(p.bytes)})`
    : `(arena = (offset = ${p.offset}, length = ${p.length}))`;
}

export function jobRequestLiteral(r: JobRequestData): string {
  return (
    `(id = ${textLiteral(r.id)}, library = ${textLiteral(r.library)}, method = ${textLiteral(r.method)}, ` +
    `params = ${textLiteral(r.params)}, budget = ${r.budget}, deadlineMs = ${r.deadlineMs}, input = ${payloadLiteral(r.input)})`
  );
}
