/**
 * The document's one chunk store serving the mesh and the market (store-owner.ts readChunk/putChunk/
 * release, src/offscreen/held-chunks.ts) and the move of a former store into it (migrate.ts):
 * a deleted chunk is unservable at once, reads run on a "worker" (another client of the owner, as
 * the pool's storage.get job does), held chunks survive eviction until released, nothing of the
 * former store is lost.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blake3 } from '@noble/hashes/blake3.js';
import { MemoryBlobBackend } from '../../../../src/capsules/storage/backends.ts';
import { setBrotliLoader } from '../../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../../src/capsules/storage/brotli-node.ts';
import { ChunkStore, LocalStoreCore } from '../../../../src/capsules/storage/chunk-store.ts';
import { IdbIndex } from '../../../../src/capsules/storage/idb-index.ts';
import { migrateChunks } from '../../../../src/capsules/storage/migrate.ts';
import { connectChunkStore } from '../../../../src/capsules/storage/store-client.ts';
import { ChunkStoreOwner, type FanoutHelpers } from '../../../../src/capsules/storage/store-owner.ts';
import { bytesToHex, hexToBytes } from '../../../../src/capsules/crypto/hex.ts';
import { HeldChunks } from '../../../../src/offscreen/held-chunks.ts';
import { prng, seedFromEnv } from '../../_prng.ts';

const SEED = seedFromEnv(0x0a1e);
const rand = prng(SEED);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) >>> 0);
const textish = (n: number) => Uint8Array.from({ length: n }, (_, i) => 97 + ((i >> 5) % 5));

beforeAll(() => setBrotliLoader(nodeBrotliLoader));

const owners: ChunkStoreOwner[] = [];
afterEach(async () => {
  for (const o of owners.splice(0)) await o.close();
});

let dbs = 0;
async function openCore(quotaBytes = 64 << 20) {
  const blobs = new MemoryBlobBackend();
  const index = await IdbIndex.open(`one-owner-${dbs++}`);
  const core = new LocalStoreCore({ blobs, index, quotaBytes });
  const key = await core.loadOrCreateKey((n) => crypto.getRandomValues(new Uint8Array(n)));
  return { blobs, index, core, key };
}

/** An owner whose storage.get/put "jobs" run on another client of the same owner (a worker). */
async function setup(opts: { quotaBytes?: number; workers?: boolean } = {}) {
  const opened = await openCore(opts.quotaBytes);
  const jobs = { get: 0, put: 0 };
  let worker: ChunkStore | null = null;
  const helpers: FanoutHelpers = {
    sab: () => new SharedArrayBuffer(8),
    idle: () => 1,
    submit: async (input, params) => {
      jobs.put++;
      const p = JSON.parse(params) as { quality: number; chunkSize: number };
      const a = await (worker as ChunkStore).putBlob(input.slice(), p);
      return { status: 'ok', output: hexToBytes(a), worker: 1, error: '' };
    },
    read: (address) => {
      jobs.get++;
      return (worker as ChunkStore)
        .getBlob(address)
        .then((output) => ({ status: 'ok', output, worker: 1, error: '' }))
        .catch((err: unknown) => ({
          status: 'runtimeError',
          output: new Uint8Array(0),
          worker: 1,
          error: String(err),
        }));
    },
  };
  const owner = new ChunkStoreOwner({
    open: async () => ({ core: opened.core, key: opened.key }),
    ...(opts.workers === false ? {} : { helpers }),
  });
  owners.push(owner);
  worker = await connectChunkStore(owner.connect(1), null);
  return { owner, worker, jobs, ...opened };
}

describe(`one chunk store for workers, mesh and market (SEED=${SEED})`, () => {
  it('a chunk a job stored is served to peers, read on a worker; deleted, it is unservable at once', async () => {
    const { owner, worker, jobs } = await setup();
    const data = bytes(300_000);
    const address = await worker.put(data); // what a job's storage.put does
    const served = await owner.readChunk(address);
    expect(served && bytesToHex(blake3(served))).toBe(address);
    expect(jobs.get).toBe(1);
    expect(owner.served.onWorker).toBe(1);
    expect(await worker.delete(address)).toBe(true); // a job's storage.delete
    expect(await owner.readChunk(address)).toBeUndefined();
    expect(await owner.hasChunk(address)).toBe(false);
    expect(jobs.get).toBe(1);
    expect(owner.served.missing).toBe(1);
  });

  it('without a running pool the owner reads (and verifies) the chunk itself', async () => {
    const { owner } = await setup({ workers: false });
    const data = bytes(50_000);
    const address = await owner.putChunk(data);
    expect(address).toBe(bytesToHex(blake3(data)));
    expect(Buffer.from((await owner.readChunk(address))!).equals(Buffer.from(data))).toBe(true);
    expect(owner.served.here).toBe(1);
    await expect(owner.readChunk('xyz')).rejects.toThrow(/64 hex digits/);
  });

  it('held chunks survive eviction until released or their deadline; then they age out', async () => {
    // Room for about three 200 KB chunks.
    const { owner, core } = await setup({ quotaBytes: 700_000 });
    const held = await owner.putChunk(bytes(200_000), { untilMs: Date.now() + 60_000 });
    for (let i = 0; i < 4; i++) await owner.putChunk(bytes(200_000));
    expect(await core.meta(held)).toBeDefined();
    owner.release(held);
    expect(owner.heldCount()).toBe(0);
    for (let i = 0; i < 4; i++) await owner.putChunk(bytes(200_000));
    expect(await core.meta(held)).toBeUndefined();
    // A deadline ends a hold by itself.
    const brief = await owner.putChunk(bytes(200_000), { untilMs: Date.now() + 20 });
    expect(owner.heldCount()).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(owner.heldCount()).toBe(0);
    for (let i = 0; i < 4; i++) await owner.putChunk(bytes(200_000));
    expect(await core.meta(brief)).toBeUndefined();
  });

  it("the market's held chunks live in the store: split at 1 MiB, served, pinned until dropped", async () => {
    const { owner, core, jobs } = await setup({ quotaBytes: 8 << 20 });
    const held = new HeldChunks(() => owner);
    const output = bytes((2 << 20) + 1000);
    const refs = held.put(output);
    expect(refs).toHaveLength(3);
    // Served at once (from memory until its store job lands).
    expect(Buffer.from((await held.get(refs[2]!))!).equals(Buffer.from(output.subarray(2 << 20)))).toBe(true);
    for (let i = 0; i < 200 && held.pending > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(held.pending).toBe(0);
    expect(jobs.put).toBe(3);
    expect((await core.stats()).count).toBe(3);
    expect(owner.heldCount()).toBe(3);
    const first = await held.get(refs[0]!);
    expect(first && bytesToHex(blake3(first))).toBe(bytesToHex(refs[0]!));
    expect(await held.has(refs[1]!)).toBe(true);
    held.drop(refs);
    await new Promise((r) => setTimeout(r, 10));
    expect(owner.heldCount()).toBe(0);
  });

  it('without a store the held chunks stay in memory until dropped', async () => {
    const held = new HeldChunks(() => null);
    const refs = held.put(textish(5000));
    expect(held.pending).toBe(1);
    expect(await held.has(refs[0]!)).toBe(true);
    held.drop(refs);
    expect(held.get(refs[0]!)).toBeUndefined();
  });

  it('the former mesh store is moved in whole (raw and compressed records), once', async () => {
    const old = await openCore();
    const oldStore = ChunkStore.over({ core: old.core, key: old.key });
    const raw = bytes(100_000);
    const packed = textish(200_000);
    const blob = bytes(150_000);
    const addrs = [
      await oldStore.put(raw, { quality: null }),
      await oldStore.put(packed, { quality: 5 }),
      await oldStore.putBlob(blob, { chunkSize: 64 << 10, quality: null }),
    ];
    const next = await openCore();
    expect(next.key).not.toEqual(old.key);
    const report = await migrateChunks(old, next);
    expect(report).toEqual({ moved: (await old.index.stats()).count, present: 0, skipped: 0 });
    const store = ChunkStore.over({ core: next.core, key: next.key });
    expect(Buffer.from(await store.get(addrs[0]!)).equals(Buffer.from(raw))).toBe(true);
    expect(Buffer.from(await store.get(addrs[1]!)).equals(Buffer.from(packed))).toBe(true);
    expect(Buffer.from(await store.getBlob(addrs[2]!)).equals(Buffer.from(blob))).toBe(true);
    expect((await migrateChunks(old, next)).present).toBe(report.moved);
    // A damaged record is skipped, not moved, and does not stop the rest.
    const third = await openCore();
    const file = [...old.blobs.files.keys()][0]!;
    old.blobs.files.get(file)![20]! ^= 1;
    const r3 = await migrateChunks(old, third);
    expect(r3.skipped).toBe(1);
    expect(r3.moved).toBe(report.moved - 1);
  });
});
