/**
 * The two backends a ChunkStore runs over, so the same store logic works on OPFS + IndexedDB (the
 * extension) and on a directory + JSON file (the Node CLI), and on in-memory fakes in tests.
 */

/** Bytes by path. Paths are `/`-separated and relative (`ab/ab12…`); backends map `/` to folders. */
export interface BlobBackend {
  /** Replaces the whole file. Should be atomic: a crash leaves the old bytes or the new, not a mix. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or undefined if there is none. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Removes the file; no error if it is already gone. */
  delete(path: string): Promise<void>;
  /** Every file path, in no particular order. */
  list(): Promise<string[]>;
}

/** What the index keeps per chunk. */
export interface ChunkMeta {
  /** A data chunk, or a blob manifest listing data chunks (see manifest.ts). */
  kind: 'data' | 'manifest';
  /** Bytes `get` returns (before compression and encryption). */
  size: number;
  /** Bytes the chunk takes in the BlobBackend; this is what the quota counts. */
  storedSize: number;
  /** ms since the epoch, strictly increasing within one store; drives LRU eviction. */
  lastAccess: number;
  createdAt: number;
}

export interface IndexStats {
  count: number;
  storedBytes: number;
}

/** Address → ChunkMeta, plus the store's at-rest key. Each method is atomic on its own. */
export interface IndexBackend {
  get(address: string): Promise<ChunkMeta | undefined>;
  /** Adds or replaces an entry (keeping the totals right). */
  put(address: string, meta: ChunkMeta): Promise<void>;
  /** Sets lastAccess if the entry exists. */
  touch(address: string, lastAccess: number): Promise<void>;
  /** Removes the entry and returns it, or undefined if it was not there. */
  delete(address: string): Promise<ChunkMeta | undefined>;
  /** Up to `limit` entries, least recently accessed first. */
  oldest(limit: number): Promise<Array<{ address: string; meta: ChunkMeta }>>;
  stats(): Promise<IndexStats>;
  /** The store's 32-byte key: the saved one, or `create()`'s, saved atomically if none was. */
  loadOrCreateKey(create: () => Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** `ab/ab…`: one folder per value of the address's first byte, so no folder grows past ~1/256 of the store. */
export function chunkPath(address: string): string {
  return `${address.slice(0, 2)}/${address}`;
}

/** A path's parts; RangeError for anything that could step outside the backend's root. */
export function splitBlobPath(path: string): string[] {
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new RangeError(`bad blob path "${path}"`);
  return parts;
}

/** A BlobBackend in memory: tests, and hosts that want a cache that dies with them. */
export class MemoryBlobBackend implements BlobBackend {
  readonly files = new Map<string, Uint8Array>();
  async write(path: string, bytes: Uint8Array): Promise<void> {
    splitBlobPath(path);
    this.files.set(path, bytes.slice());
  }
  async read(path: string): Promise<Uint8Array | undefined> {
    return this.files.get(path)?.slice();
  }
  async delete(path: string): Promise<void> {
    this.files.delete(path);
  }
  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }
}
