/** Standard base64 (RFC 4648 §4, with padding) without Node's Buffer, so src/wire runs in the browser too. */

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  // Chunked: String.fromCharCode(...big array) overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Null when `text` is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array | null {
  if (!B64.test(text)) return null;
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
