/**
 * The chunk store owner protocol (store-owner.ts ↔ store-client.ts) over real MessageChannels, as the
 * offscreen document and its pool workers use it: one owner, several clients; concurrent puts of one
 * chunk; putBlob spread over helpers; workers (clients, helpers) dying at each point.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobBackend } from '../../../../src/capsules/storage/backends.ts';
import { setBrotliLoader } from '../../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../../src/capsules/storage/brotli-node.ts';
import { Encoding, Kind, sealRecord } from '../../../../src/capsules/storage/chunk-record.ts';
import { LocalStoreCore } from '../../../../src/capsules/storage/chunk-store.ts';
import { IdbIndex } from '../../../../src/capsules/storage/idb-index.ts';
import { connectChunkStore } from '../../../../src/capsules/storage/store-client.ts';
import {
  ChunkStoreOwner,
  type FanoutHelpers,
  type StoreHello,
  type StoreReply,
} from '../../../../src/capsules/storage/store-owner.ts';
import { blake3Digest } from '../../../../src/capsules/crypto/hash.ts';
import { bytesToHex, hexToBytes } from '../../../../src/capsules/crypto/hex.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { diffBytes } from '../crypto/_harness.ts';

const SEED = seedFromEnv(0x0e7e);
const rand = prng(SEED);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) >>> 0);
/** Compressible but not trivial: runs of random bytes. */
const textish = (n: number) =>
  Uint8Array.from({ length: n }, (_, i) => 97 + ((i >> 4) % 7) + (rand() < 0.1 ? 1 : 0));

beforeAll(() => setBrotliLoader(nodeBrotliLoader));

const owners: ChunkStoreOwner[] = [];
afterEach(async () => {
  for (const o of owners.splice(0)) await o.close();
});

let dbs = 0;
async function setup(opts: { quotaBytes?: number; helpers?: FanoutHelpers; taskTtlMs?: number } = {}) {
  const blobs = new MemoryBlobBackend();
  const index = await IdbIndex.open(`owner-${dbs++}`);
  const core = new LocalStoreCore({ blobs, index, quotaBytes: opts.quotaBytes ?? 64 << 20 });
  const owner = new ChunkStoreOwner({
    open: async () => ({
      core,
      key: await core.loadOrCreateKey((n) => crypto.getRandomValues(new Uint8Array(n))),
    }),
    ...(opts.helpers ? { helpers: opts.helpers } : {}),
    taskTtlMs: opts.taskTtlMs ?? 60_000,
  });
  owners.push(owner);
  return { owner, core, blobs, index };
}

/** A raw request on a port (what a worker sends), for the dying-worker cases. */
function ask<T>(port: MessagePort, req: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    port.onmessage = (e: MessageEvent<StoreReply>) =>
      e.data.ok ? resolve(e.data.value as T) : reject(new Error(e.data.error.message));
    port.postMessage(req);
  });
}

const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
};

describe(`chunk store owner and its workers (SEED=${SEED})`, () => {
  it('what one worker puts, another gets; has and delete go through the owner', async () => {
    const { owner } = await setup();
    const a = await connectChunkStore(owner.connect(0), null);
    const b = await connectChunkStore(owner.connect(1), null);
    const data = bytes(200_000);
    const address = await a.putBlob(data, { chunkSize: 64 << 10, quality: 1 });
    expect(diffBytes(await b.getBlob(address), data)).toBe('equal');
    expect(await b.hasBlob(address)).toBe(true);
    expect(await b.delete(address)).toBe(true);
    expect(await a.hasBlob(address)).toBe(false);
    await expect(a.getBlob('zz')).rejects.toThrow(/64 hex digits/);
  });

  it('concurrent puts of the same chunk from several workers store it once', async () => {
    const { owner, blobs, core } = await setup();
    const stores = await Promise.all([0, 1, 2, 3].map((i) => connectChunkStore(owner.connect(i), null)));
    const data = textish(300_000);
    const addresses = await Promise.all(stores.map((s) => s.put(data)));
    expect(new Set(addresses).size).toBe(1);
    const stats = await core.stats();
    expect(stats.count).toBe(1);
    expect(blobs.files.size).toBe(1);
    expect(stats.storedBytes).toBe([...blobs.files.values()][0]!.length);
    expect(diffBytes(await stores[3]!.get(addresses[0]!), data)).toBe('equal');
  });

  /** Helpers that run `storage.put` of a piece on other "workers" (clients of the same owner). */
  async function helpersOver(owner: ChunkStoreOwner, sab: SharedArrayBuffer, workers: number[]) {
    const stores = await Promise.all(workers.map((w) => connectChunkStore(owner.connect(w), null)));
    let busy = 0;
    const log: Array<{ worker: number; aborted: boolean }> = [];
    let fail = 0;
    const helpers: FanoutHelpers = {
      sab: () => sab,
      idle: () => workers.length - busy,
      async submit(input, params, signal) {
        const worker = workers[busy % workers.length]!;
        const store = stores[busy % workers.length]!;
        busy++;
        try {
          if (fail > 0) {
            fail--;
            return { status: 'internalError', output: new Uint8Array(0), worker, error: 'worker died' };
          }
          const p = JSON.parse(params) as { quality: number; chunkSize: number };
          const a = await store.putBlob(input.slice(), p);
          log.push({ worker, aborted: signal.aborted });
          return { status: 'ok', output: hexToBytes(a), worker, error: '' };
        } finally {
          busy--;
        }
      },
    };
    return { helpers, log, failNext: (n: number) => (fail = n) };
  }

  function onShared(data: Uint8Array): { sab: SharedArrayBuffer; view: Uint8Array } {
    const sab = new SharedArrayBuffer(data.length + 4096);
    const view = new Uint8Array(sab, 4096, data.length);
    view.set(data);
    return { sab, view };
  }

  it('putBlob of a blob in shared memory spreads its pieces over idle workers', async () => {
    const data = textish(1 << 20);
    const { sab, view } = onShared(data);
    const late: { helpers?: FanoutHelpers } = {};
    const { owner } = await setup({
      helpers: {
        sab: () => sab,
        idle: () => late.helpers!.idle(),
        submit: (...a) => late.helpers!.submit(...a),
      },
    });
    const h = await helpersOver(owner, sab, [1, 2]);
    late.helpers = h.helpers;
    const opener = await connectChunkStore(owner.connect(0), sab);
    const address = await opener.putBlob(view, { chunkSize: 64 << 10, quality: 3 });
    expect(owner.openTasks).toBe(0);
    const report = owner.lastFanout!;
    expect(report.pieces).toBe(16);
    expect(report.helperPieces).toBeGreaterThan(0);
    expect(report.workers.length).toBeGreaterThan(1);
    const reader = await connectChunkStore(owner.connect(3), null);
    expect(diffBytes(await reader.getBlob(address), data)).toBe('equal');
    // Same address as one worker alone computes: the fanout changes who works, not the result.
    const alone = await connectChunkStore(owner.connect(4), null);
    expect(await alone.putBlob(data.slice(), { chunkSize: 64 << 10, quality: 3 })).toBe(address);
  });

  it('a helper that dies mid-piece loses nothing: its piece is stored by the opener', async () => {
    const data = bytes(600_000);
    const { sab, view } = onShared(data);
    const late: { helpers?: FanoutHelpers } = {};
    const { owner, core, blobs } = await setup({
      helpers: {
        sab: () => sab,
        idle: () => late.helpers!.idle(),
        submit: (...a) => late.helpers!.submit(...a),
      },
    });
    const h = await helpersOver(owner, sab, [1]);
    late.helpers = h.helpers;
    h.failNext(3);
    const opener = await connectChunkStore(owner.connect(0), sab);
    const address = await opener.putBlob(view, { chunkSize: 64 << 10, quality: 1 });
    expect(owner.openTasks).toBe(0);
    expect(diffBytes(await opener.getBlob(address), data)).toBe('equal');
    // Nothing leaked: every file has an entry and every entry a file (10 pieces + 1 manifest).
    const stats = await core.stats();
    expect(stats.count).toBe(11);
    expect(blobs.files.size).toBe(11);
  });

  it('a worker that dies right after sending a chunk: the chunk is committed whole', async () => {
    const { owner, core, blobs } = await setup();
    const port = owner.connect(0);
    const hello = await ask<StoreHello>(port, { id: 1, op: 'hello' });
    const payload = bytes(50_000);
    const address = bytesToHex(blake3Digest(payload, () => {}));
    const sealed = sealRecord(
      hello.key,
      address,
      { kind: Kind.data, encoding: Encoding.raw, payload },
      () => {},
      (n) => crypto.getRandomValues(new Uint8Array(n)),
    );
    port.postMessage({
      id: 2,
      op: 'commit',
      address,
      sealed,
      entry: { kind: 'data', size: payload.length },
      protect: [],
    });
    port.close(); // the worker is gone before the owner answers
    const reader = await connectChunkStore(owner.connect(1), null);
    await until(() => reader.has(address), 'the committed chunk');
    expect(diffBytes(await reader.get(address), payload)).toBe('equal');
    expect((await core.stats()).count).toBe(1);
    expect(blobs.files.size).toBe(1);
  });

  it('an opener that dies mid-blob: its task expires and its helpers are withdrawn', async () => {
    const data = bytes(400_000);
    const { sab, view } = onShared(data);
    const aborted: boolean[] = [];
    const { owner, core } = await setup({
      taskTtlMs: 50,
      // Helpers that never finish on their own (workers stuck behind other work) until withdrawn.
      helpers: {
        sab: () => sab,
        idle: () => 2 - aborted.length,
        submit: (_input, _params, signal) =>
          new Promise((resolve) => {
            aborted.push(false);
            signal.addEventListener('abort', () => {
              aborted[aborted.indexOf(false)] = true;
              resolve({ status: 'cancelled', output: new Uint8Array(0), worker: 1, error: 'withdrawn' });
            });
          }),
      },
    });
    const port = owner.connect(0);
    await ask(port, { id: 1, op: 'hello' });
    const task = await ask<number>(port, {
      id: 2,
      op: 'fan-begin',
      offset: view.byteOffset,
      length: view.length,
      pieceBytes: 64 << 10,
      pieces: 7,
      quality: 1,
    });
    expect(task).toBeGreaterThan(0);
    expect(await ask<number>(port, { id: 3, op: 'fan-claim', task })).toBe(0);
    port.close(); // dies holding piece 0, with two helpers out
    expect(owner.openTasks).toBe(1);
    await until(() => owner.openTasks === 0, 'the task to expire');
    expect(aborted).toEqual([true, true]);
    // The store is still whole and usable by the next worker.
    const next = await connectChunkStore(owner.connect(0), sab);
    const address = await next.putBlob(view, { chunkSize: 64 << 10, quality: 1 });
    expect(diffBytes(await next.getBlob(address), data)).toBe('equal');
    expect((await core.stats()).count).toBeGreaterThan(0);
  });

  it('bad requests get an error that says what is wrong, and the owner keeps serving', async () => {
    const { sab } = onShared(new Uint8Array(10));
    const { owner } = await setup({
      helpers: { sab: () => sab, idle: () => 1, submit: () => new Promise(() => {}) },
    });
    const port = owner.connect(0);
    await expect(ask(port, { id: 1, op: 'nope' })).rejects.toThrow(/unknown chunk store request "nope"/);
    await expect(
      ask(port, { id: 2, op: 'fan-begin', offset: 0, length: 1 << 30, pieceBytes: 1, pieces: 2, quality: 1 }),
    ).rejects.toThrow(/does not describe a blob/);
    await expect(ask(port, { id: 3, op: 'fan-claim', task: 99 })).rejects.toThrow(/no fanout task 99/);
    const store = await connectChunkStore(owner.connect(1), null);
    const data = bytes(1000);
    expect(diffBytes(await store.get(await store.put(data)), data)).toBe('equal');
    port.close();
  });
});
