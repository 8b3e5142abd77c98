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
 * One StoreCore per store location: mutations are serialised inside a LocalStoreCore, not across
 * instances. Run it in one context — the CLI process, or in the extension the offscreen document's
 * owner (store-owner.ts), which pool workers reach through store-client.ts.
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

/**
 * Where a ChunkStore's chunks live: the index, the files and the quota, with every mutation
 * serialised. `LocalStoreCore` is one over backends in this context (the CLI, tests, and the
 * extension's owner in the offscreen document); `RemoteStoreCore` (store-client.ts) reaches that owner
 * from a worker. The CPU work (hashing, brotli, sealing, verifying) stays in ChunkStore, on the
 * caller's thread: only sealed bytes cross.
 */
export interface StoreCore {
  readonly quotaBytes: number;
  meta(address: string): Promise<ChunkMeta | undefined>;
  /** Marks an existing entry as just used; false if there is none. */
  refresh(address: string): Promise<boolean>;
  /**
   * Stores a sealed chunk, unless `address` is already stored (then it only refreshes it), evicting
   * least recently used entries not in `protect` to make room. StoreFullError when it cannot.
   */
  commit(
    address: string,
    sealed: Uint8Array,
    entry: { kind: ChunkMeta['kind']; size: number },
    protect: readonly string[],
  ): Promise<void>;
  /** The entry and its file (undefined when the file is missing); undefined without an entry. */
  load(address: string): Promise<{ meta: ChunkMeta; file: Uint8Array | undefined } | undefined>;
  /** Removes the entry and its file; false if there was no entry. */
  remove(address: string): Promise<boolean>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/**
 * Shares the pieces of one putBlob with other workers (the extension's owner submits `storage.put`
 * jobs of single pieces to idle workers). The caller claims pieces too, so a blob never waits on a
 * worker that is not there.
 */
export interface ChunkFanout {
  /** A task over `bytes` (`pieces` pieces of `pieceBytes`), or null when there is no one to share with. */
  begin(bytes: Uint8Array, pieceBytes: number, pieces: number, quality: number): Promise<FanoutTask | null>;
}

export interface FanoutTask {
  /** The next piece no one has claimed, or -1. */
  claim(): Promise<number>;
  /** Waits up to `ms` for helpers; the addresses they stored (null: not stored) and how many still run. */
  wait(ms: number): Promise<{ addresses: Array<string | null>; pending: number }>;
  /** Ends the task: helpers still queued are withdrawn; their pieces are the caller's to store. */
  end(): Promise<void>;
}

/** A StoreCore over a BlobBackend and an IndexBackend in this context. */
export class LocalStoreCore implements StoreCore {
  private lastTick = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Addresses no eviction may take (blobs being assembled by several workers), with a count each. */
  private readonly pins = new Map<string, number>();

  constructor(private readonly opts: Omit<ChunkStoreOptions, 'brotli' | 'random'>) {
    if (!Number.isSafeInteger(opts.quotaBytes) || opts.quotaBytes <= 0)
      throw new RangeError(`quotaBytes must be a positive integer; got ${opts.quotaBytes}`);
  }

  get quotaBytes(): number {
    return this.opts.quotaBytes;
  }

  /** The store's at-rest key (loaded, or created and saved on first use). */
  loadOrCreateKey(random: (n: number) => Uint8Array): Promise<Uint8Array> {
    return this.opts.index.loadOrCreateKey(() => random(32));
  }

  pin(address: string): void {
    this.pins.set(address, (this.pins.get(address) ?? 0) + 1);
  }

  unpin(address: string): void {
    const n = (this.pins.get(address) ?? 0) - 1;
    if (n > 0) this.pins.set(address, n);
    else this.pins.delete(address);
  }

  meta(address: string): Promise<ChunkMeta | undefined> {
    return this.opts.index.get(address);
  }

  async refresh(address: string): Promise<boolean> {
    if (!(await this.opts.index.get(address))) return false;
    await this.opts.index.touch(address, this.tick());
    return true;
  }

  async commit(
    address: string,
    sealed: Uint8Array,
    entry: { kind: ChunkMeta['kind']; size: number },
    protect: readonly string[],
  ): Promise<void> {
    if (sealed.length > this.opts.quotaBytes)
      throw new StoreFullError(sealed.length, this.opts.quotaBytes, 'one chunk');
    await this.exclusive(async () => {
      if (await this.refresh(address)) return;
      await this.makeRoom(sealed.length, new Set(protect));
      await this.opts.blobs.write(chunkPath(address), sealed);
      const now = this.tick();
      await this.opts.index.put(address, {
        kind: entry.kind,
        size: entry.size,
        storedSize: sealed.length,
        lastAccess: now,
        createdAt: now,
      });
    });
  }

  async load(address: string): Promise<{ meta: ChunkMeta; file: Uint8Array | undefined } | undefined> {
    const meta = await this.opts.index.get(address);
    if (!meta) return undefined;
    return { meta, file: await this.opts.blobs.read(chunkPath(address)) };
  }

  remove(address: string): Promise<boolean> {
    return this.exclusive(async () => (await this.removeNow(address)) !== undefined);
  }

  async stats(): Promise<StoreStats> {
    return { ...(await this.opts.index.stats()), quotaBytes: this.opts.quotaBytes };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.opts.index.close();
  }

  private tick(): number {
    this.lastTick = Math.max((this.opts.now ?? Date.now)(), this.lastTick + 1);
    return this.lastTick;
  }

  /** Runs `fn` after every earlier mutation of this core has settled. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(noop);
    return run;
  }

  /** Evicts least recently accessed entries (never those in `protect` or pinned) until `bytes` more fit. */
  private async makeRoom(bytes: number, protect: ReadonlySet<string>): Promise<void> {
    const quota = this.opts.quotaBytes;
    const kept = (a: string) => protect.has(a) || this.pins.has(a);
    let { storedBytes } = await this.opts.index.stats();
    while (storedBytes + bytes > quota) {
      const skip = protect.size + this.pins.size;
      const victim = (await this.opts.index.oldest(skip + 1)).find((e) => !kept(e.address));
      if (!victim)
        throw new StoreFullError(
          storedBytes + bytes,
          quota,
          `the ${protect.size} chunks stored so far for this blob cannot be evicted`,
        );
      await this.removeNow(victim.address);
      storedBytes -= victim.meta.storedSize;
    }
  }

  /** Index first, then the file: a crash in between leaves an orphan file, never a dangling entry. */
  private async removeNow(address: string): Promise<ChunkMeta | undefined> {
    const meta = await this.opts.index.delete(address);
    await this.opts.blobs.delete(chunkPath(address));
    return meta;
  }
}

export interface ChunkStoreParts {
  core: StoreCore;
  /** The store's 32-byte at-rest key. */
  key: Uint8Array;
  brotli?: () => Promise<BrotliWasm>;
  random?: (n: number) => Uint8Array;
  /** Lets putBlob spread a large blob's pieces over other workers. */
  fanout?: ChunkFanout;
  /** Adds each read's phases here (ms): where serving a chunk spends its time. */
  readTimings?: ReadTimings;
}

/** A chunk read's phases, ms summed over reads. */
export interface ReadTimings {
  reads: number;
  /** The sealed file and its index entry. */
  loadMs: number;
  /** ChaCha20-Poly1305 open. */
  decryptMs: number;
  decompressMs: number;
  /** BLAKE3 of the content against the address. */
  hashMs: number;
}

export class ChunkStore {
  private constructor(private readonly parts: ChunkStoreParts) {
    if (parts.key.length !== 32) throw new Error(`the chunk key is ${parts.key.length} bytes, not 32`);
  }

  /** Opens (or creates) the store over its backends; loads or creates the at-rest key. */
  static async open(opts: ChunkStoreOptions): Promise<ChunkStore> {
    const core = new LocalStoreCore(opts);
    const random = opts.random ?? randomBytes;
    const key = await core.loadOrCreateKey(random);
    if (key.length !== 32) throw new Error(`the stored chunk key is ${key.length} bytes, not 32`);
    return new ChunkStore({ core, key, brotli: opts.brotli, random });
  }

  /** A store whose chunks live in `parts.core` (e.g. an owner in another context). */
  static over(parts: ChunkStoreParts): ChunkStore {
    return new ChunkStore(parts);
  }

  private get core(): StoreCore {
    return this.parts.core;
  }

  get quotaBytes(): number {
    return this.core.quotaBytes;
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
    return (await this.core.meta(parseAddress(address))) !== undefined;
  }

  /** Removes the entry at `address`; false if there was none. */
  async delete(address: string): Promise<boolean> {
    return this.core.remove(parseAddress(address));
  }

  /**
   * Splits `bytes` into chunks, stores them and a manifest; returns the blob's address. With a
   * fanout, idle workers compress and seal some of the pieces in parallel.
   */
  async putBlob(bytes: Uint8Array, options: PutBlobOptions = {}): Promise<string> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
      throw new BadInputError(
        `chunkSize must be an integer ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE}; got ${chunkSize}`,
      );
    if (bytes.length <= chunkSize) return this.putChunk(bytes, 'data', options, new Set());
    const checkpoint = options.checkpoint ?? noop;
    const quality = options.quality === undefined ? DEFAULT_QUALITY : options.quality;
    const pieces = Math.ceil(bytes.length / chunkSize);
    const piece = (i: number) => bytes.subarray(i * chunkSize, Math.min(bytes.length, (i + 1) * chunkSize));
    // The blob's own chunks may not be evicted to make room for its later chunks.
    const mine = new Set<string>();
    const addresses: Array<string | null> = Array.from({ length: pieces }, () => null);
    const store = async (i: number) => {
      const a = await this.putChunk(piece(i), 'data', options, mine);
      mine.add(a);
      addresses[i] = a;
    };
    const task =
      this.parts.fanout && quality !== null
        ? await this.parts.fanout.begin(bytes, chunkSize, pieces, quality)
        : null;
    if (task) {
      try {
        const started = performance.now();
        let done = 0;
        for (let i = await task.claim(); i >= 0; i = await task.claim()) {
          await store(i);
          done++;
        }
        // Wait for the helpers about as long as our own pieces took (they run the same code), beating
        // the heartbeat meanwhile; then store whatever they have not.
        const perPiece = done > 0 ? (performance.now() - started) / done : 5_000;
        const until = performance.now() + Math.max(1_000, 4 * perPiece);
        let r = await task.wait(200);
        while (r.pending > 0 && performance.now() < until) {
          checkpoint();
          r = await task.wait(200);
        }
        r.addresses.forEach((a, i) => {
          if (a !== null && addresses[i] === null) {
            addresses[i] = a;
            mine.add(a);
          }
        });
      } finally {
        await task.end();
      }
    }
    for (let i = 0; i < pieces; i++) if (addresses[i] === null) await store(i);
    const chunks = addresses.map((a, i): [string, number] => [a as string, piece(i).length]);
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
    const meta = await this.core.meta(a);
    if (!meta) return false;
    if (meta.kind === 'data') return true;
    const manifest = decodeManifest((await this.read(a, options.checkpoint ?? noop)).content);
    for (const [chunk] of manifest.chunks) if (!(await this.core.meta(chunk))) return false;
    return true;
  }

  stats(): Promise<StoreStats> {
    return this.core.stats();
  }

  close(): Promise<void> {
    return this.core.close();
  }

  // ---- internals ----

  private brotli(): Promise<BrotliWasm> {
    return (this.parts.brotli ?? loadBrotli)();
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
    if (await this.core.refresh(address)) return address;

    let rec: ChunkRecord = { kind: Kind[kind], encoding: Encoding.raw, payload: content };
    if (quality !== null && content.length >= MIN_COMPRESS_BYTES) {
      const packed = brotliCompress(await this.brotli(), content, quality, checkpoint);
      if (packed.length < content.length) rec = { ...rec, encoding: Encoding.brotli, payload: packed };
    }
    const random = this.parts.random ?? randomBytes;
    const sealed = sealRecord(this.parts.key, address, rec, checkpoint, random);
    if (sealed.length > this.core.quotaBytes)
      throw new StoreFullError(sealed.length, this.core.quotaBytes, 'one chunk');
    await this.core.commit(address, sealed, { kind, size: content.length }, [...protect]);
    return address;
  }

  private async read(
    address: string,
    checkpoint: () => void,
  ): Promise<{ kind: ChunkMeta['kind']; content: Uint8Array }> {
    const timings = this.parts.readTimings;
    let t = performance.now();
    const lap = (phase: Exclude<keyof ReadTimings, 'reads'>) => {
      const now = performance.now();
      if (timings) timings[phase] += now - t;
      t = now;
    };
    const found = await this.core.load(address);
    lap('loadMs');
    if (!found) throw new ChunkNotFoundError(address);
    const { meta, file } = found;
    const corrupt = async (why: string, cause?: unknown): Promise<never> => {
      // Removed, so the next put of this content stores a good copy instead of deduplicating to it.
      await this.core.remove(address);
      throw new ChunkCorruptError(address, `${why}; the damaged copy was removed`, { cause });
    };
    if (!file) return corrupt('its file is missing');
    let rec: ChunkRecord;
    try {
      rec = openRecord(this.parts.key, address, file, checkpoint);
    } catch (err) {
      return corrupt(err instanceof Error ? err.message : String(err), err);
    }
    lap('decryptMs');
    let content = rec.payload;
    if (rec.encoding === Encoding.brotli) {
      // Loaded outside the try: a context without brotli cannot read the chunk, which is not damaged.
      const brotli = await this.brotli();
      try {
        content = brotliDecompress(brotli, rec.payload, meta.size, checkpoint);
      } catch (err) {
        return corrupt(`its compressed content does not decode to ${meta.size} bytes`, err);
      }
      lap('decompressMs');
    }
    const hash = bytesToHex(blake3Digest(content, checkpoint));
    lap('hashMs');
    if (timings) timings.reads++;
    if (hash !== address) return corrupt(`its content hashes to ${hash}`);
    await this.core.refresh(address);
    return { kind: rec.kind === Kind.manifest ? 'manifest' : 'data', content };
  }
}
