/**
 * The `storage` capsule: brotli compress/decompress, and a content-addressed chunk store
 * (put/get/has/delete) over the host's `ctx.services.chunkStore`.
 *
 * Outputs are raw bytes: `put` returns the blob's 32-byte BLAKE3 address (hex in params elsewhere);
 * `has` and `delete` return one byte (1 yes / 0 no). `get` returns the blob, every chunk verified.
 *
 * This file is safe for the extension bundle. Node-only parts live in files the CLI imports itself:
 * open-dir-store.ts (openDirChunkStore), brotli-node.ts (nodeBrotliLoader), dir-backend.ts
 * (DirBackend), json-file-index.ts (JsonFileIndex).
 */
import { z } from 'zod';
import { method, type Capsule, type JobContext } from '../capsule.ts';
import { METHOD_BOUNDS, METHOD_PRICES } from '../price.ts';
import { bytesToHex, hexToBytes } from '../crypto/hex.ts';
import {
  BROTLI_WINDOW,
  DEFAULT_QUALITY,
  QUALITY_MAX,
  QUALITY_MIN,
  brotliCompress,
  brotliDecompress,
} from './brotli-codec.ts';
import { loadBrotli, type BrotliWasm } from './brotli-loader.ts';
import { ChunkStore, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from './chunk-store.ts';

export {
  MemoryBlobBackend,
  chunkPath,
  type BlobBackend,
  type ChunkMeta,
  type IndexBackend,
} from './backends.ts';
export { brotliCompress, brotliDecompress, BROTLI_WINDOW, DEFAULT_QUALITY } from './brotli-codec.ts';
export {
  loadBrotli,
  setBrotliLoader,
  webBrotliLoader,
  type BrotliLoader,
  type BrotliWasm,
} from './brotli-loader.ts';
export {
  ChunkStore,
  LocalStoreCore,
  type ChunkFanout,
  type ChunkStoreOptions,
  type FanoutTask,
  type GetBlobOptions,
  type PutBlobOptions,
  type StoreCore,
} from './chunk-store.ts';
export { ChunkCorruptError, ChunkNotFoundError, StoreFullError } from './errors.ts';
export { IdbIndex } from './idb-index.ts';
export { OpfsBackend } from './opfs-backend.ts';
export {
  openBrowserChunkStore,
  openBrowserStoreCore,
  type BrowserStoreOptions,
} from './open-browser-store.ts';
export {
  ChunkStoreOwner,
  type FanoutHelpers,
  type FanoutReport,
  type StoreOwnerOptions,
} from './store-owner.ts';
export { connectChunkStore, remoteChunkStore, type ChunkStoreApi } from './store-client.ts';

const MIB = 1 << 20;
const MAX_INPUT = 64 * MIB;
/** Brotli's worst-case growth is a few bytes per 16 MiB meta-block; 64 KiB is ample headroom. */
const MAX_OUTPUT = MAX_INPUT + 64 * 1024;

const quality = z
  .number({ error: `quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX}` })
  .int(`quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX}`)
  .min(QUALITY_MIN, `quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX}`)
  .max(QUALITY_MAX, `quality must be an integer ${QUALITY_MIN}-${QUALITY_MAX}`)
  .default(DEFAULT_QUALITY);
const windowBits = z
  .literal(BROTLI_WINDOW, {
    error: `window (lgwin) must be ${BROTLI_WINDOW}: the shipped encoder (brotli-wasm 3.0.1) has no window setting`,
  })
  .optional();
const address = z
  .string({ error: 'address must be a string of 64 hex digits' })
  .regex(/^[0-9a-fA-F]{64}$/, 'address must be 64 hex digits (a BLAKE3 hash)')
  .transform((a) => a.toLowerCase());

/** The store the host provides, checked by shape (a bundle may hold two copies of the class). */
function storeOf(ctx: JobContext): ChunkStore {
  const s = ctx.services.chunkStore as Partial<ChunkStore> | undefined;
  if (
    !s ||
    typeof s.putBlob !== 'function' ||
    typeof s.getBlob !== 'function' ||
    typeof s.hasBlob !== 'function'
  )
    throw new Error('this host has no chunk store: storage.put/get/has/delete are not available here');
  return s as ChunkStore;
}

export interface StorageCapsuleDeps {
  /** How to get brotli-wasm; defaults to the context's configured loader (setBrotliLoader). */
  brotli?: () => Promise<BrotliWasm>;
}

export function createStorageCapsule(deps: StorageCapsuleDeps = {}): Capsule {
  const brotli = deps.brotli ?? loadBrotli;
  return {
    library: 'storage',
    version: '1.0.0',
    summary: 'brotli compress/decompress and a content-addressed, encrypted chunk store',
    limits: {
      maxInputBytes: MAX_INPUT,
      maxOutputBytes: MAX_OUTPUT,
      timeoutMs: 60_000,
      // Input, output, and brotli-wasm's linear memory, which holds a copy of each piece in flight.
      maxMemoryBytes: 3 * MAX_INPUT,
      costCap: 60_000,
    },
    methods: {
      compress: method({
        price: METHOD_PRICES['storage.compress'],
        priceBound: METHOD_BOUNDS['storage.compress'],
        params: z.strictObject({ quality, window: windowBits }),
        summary: `brotli-compresses the input into one standard stream (quality 0-11, default ${DEFAULT_QUALITY}; 10-11 only up to 1 MiB)`,
        run: async (ctx, p) =>
          brotliCompress(await brotli(), ctx.input, p.quality, ctx.checkpoint, MAX_OUTPUT),
      }),
      decompress: method({
        price: METHOD_PRICES['storage.decompress'],
        priceBound: METHOD_BOUNDS['storage.decompress'],
        params: z.strictObject({}),
        summary: `decodes exactly one brotli stream (at most ${MAX_INPUT} bytes out)`,
        run: async (ctx) => brotliDecompress(await brotli(), ctx.input, MAX_INPUT, ctx.checkpoint),
      }),
      put: method({
        price: METHOD_PRICES['storage.put'],
        priceBound: METHOD_BOUNDS['storage.put'],
        params: z.strictObject({
          quality,
          chunkSize: z
            .number()
            .int()
            .min(MIN_CHUNK_SIZE, `chunkSize must be ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE} bytes`)
            .max(MAX_CHUNK_SIZE, `chunkSize must be ${MIN_CHUNK_SIZE}-${MAX_CHUNK_SIZE} bytes`)
            .default(DEFAULT_CHUNK_SIZE),
        }),
        summary: 'stores the input (split into compressed, encrypted chunks) → its 32-byte BLAKE3 address',
        effect: 'idempotent',
        // Undone by deleting the entry. A blob that was stored before the workflow put it again is
        // deleted too: the store keeps no reference count per entry (chunks shared with others stay).
        compensate: (_params, output) =>
          output.length === 32 ? { method: 'delete', params: { address: bytesToHex(output) } } : null,
        run: async (ctx, p) => {
          const a = await storeOf(ctx).putBlob(ctx.input, {
            quality: p.quality,
            chunkSize: p.chunkSize,
            checkpoint: ctx.checkpoint,
          });
          return hexToBytes(a);
        },
      }),
      get: method({
        price: METHOD_PRICES['storage.get'],
        priceBound: METHOD_BOUNDS['storage.get'],
        params: z.strictObject({ address }),
        summary: 'the blob stored at params.address, every chunk decrypted and re-hashed',
        run: async (ctx, p) => {
          await storeOf(ctx).getBlob(p.address, {
            checkpoint: ctx.checkpoint,
            maxBytes: MAX_OUTPUT,
            allocate: (n) => ctx.output(n),
          });
        },
      }),
      has: method({
        params: z.strictObject({ address }),
        summary: 'whether the blob at params.address is stored in full → 1 byte: 1 yes, 0 no',
        run: async (ctx, p) =>
          Uint8Array.of((await storeOf(ctx).hasBlob(p.address, { checkpoint: ctx.checkpoint })) ? 1 : 0),
      }),
      delete: method({
        params: z.strictObject({ address }),
        summary:
          'removes the entry at params.address (chunks shared with other blobs stay) → 1 byte: 1 removed, 0 absent',
        effect: 'idempotent',
        run: async (ctx, p) => Uint8Array.of((await storeOf(ctx).delete(p.address)) ? 1 : 0),
      }),
    },
  };
}

/** The capsule with the context's configured brotli loader; register this in builtinCapsules. */
export const storageCapsule: Capsule = createStorageCapsule();
