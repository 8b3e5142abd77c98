/**
 * The bytes a market node serves over /inos/chunks/1: a job's input on the requester, a big result
 * on the contributor. In memory, addressed by BLAKE3-256 like the chunk store, split at 1 MiB (the
 * mesh's largest chunk). Entries are dropped when their job is done (`drop`).
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { toHex, type ChunkSource } from '../mesh/protocol/chunk-exchange.ts';
import { LIMITS } from '../mesh/protocol/frames.ts';

export const CHUNK_BYTES = LIMITS.chunkBytes;

/**
 * Where a market node keeps the chunks it serves for a job: `put` splits and addresses them at once
 * (the refs go into a signed frame), `drop` ends the hold when the job is done. MemoryChunks keeps
 * them in memory (CLI peers, tests); the extension keeps them in its one chunk store
 * (src/offscreen/held-chunks.ts).
 */
export interface ChunkHolder extends ChunkSource {
  put(bytes: Uint8Array): Uint8Array[];
  drop(refs: readonly Uint8Array[]): void;
}

export class MemoryChunks implements ChunkHolder {
  readonly #map = new Map<string, Uint8Array>();

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.#map.get(toHex(hash));
  }

  /** Splits `bytes` into chunks, keeps them and returns their addresses in order (none for 0 bytes). */
  put(bytes: Uint8Array): Uint8Array[] {
    const refs: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const c = bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES));
      const h = blake3(c);
      this.#map.set(toHex(h), c);
      refs.push(h);
    }
    return refs;
  }

  drop(refs: readonly Uint8Array[]): void {
    for (const r of refs) this.#map.delete(toHex(r));
  }

  get size(): number {
    return this.#map.size;
  }
}

/** The chunks of `refs` from a fetch report, joined in order, or an error naming what is missing. */
export function joinChunks(
  refs: readonly Uint8Array[],
  got: ReadonlyMap<string, Uint8Array>,
  totalBytes: number,
): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let at = 0;
  for (const r of refs) {
    const c = got.get(toHex(r));
    if (c === undefined) throw new RangeError(`chunk ${toHex(r).slice(0, 16)}… could not be fetched`);
    if (at + c.length > totalBytes)
      throw new RangeError(`chunks add up to more than the ${totalBytes} bytes announced`);
    out.set(c, at);
    at += c.length;
  }
  if (at !== totalBytes) throw new RangeError(`chunks add up to ${at} bytes, ${totalBytes} were announced`);
  return out;
}
