/**
 * ChunkStore over both backend pairs: IndexedDB (fake-indexeddb) + an in-memory BlobBackend, and the
 * Node CLI's JSON-file index + directory. Covers addressing, encryption at rest, tamper detection,
 * LRU eviction and the quota, blobs, checkpoints, and reopening over the same backends.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, JobStopped } from '../../../../src/capsules/capsule.ts';
import { blake3Digest } from '../../../../src/capsules/crypto/hash.ts';
import { bytesToHex } from '../../../../src/capsules/crypto/hex.ts';
import {
  chunkPath,
  MemoryBlobBackend,
  type BlobBackend,
  type IndexBackend,
} from '../../../../src/capsules/storage/backends.ts';
import { setBrotliLoader } from '../../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../../src/capsules/storage/brotli-node.ts';
import { Kind, Encoding, recordSize, sealRecord } from '../../../../src/capsules/storage/chunk-record.ts';
import { ChunkStore } from '../../../../src/capsules/storage/chunk-store.ts';
import { DirBackend } from '../../../../src/capsules/storage/dir-backend.ts';
import {
  ChunkCorruptError,
  ChunkNotFoundError,
  StoreFullError,
} from '../../../../src/capsules/storage/errors.ts';
import { IdbIndex } from '../../../../src/capsules/storage/idb-index.ts';
import { JsonFileIndex } from '../../../../src/capsules/storage/json-file-index.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { diffBytes } from '../crypto/_harness.ts';

const SEED = seedFromEnv(0x5707e);
const rand = prng(SEED);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) >>> 0);
const address = (b: Uint8Array) => bytesToHex(blake3Digest(b, () => {}));
const noCompression = { quality: null };

let tmp = '';
beforeAll(async () => {
  setBrotliLoader(nodeBrotliLoader);
  tmp = await mkdtemp(join(tmpdir(), 'inos-chunks-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** One store location; `open` makes a fresh ChunkStore over it (as after a restart). */
interface Location {
  blobs: BlobBackend;
  open(quotaBytes: number, now?: () => number): Promise<ChunkStore>;
  index(): IndexBackend;
}

let n = 0;
const locations: Record<string, () => Promise<Location>> = {
  'IndexedDB + memory': async () => {
    const name = `chunks-${n++}`;
    const blobs = new MemoryBlobBackend();
    let index: IndexBackend | null = null;
    return {
      blobs,
      index: () => index as IndexBackend,
      async open(quotaBytes, now) {
        index = await IdbIndex.open(name);
        return ChunkStore.open({ blobs, index, quotaBytes, now });
      },
    };
  },
  'JSON file + directory (Node CLI)': async () => {
    const dir = join(tmp, `store-${n++}`);
    const blobs = new DirBackend(join(dir, 'chunks'));
    let index: IndexBackend | null = null;
    return {
      blobs,
      index: () => index as IndexBackend,
      async open(quotaBytes, now) {
        index = await JsonFileIndex.open(dir);
        return ChunkStore.open({ blobs: new DirBackend(join(dir, 'chunks')), index, quotaBytes, now });
      },
    };
  },
};

describe.each(Object.keys(locations))(`ChunkStore on %s (SEED=${SEED})`, (which) => {
  const make = locations[which] as () => Promise<Location>;
  const MIB = 1 << 20;

  it('put returns the BLAKE3 of the content; get, has, delete', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const data = bytes(5000);
    const a = await store.put(data);
    expect(a).toBe(address(data));
    expect(await store.has(a)).toBe(true);
    expect(diffBytes(await store.get(a), data)).toBe('equal');
    expect(diffBytes(await store.get(a.toUpperCase()), data)).toBe('equal');
    expect(await store.delete(a)).toBe(true);
    expect(await store.delete(a)).toBe(false);
    expect(await store.has(a)).toBe(false);
    await expect(store.get(a)).rejects.toBeInstanceOf(ChunkNotFoundError);
    expect(await loc.blobs.list()).toEqual([]);
    expect(await store.stats()).toEqual({ count: 0, storedBytes: 0, quotaBytes: MIB });
  });

  it('stores identical content once, and an empty chunk', async () => {
    const store = await (await make()).open(MIB);
    const data = bytes(3000);
    const [a, b] = await Promise.all([store.put(data), store.put(data.slice())]);
    expect(a).toBe(b);
    expect((await store.stats()).count).toBe(1);
    const empty = await store.put(new Uint8Array(0));
    expect(empty).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    expect((await store.get(empty)).length).toBe(0);
  });

  it('keeps chunks encrypted at rest, sharded by first byte, with a fresh nonce per write', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const data = new TextEncoder().encode('secret plaintext that must not appear on disk. '.repeat(40));
    const a = await store.put(data, noCompression);
    expect(await loc.blobs.list()).toEqual([`${a.slice(0, 2)}/${a}`]);
    const first = (await loc.blobs.read(chunkPath(a))) as Uint8Array;
    expect(first.length).toBe(recordSize(data.length));
    expect(Buffer.from(first).includes(Buffer.from('secret plaintext'))).toBe(false);
    await store.delete(a);
    await store.put(data, noCompression);
    const second = (await loc.blobs.read(chunkPath(a))) as Uint8Array;
    expect(diffBytes(first.subarray(0, 12), second.subarray(0, 12))).not.toBe('equal');
  });

  it('compresses what compresses, and stores incompressible bytes raw', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const text = new TextEncoder().encode('compressible '.repeat(1000));
    const noise = bytes(13_000);
    const [t, r] = [await store.put(text), await store.put(noise)];
    expect(((await loc.blobs.read(chunkPath(t))) as Uint8Array).length).toBeLessThan(text.length / 10);
    expect(((await loc.blobs.read(chunkPath(r))) as Uint8Array).length).toBe(recordSize(noise.length));
    expect(diffBytes(await store.get(t), text)).toBe('equal');
  });

  it('detects a flipped byte anywhere in the stored file, removes the bad copy, and accepts a re-put', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const data = bytes(2000);
    const a = await store.put(data, noCompression);
    const size = recordSize(data.length);
    for (const at of [0, 11, 12, 14, 15, 1000, size - 17, size - 1]) {
      const file = (await loc.blobs.read(chunkPath(a))) as Uint8Array;
      file[at]! ^= 0x01;
      await loc.blobs.write(chunkPath(a), file);
      const err = await store.get(a).catch((e: unknown) => e);
      expect(err, `byte ${at}`).toBeInstanceOf(ChunkCorruptError);
      expect((err as Error).message).toMatch(new RegExp(`chunk ${a} is corrupt: authentication failed`));
      expect(await store.has(a)).toBe(false);
      expect(await store.put(data, noCompression)).toBe(a);
    }
    expect(diffBytes(await store.get(a), data)).toBe('equal');
  });

  it('detects a file moved to another address, a missing file, and content that does not hash to its address', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const [x, y] = [bytes(100), bytes(100)];
    const [ax, ay] = [await store.put(x), await store.put(y)];
    await loc.blobs.write(chunkPath(ay), (await loc.blobs.read(chunkPath(ax))) as Uint8Array);
    await expect(store.get(ay)).rejects.toThrow(/authentication failed/);
    await loc.blobs.delete(chunkPath(ax));
    await expect(store.get(ax)).rejects.toThrow(new RegExp(`chunk ${ax} is corrupt: its file is missing`));
    // A record that authenticates but holds other content (a bug, or someone holding the key).
    const key = await loc.index().loadOrCreateKey(() => new Uint8Array(32));
    const az = await store.put(bytes(100), noCompression);
    const forged = sealRecord(
      key,
      az,
      { kind: Kind.data, encoding: Encoding.raw, payload: bytes(100) },
      () => {},
      (k) => new Uint8Array(k),
    );
    await loc.blobs.write(chunkPath(az), forged);
    await expect(store.get(az)).rejects.toThrow(/its content hashes to [0-9a-f]{64}/);
  });

  it('evicts the least recently accessed chunks when a put would pass the quota', async () => {
    let clock = 1000;
    const loc = await make();
    const each = recordSize(1000);
    const store = await loc.open(3 * each, () => clock++);
    const [a, b, c, d, e] = [bytes(1000), bytes(1000), bytes(1000), bytes(1000), bytes(1000)];
    const [ka, kb, kc] = [
      await store.put(a, noCompression),
      await store.put(b, noCompression),
      await store.put(c, noCompression),
    ];
    await store.get(ka); // a is now the most recent; b the least
    const kd = await store.put(d, noCompression);
    expect([await store.has(ka), await store.has(kb), await store.has(kc), await store.has(kd)]).toEqual([
      true,
      false,
      true,
      true,
    ]);
    await store.put(c, noCompression); // re-putting refreshes c too
    const ke = await store.put(e, noCompression);
    expect([await store.has(ka), await store.has(kc), await store.has(kd), await store.has(ke)]).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(await store.stats()).toEqual({ count: 3, storedBytes: 3 * each, quotaBytes: 3 * each });
    expect((await loc.blobs.list()).length).toBe(3);
  });

  it('refuses a chunk larger than the quota with StoreFullError, evicting nothing', async () => {
    const store = await (await make()).open(2000);
    const small = await store.put(bytes(100), noCompression);
    const err = await store.put(bytes(3000), noCompression).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(StoreFullError);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toBe(
      `chunk store full: ${recordSize(3000)} bytes must be stored but the quota is 2000 bytes (one chunk)`,
    );
    expect(await store.has(small)).toBe(true);
  });

  it('keeps the quota under concurrent puts', async () => {
    const each = recordSize(500);
    const store = await (await make()).open(10 * each);
    await Promise.all(Array.from({ length: 25 }, () => store.put(bytes(500), noCompression)));
    expect(await store.stats()).toEqual({ count: 10, storedBytes: 10 * each, quotaBytes: 10 * each });
  });

  it('splits a blob into chunks plus a manifest, and reassembles it', async () => {
    const loc = await make();
    const store = await loc.open(MIB);
    const blob = bytes(4096 * 3 + 123);
    const checkpoints: number[] = [];
    const a = await store.putBlob(blob, { chunkSize: 4096, checkpoint: () => checkpoints.push(1) });
    expect(checkpoints.length).toBeGreaterThanOrEqual(4);
    expect((await store.stats()).count).toBe(5);
    expect(diffBytes(await store.getBlob(a), blob)).toBe('equal');
    expect(await store.hasBlob(a)).toBe(true);
    // The manifest lists each chunk by the BLAKE3 of its bytes.
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(a))) as {
      size: number;
      chunks: Array<[string, number]>;
    };
    expect(manifest.size).toBe(blob.length);
    expect(manifest.chunks.map(([c]) => c)[1]).toBe(address(blob.subarray(4096, 8192)));
    await store.delete(manifest.chunks[2]![0]);
    expect(await store.hasBlob(a)).toBe(false);
    await expect(store.getBlob(a)).rejects.toThrow(/part of blob .*: it was evicted or deleted/);
    // A blob of one chunk is that chunk.
    const small = bytes(1000);
    expect(await store.putBlob(small)).toBe(address(small));
    expect(diffBytes(await store.getBlob(address(small)), small)).toBe('equal');
    await expect(store.getBlob(address(small), { maxBytes: 999 })).rejects.toThrow(
      /is 1000 bytes; at most 999/,
    );
  });

  it('never evicts a blob’s own chunks to fit the blob; a blob over the quota is StoreFullError', async () => {
    let clock = 0;
    const each = recordSize(4096);
    const store = await (await make()).open(4 * each + 1000, () => clock++);
    const old = await store.put(bytes(4096), noCompression);
    await expect(store.putBlob(bytes(4096 * 6), { chunkSize: 4096, quality: null })).rejects.toBeInstanceOf(
      StoreFullError,
    );
    expect(await store.has(old)).toBe(false); // the older entry made room first
    const fits = bytes(4096 * 3);
    const a = await store.putBlob(fits, { chunkSize: 4096, quality: null });
    expect(diffBytes(await store.getBlob(a), fits)).toBe('equal');
  });

  it('stops between chunks when a checkpoint throws', async () => {
    const store = await (await make()).open(MIB);
    let calls = 0;
    const stop = () => {
      if (++calls > 3) throw new JobStopped('cancelled');
    };
    await expect(
      store.putBlob(bytes(64 * 1024), { chunkSize: 4096, checkpoint: stop }),
    ).rejects.toBeInstanceOf(JobStopped);
  });

  it('refuses malformed addresses and chunk sizes', async () => {
    const store = await (await make()).open(MIB);
    await expect(store.get('abc')).rejects.toThrow(/address must be 64 hex digits/);
    await expect(store.has('zz'.repeat(32))).rejects.toBeInstanceOf(BadInputError);
    await expect(store.putBlob(bytes(10), { chunkSize: 100 })).rejects.toThrow(
      /chunkSize must be an integer 4096-16777216/,
    );
  });

  it('survives reopening: same key, same entries, same LRU order', async () => {
    let clock = 0;
    const now = () => clock++;
    const loc = await make();
    const each = recordSize(800);
    let store = await loc.open(MIB, now);
    const [a, b, blob] = [bytes(800), bytes(800), bytes(9000)];
    const [ka, kb] = [await store.put(a, noCompression), await store.put(b, noCompression)];
    const kblob = await store.putBlob(blob, { chunkSize: 4096 });
    await store.get(ka); // LRU order now: b, the blob's chunks, a
    await store.close();

    store = await loc.open(MIB, now);
    expect(diffBytes(await store.get(ka), a)).toBe('equal');
    expect(diffBytes(await store.getBlob(kblob), blob)).toBe('equal');
    const { storedBytes } = await store.stats();
    await store.close();

    // Room for one more chunk only after evicting one: the least recently used, b.
    store = await loc.open(storedBytes + each - 1, now);
    await store.put(bytes(800), noCompression);
    expect(await store.has(kb)).toBe(false);
    expect(await store.has(ka)).toBe(true);
    expect(await store.hasBlob(kblob)).toBe(true);
    await store.close();
  });
});

describe('the Node key file', () => {
  it('is created once, 0600, and reused', async () => {
    const dir = join(tmp, 'keyfile');
    const [i1, i2] = await Promise.all([JsonFileIndex.open(dir), JsonFileIndex.open(dir)]);
    const keys = await Promise.all([
      i1.loadOrCreateKey(() => new Uint8Array(32).fill(1)),
      i2.loadOrCreateKey(() => new Uint8Array(32).fill(2)),
    ]);
    expect(diffBytes(keys[0], keys[1])).toBe('equal');
    expect((await stat(join(dir, 'key'))).mode & 0o777).toBe(0o600);
  });
});
