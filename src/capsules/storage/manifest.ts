/**
 * A blob manifest: the ordered chunks of a blob larger than one chunk. Stored as a chunk of kind
 * `manifest` whose content is this JSON (UTF-8); its BLAKE3 is the blob's address.
 *
 *   {"v":1,"size":<total bytes>,"chunks":[["<64 hex address>",<bytes>], ...]}
 *
 * JSON, not binary: a 1 GiB blob in 1 MiB chunks has a ~75 KiB manifest that compresses ~2×, and a
 * human can read it with `inos run storage get`. Parsing is strict: sizes must add up.
 */
import { z } from 'zod';

export interface Manifest {
  size: number;
  chunks: Array<[address: string, bytes: number]>;
}

const ADDRESS = /^[0-9a-f]{64}$/;

const schema = z.strictObject({
  v: z.literal(1),
  size: z.number().int().nonnegative(),
  chunks: z.array(z.tuple([z.string().regex(ADDRESS), z.number().int().positive()])).min(2),
});

export function encodeManifest(m: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, size: m.size, chunks: m.chunks }));
}

/** Throws an Error saying what is wrong when `bytes` is not a manifest this version wrote. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Error(`the manifest is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new Error(`the manifest is malformed: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const total = r.data.chunks.reduce((n, [, bytes]) => n + bytes, 0);
  if (total !== r.data.size)
    throw new Error(`the manifest's chunks add up to ${total} bytes, not its size ${r.data.size}`);
  return { size: r.data.size, chunks: r.data.chunks };
}
