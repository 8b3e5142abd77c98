/**
 * The storage capsule's put/get/has/delete over `ctx.services.chunkStore`, run like the engine runs
 * them (input and output in shared memory), plus hostile requests. This file never calls
 * setBrotliLoader: brotli comes in through the capsule factory and the store's options, and the
 * unconfigured global loader must say how to configure it.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../../src/capsules/capsule.ts';
import { blake3Digest } from '../../../../src/capsules/crypto/hash.ts';
import { MemoryBlobBackend } from '../../../../src/capsules/storage/backends.ts';
import { loadBrotli } from '../../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../../src/capsules/storage/brotli-node.ts';
import { ChunkStore } from '../../../../src/capsules/storage/chunk-store.ts';
import { IdbIndex } from '../../../../src/capsules/storage/idb-index.ts';
import { createStorageCapsule, storageCapsule } from '../../../../src/capsules/storage/index.ts';
import { openDirChunkStore } from '../../../../src/capsules/storage/open-dir-store.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { diffBytes, hex, runMethod } from '../crypto/_harness.ts';

const SEED = seedFromEnv(0xca9);
const rand = prng(SEED);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) >>> 0);
const capsule = createStorageCapsule({ brotli: nodeBrotliLoader });

let dbs = 0;
async function setup(quotaBytes = 8 << 20) {
  const store = await ChunkStore.open({
    blobs: new MemoryBlobBackend(),
    index: await IdbIndex.open(`capsule-${dbs++}`),
    quotaBytes,
    brotli: nodeBrotliLoader,
  });
  const services = { chunkStore: store };
  const run = (name: string, params: unknown, input = new Uint8Array(0)) =>
    runMethod(capsule, name, params, input, { shared: true, services }).then((r) => r.output);
  return { store, run };
}

describe(`storage capsule over a chunk store (SEED=${SEED})`, () => {
  it('put → 32-byte address; get, has, delete', async () => {
    const { run } = await setup();
    const data = bytes(100_000);
    const address = await run('put', {}, data);
    expect(address.length).toBe(32);
    expect(hex(address)).toBe(hex(blake3Digest(data, () => {}))); // one chunk: the address is its BLAKE3
    expect(diffBytes(await run('get', { address: hex(address) }), data)).toBe('equal');
    expect(await run('has', { address: hex(address) })).toEqual(Uint8Array.of(1));
    expect(await run('delete', { address: hex(address).toUpperCase() })).toEqual(Uint8Array.of(1));
    expect(await run('has', { address: hex(address) })).toEqual(Uint8Array.of(0));
    expect(await run('delete', { address: hex(address) })).toEqual(Uint8Array.of(0));
  });

  it('a multi-chunk blob round-trips through put/get with small chunks', async () => {
    const { run, store } = await setup();
    const data = bytes(50_000);
    const address = hex(await run('put', { chunkSize: 8192, quality: 1 }, data));
    expect((await store.stats()).count).toBe(8); // 7 chunks + the manifest
    expect(diffBytes(await run('get', { address }), data)).toBe('equal');
  });

  it('get of an unknown address is a BadInputError naming it', async () => {
    const { run } = await setup();
    const address = 'ab'.repeat(32);
    const p = run('get', { address });
    await expect(p).rejects.toBeInstanceOf(BadInputError);
    await expect(p).rejects.toThrow(`no chunk with address ${address} in this store`);
  });

  it('a tampered chunk fails get with ChunkCorruptError (an internal error, not the requester’s)', async () => {
    const blobs = new MemoryBlobBackend();
    const store = await ChunkStore.open({
      blobs,
      index: await IdbIndex.open(`capsule-${dbs++}`),
      quotaBytes: 1 << 20,
      brotli: nodeBrotliLoader,
    });
    const address = await store.put(bytes(1000));
    const [path, file] = [...blobs.files][0] as [string, Uint8Array];
    file[40]! ^= 0x80;
    blobs.files.set(path, file);
    const p = runMethod(capsule, 'get', { address }, new Uint8Array(0), { services: { chunkStore: store } });
    await expect(p).rejects.toThrow(/is corrupt: authentication failed/);
    await expect(p).rejects.not.toBeInstanceOf(BadInputError);
  });

  it.each([
    ['get', { address: 'abc' }, /address must be 64 hex digits/],
    ['get', {}, /address/],
    ['has', { address: 'g'.repeat(64) }, /address must be 64 hex digits/],
    ['delete', { address: 'ab'.repeat(32), force: true }, /Unrecognized key: "force"/],
    ['put', { chunkSize: 1024 }, /chunkSize must be 4096-16777216 bytes/],
    ['put', { quality: -1 }, /quality must be an integer 0-11/],
  ])('%s %j is refused', async (name, params, message) => {
    const { run } = await setup();
    const p = run(name, params, bytes(10));
    await expect(p).rejects.toBeInstanceOf(BadInputError);
    await expect(p).rejects.toThrow(message);
  });

  it('put of a blob larger than the store is StoreFullError (a BadInputError)', async () => {
    const { run } = await setup(64 * 1024);
    const p = run('put', { chunkSize: 16_384, quality: 0 }, bytes(200_000));
    await expect(p).rejects.toBeInstanceOf(BadInputError);
    await expect(p).rejects.toThrow(/chunk store full: .* the quota is 65536 bytes/);
  });

  it('without a chunk store service the methods say so', async () => {
    await expect(runMethod(capsule, 'has', { address: 'ab'.repeat(32) }, new Uint8Array(0))).rejects.toThrow(
      'this host has no chunk store',
    );
  });

  it('the shared storageCapsule needs a configured brotli loader and says how to configure it', async () => {
    await expect(loadBrotli()).rejects.toThrow(/call setBrotliLoader\(nodeBrotliLoader\)/);
    await expect(runMethod(storageCapsule, 'compress', {}, bytes(10))).rejects.toThrow(
      /brotli-wasm is not configured/,
    );
  });

  it('openDirChunkStore (the CLI wiring) keeps blobs across processes-worth of reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inos-cli-store-'));
    try {
      const data = bytes(40_000);
      let store = await openDirChunkStore({ dir, quotaBytes: 1 << 20 });
      const address = hex(
        await runMethod(capsule, 'put', { chunkSize: 16_384 }, data, {
          services: { chunkStore: store },
        }).then((r) => r.output),
      );
      await store.close();
      store = await openDirChunkStore({ dir, quotaBytes: 1 << 20 });
      const got = await runMethod(capsule, 'get', { address }, new Uint8Array(0), {
        services: { chunkStore: store },
      });
      expect(diffBytes(got.output, data)).toBe('equal');
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every method has a summary and a strict params schema', () => {
    for (const [name, m] of Object.entries(capsule.methods)) {
      expect(m.summary.length, name).toBeGreaterThan(10);
      expect(m.params.safeParse({ unexpected: 1 }).success, name).toBe(false);
    }
    expect(Object.keys(capsule.methods).sort()).toEqual([
      'compress',
      'decompress',
      'delete',
      'get',
      'has',
      'put',
    ]);
  });
});
