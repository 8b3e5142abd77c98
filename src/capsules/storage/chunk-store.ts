/**
 * A content-addressed chunk store: the address of a chunk is the BLAKE3 of its content (hex), every
 * chunk is brotli-compressed when that helps and sealed with ChaCha20-Poly1305 at rest
 * (chunk-record.ts), `get` re-hashes before returning, and a quota is kept by evicting the least
 * recently accessed chunks.
 *
 * Blobs larger than one chunk are split into chunks compressed independently, plus a manifest chunk
 * (manifest.ts) whose address names the blob. A blob of one chunk is just that chunk, so its address
 * is the BLAKE3 of its bytes. Chunks are shared between blobs (deduplicated); `delete` removes one
 * entry, and the chunks of a deleted manifest age out through LRU eviction, since another blob may
 * still use them.
 *
 * One ChunkStore per store location: mutations are serialised inside an instance, not across
 * instances (run the store in one context — the offscreen document, or the CLI process).
 */
import { bytesToHex } from '../crypto/hex.ts';
import { blake3Digest } from '../crypto/hash.ts';
import { BadInputError } from '../capsule.ts';
import { chunkPath, type BlobBackend, type ChunkMeta, type IndexBackend } from './backends.ts';
import {
  DEFAULT_QUALITY,
  QUALITY_MAX,
  QUALITY_MIN,
  brotliCompress,
  brotliDecompress,
} from './brotli-codec.ts';
import { loadBrotli, type BrotliWasm } from './brotli-loader.ts';
import { Encoding, Kind, openRecord, sealRecord, type ChunkRecord } from './chunk-record.ts';
import { ChunkCorruptError, ChunkNotFoundError, StoreFullError } from './errors.ts';
import { decodeManifest, encodeManifest } from './manifest.ts';

export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const MIN_CHUNK_SIZE = 4 << 10;
/** One chunk is handled in memory in one piece (compressed, sealed, read back): keep it bounded. */
export const MAX_CHUNK_SIZE = 16 << 20;
/** Below this, brotli's ~5-byte overhead rarely pays and the call is not worth making. */
const MIN_COMPRESS_BYTES = 64;

export interface ChunkStoreOptions {
  blobs: BlobBackend;
  index: IndexBackend;
  /** Most bytes the chunks may take in `blobs` (nonce, header and tag included). */
  quotaBytes: number;
  /** Defaults to the context's configured loader (setBrotliLoader). */
  brotli?: () => Promise<BrotliWasm>;
  /** ms clock for LRU; defaults to Date.now. */
  now?: () => number;
  /** Random bytes for nonces and the key; defaults to crypto.getRandomValues. */
  random?: (n: number) => Uint8Array;
}

export interface OpOptions {
  /** Called between pieces of work (a job's ctx.checkpoint); may throw to stop. */
  checkpoint?: () => void;
}

export interface PutOptions extends OpOptions {
  /** Brotli quality 0–11 (default 5), or null to store the bytes uncompressed. */
  quality?: number | null;
}

export interface PutBlobOptions extends PutOptions {
  /** Bytes per chunk, 4 KiB–16 MiB; default 1 MiB. */
  chunkSize?: number;
}

export interface GetBlobOptions extends OpOptions {
  /** Refuse blobs larger than this (BadInputError) before reading their chunks. */
  maxBytes?: number;
  /** Where to assemble the blob (e.g. a job's ctx.output); defaults to a new Uint8Array. */
  allocate?: (bytes: number) => Uint8Array;
}

export interface StoreStats {
  count: number;
  storedBytes: number;
  quotaBytes: number;
}

const ADDRESS = /^[0-9a-f]{64}$/;

/** Lower-cases and checks an address; BadInputError if it is not 64 hex digits. */
export function parseAddress(address: string): string {
  const a = typeof address === 'string' ? address.toLowerCase() : '';
  if (!ADDRESS.test(a)) throw new BadInputError('address must be 64 hex digits (a BLAKE3 hash)');
  return a;
}

const randomBytes = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const noop = () => {};

export class ChunkStore {
  private lastTick = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: ChunkStoreOptions,
    private readonly key: Uint8Array,
  ) {}

  /** Opens (or creates) the store over its backends; loads or creates the at-rest key. */
  static async open(opts: ChunkStoreOptions): Promise<ChunkStore> {
    if (!Number.isSafeInteger(opts.quotaBytes) || opts.quotaBytes <= 0)
      throw new RangeError(`quotaBytes must be a positive integer; got ${opts.quotaBytes}`);
    const random = opts.random ?? randomBytes;
    const key = await opts.index.loadOrCreateKey(() => random(32));
    if (key.length !== 32) throw new Error(`the stored chunk key is ${key.length} bytes, not 32`);
    return new ChunkStore(opts, key);
  }

  get quotaBytes(): number {
    return this.opts.quotaBytes;
  }

  /** Stores one chunk (≤ 16 MiB) and returns its address. Storing the same bytes again only refreshes it. */
  async put(bytes: Uint8Array, options: PutOptions = {}): Promise<string> {
    if (bytes.length > MAX_CHUNK_SIZE)
      throw new BadInputError(
        `a chunk is at most ${MAX_CHUNK_SIZE} bytes; got ${bytes.length} (use putBlob)`,
      );
    return this.putChunk(bytes, 'data', options, new Set());
  }

  /** The chunk's content, after checking it hashes to its address. */
  async get(address: string, options: OpOptions = {}): Promise<Uint8Array> {
    return (await this.read(parseAddress(address), options.checkpoint ?? noop)).content;
  }

  async has(address: string): Promise<boolean> {
    return (await this.opts.index.get(parseAddress(address))) !== undefined;
  }

  /** Removes the entry at `address`; false if there was none. */
  async delete(address: string): Promise<boolean> {
    const a = parseAddress(address);
    return this.exclusive(async () => (await this.remove(a)) !== undefined);
  }

  /** Splits `bytes` into chunks, stores them and a manifest; returns the blob's address. */
  async putBlob(bytes: Uint8Array, options: PutBlobOptions = {}): Promise<string> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
      throw new BadInputError(
        `chunkSize must be an integer ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE}; got ${chunkSize}`,
      );
    if (bytes.length <= chunkSize) return this.putChunk(bytes, 'data', options, new Set());
    // The blob's own chunks may not be evicted to make room for its later chunks.
    const mine = new Set<string>();
    const chunks: Array<[string, number]> = [];
    for (let off = 0; off < bytes.length; off += chunkSize) {
      const piece = bytes.subarray(off, Math.min(bytes.length, off + chunkSize));
      const address = await this.putChunk(piece, 'data', options, mine);
      mine.add(address);
      chunks.push([address, piece.length]);
    }
    return this.putChunk(encodeManifest({ size: bytes.length, chunks }), 'manifest', options, mine);
  }

  /** The blob at `address` (a manifest's, or a single chunk's), every chunk verified. */
  async getBlob(address: string, options: GetBlobOptions = {}): Promise<Uint8Array> {
    const checkpoint = options.checkpoint ?? noop;
    const allocate = options.allocate ?? ((n: number) => new Uint8Array(n));
    const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const a = parseAddress(address);
    const first = await this.read(a, checkpoint);
    const tooBig = (n: number) =>
      new BadInputError(`blob ${a} is ${n} bytes; at most ${maxBytes} may be read here`);
    if (first.kind === 'data') {
      if (first.content.length > maxBytes) throw tooBig(first.content.length);
      const out = allocate(first.content.length);
      out.set(first.content);
      return out;
    }
    const manifest = decodeManifest(first.content);
    if (manifest.size > maxBytes) throw tooBig(manifest.size);
    const out = allocate(manifest.size);
    let off = 0;
    for (const [chunk, bytes] of manifest.chunks) {
      const part = await this.read(chunk, checkpoint).catch((err: unknown) => {
        if (err instanceof ChunkNotFoundError)
          throw new ChunkNotFoundError(chunk, `part of blob ${a}: it was evicted or deleted`);
        throw err;
      });
      if (part.kind !== 'data' || part.content.length !== bytes)
        throw new ChunkCorruptError(chunk, `blob ${a} lists it as ${bytes} bytes of data`);
      out.set(part.content, off);
      off += bytes;
    }
    return out;
  }

  /** True if the entry exists and, for a manifest, every chunk it lists does too. */
  async hasBlob(address: string, options: OpOptions = {}): Promise<boolean> {
    const a = parseAddress(address);
    const meta = await this.opts.index.get(a);
    if (!meta) return false;
    if (meta.kind === 'data') return true;
    const manifest = decodeManifest((await this.read(a, options.checkpoint ?? noop)).content);
    for (const [chunk] of manifest.chunks) if (!(await this.opts.index.get(chunk))) return false;
    return true;
  }

  async stats(): Promise<StoreStats> {
    return { ...(await this.opts.index.stats()), quotaBytes: this.opts.quotaBytes };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.opts.index.close();
  }

  // ---- internals ----

  private tick(): number {
    this.lastTick = Math.max((this.opts.now ?? Date.now)(), this.lastTick + 1);
    return this.lastTick;
  }

  /** Runs `fn` after every earlier mutation of this instance has settled. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(noop);
    return run;
  }

  private brotli(): Promise<BrotliWasm> {
    return (this.opts.brotli ?? loadBrotli)();
  }

  private async putChunk(
    content: Uint8Array,
    kind: ChunkMeta['kind'],
    options: PutOptions,
    protect: ReadonlySet<string>,
  ): Promise<string> {
    const checkpoint = options.checkpoint ?? noop;
    const quality = options.quality === undefined ? DEFAULT_QUALITY : options.quality;
    if (quality !== null && !(Number.isInteger(quality) && quality >= QUALITY_MIN && quality <= QUALITY_MAX))
      throw new BadInputError(
        `quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX} or null; got ${quality}`,
      );
    const address = bytesToHex(blake3Digest(content, checkpoint));
    if (await this.refresh(address)) return address;

    let rec: ChunkRecord = { kind: Kind[kind], encoding: Encoding.raw, payload: content };
    if (quality !== null && content.length >= MIN_COMPRESS_BYTES) {
      const packed = brotliCompress(await this.brotli(), content, quality, checkpoint);
      if (packed.length < content.length) rec = { ...rec, encoding: Encoding.brotli, payload: packed };
    }
    const random = this.opts.random ?? randomBytes;
    const sealed = sealRecord(this.key, address, rec, checkpoint, random);
    if (sealed.length > this.opts.quotaBytes)
      throw new StoreFullError(sealed.length, this.opts.quotaBytes, 'one chunk');

    await this.exclusive(async () => {
      if (await this.refresh(address)) return;
      await this.makeRoom(sealed.length, protect);
      await this.opts.blobs.write(chunkPath(address), sealed);
      const now = this.tick();
      await this.opts.index.put(address, {
        kind,
        size: content.length,
        storedSize: sealed.length,
        lastAccess: now,
        createdAt: now,
      });
    });
    return address;
  }

  /** Marks an existing entry as just used; false if there is none. */
  private async refresh(address: string): Promise<boolean> {
    if (!(await this.opts.index.get(address))) return false;
    await this.opts.index.touch(address, this.tick());
    return true;
  }

  /** Evicts least recently accessed entries (never those in `protect`) until `bytes` more fit. */
  private async makeRoom(bytes: number, protect: ReadonlySet<string>): Promise<void> {
    const quota = this.opts.quotaBytes;
    let { storedBytes } = await this.opts.index.stats();
    while (storedBytes + bytes > quota) {
      const victim = (await this.opts.index.oldest(protect.size + 1)).find((e) => !protect.has(e.address));
      if (!victim)
        throw new StoreFullError(
          storedBytes + bytes,
          quota,
          `the ${protect.size} chunks stored so far for this blob cannot be evicted`,
        );
      await this.remove(victim.address);
      storedBytes -= victim.meta.storedSize;
    }
  }

  /** Index first, then the file: a crash in between leaves an orphan file, never a dangling entry. */
  private async remove(address: string): Promise<ChunkMeta | undefined> {
    const meta = await this.opts.index.delete(address);
    await this.opts.blobs.delete(chunkPath(address));
    return meta;
  }

  private async read(
    address: string,
    checkpoint: () => void,
  ): Promise<{ kind: ChunkMeta['kind']; content: Uint8Array }> {
    const meta = await this.opts.index.get(address);
    if (!meta) throw new ChunkNotFoundError(address);
    const corrupt = async (why: string, cause?: unknown): Promise<never> => {
      // Removed, so the next put of this content stores a good copy instead of deduplicating to it.
      await this.exclusive(() => this.remove(address));
      throw new ChunkCorruptError(address, `${why}; the damaged copy was removed`, { cause });
    };
    const file = await this.opts.blobs.read(chunkPath(address));
    if (!file) return corrupt('its file is missing');
    let rec: ChunkRecord;
    try {
      rec = openRecord(this.key, address, file, checkpoint);
    } catch (err) {
      return corrupt(err instanceof Error ? err.message : String(err), err);
    }
    let content = rec.payload;
    if (rec.encoding === Encoding.brotli) {
      try {
        content = brotliDecompress(await this.brotli(), rec.payload, meta.size, checkpoint);
      } catch (err) {
        return corrupt(`its compressed content does not decode to ${meta.size} bytes`, err);
      }
    }
    const hash = bytesToHex(blake3Digest(content, checkpoint));
    if (hash !== address) return corrupt(`its content hashes to ${hash}`);
    await this.opts.index.touch(address, this.tick());
    return { kind: rec.kind === Kind.manifest ? 'manifest' : 'data', content };
  }
}
