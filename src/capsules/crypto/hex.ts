/**
 * Hex-string params (keys, nonces, AAD, signatures) as zod schemas that parse straight into bytes.
 * Every failure names the field, the allowed lengths in bytes and hex digits, and what was given, so a
 * requester can fix the job without reading our source.
 */
import { z } from 'zod';

const HEX = /^[0-9a-fA-F]*$/;

/** Hex digits → bytes. The caller has checked the alphabet and the even length. */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] as number).toString(16).padStart(2, '0');
  return s;
}

function describeLengths(lengths: readonly number[]): string {
  const parts = lengths.map((n) => `${n} bytes (${2 * n} hex digits)`);
  return parts.length === 1
    ? (parts[0] as string)
    : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1) as string}`;
}

/** A hex string of exactly one of `lengths` bytes. */
export function hexBytes(field: string, lengths: readonly number[]) {
  return z
    .string({ error: `${field} must be a hex string of ${describeLengths(lengths)}` })
    .superRefine((s, ctx) => {
      if (!HEX.test(s))
        ctx.addIssue({ code: 'custom', message: `${field} must contain only hex digits 0-9a-f` });
      else if (s.length % 2 !== 0 || !lengths.includes(s.length / 2))
        ctx.addIssue({
          code: 'custom',
          message: `${field} must be ${describeLengths(lengths)}; got ${s.length} hex digits`,
        });
    })
    .transform(hexToBytes);
}

/** A hex string of any whole number of bytes up to `maxBytes` (HMAC keys, AAD). */
export function hexBytesUpTo(field: string, maxBytes: number) {
  return z
    .string({ error: `${field} must be a hex string` })
    .superRefine((s, ctx) => {
      if (!HEX.test(s))
        ctx.addIssue({ code: 'custom', message: `${field} must contain only hex digits 0-9a-f` });
      else if (s.length % 2 !== 0)
        ctx.addIssue({
          code: 'custom',
          message: `${field} must have an even number of hex digits; got ${s.length}`,
        });
      else if (s.length / 2 > maxBytes)
        ctx.addIssue({
          code: 'custom',
          message: `${field} may be at most ${maxBytes} bytes; got ${s.length / 2}`,
        });
    })
    .transform(hexToBytes);
}
