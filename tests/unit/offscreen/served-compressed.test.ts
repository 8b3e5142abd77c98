/**
 * A chunk stored brotli-compressed (as pool workers store compressible chunks) is served to a peer by
 * the document's source (HeldChunks → ChunkStoreOwner.readChunk) over /inos/chunks/2 on real libp2p
 * nodes, and verified by BLAKE3 on arrival. Regression: in a context where brotli was not loaded the
 * read counted as corruption, so the chunk was deleted from the store and answered "not found" for
 * ever; now the chunk stays, the reason is logged, and it is served once brotli loads.
 */
import 'fake-indexeddb/auto';
import { memory } from '@libp2p/memory';
import { multiaddr } from '@multiformats/multiaddr';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobBackend } from '../../../src/capsules/storage/backends.ts';
import { setBrotliLoader } from '../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../src/capsules/storage/brotli-node.ts';
import { ChunkStore, LocalStoreCore } from '../../../src/capsules/storage/chunk-store.ts';
import { IdbIndex } from '../../../src/capsules/storage/idb-index.ts';
import { ChunkStoreOwner } from '../../../src/capsules/storage/store-owner.ts';
import { createMeshNode, type TransportFactory } from '../../../src/mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../../../src/mesh/libp2p/libp2p-port.ts';
import { installNodePolyfills } from '../../../src/mesh/libp2p/node-polyfills.ts';
import { ChunkExchange, toHex, type ChunkSource } from '../../../src/mesh/protocol/chunk-exchange.ts';
import { PeerGuard } from '../../../src/mesh/protocol/guard.ts';
import { Reputation } from '../../../src/mesh/protocol/reputation.ts';
import { HeldChunks } from '../../../src/offscreen/held-chunks.ts';
import { prng, seedFromEnv } from '../_prng.ts';

installNodePolyfills();
const SEED = seedFromEnv(0xb207);
const rand = prng(SEED);
/** Compressible, not trivial: runs of letters with random flips. */
const textish = (n: number) =>
  Uint8Array.from({ length: n }, (_, i) => 97 + ((i >> 4) % 7) + (rand() < 0.1 ? 1 : 0));

const nodes: Awaited<ReturnType<typeof createMeshNode>>[] = [];
const ports: Libp2pPort[] = [];
const stops: Array<() => void> = [];
let owner: ChunkStoreOwner;
let core: LocalStoreCore;
let key: Uint8Array;
let fetcher: ChunkExchange;
const logged: string[] = [];

function exchange(port: Libp2pPort, source: ChunkSource): ChunkExchange {
  const reputation = new Reputation({ now: Date.now });
  const ex = new ChunkExchange(port, reputation, new PeerGuard(Date.now, reputation), source, rand);
  stops.push(ex.serve());
  return ex;
}

beforeAll(async () => {
  console.log(`[served-compressed] seed=${SEED}`);
  for (let i = 0; i < 2; i++) {
    const bans = new BanList();
    const node = await createMeshNode({
      secretKey: new Uint8Array(32).map(() => Math.floor(rand() * 256)),
      transports: [memory() as TransportFactory],
      listen: [`/memory/brotli-${SEED}-${i}`],
      dhtServer: true,
      allowPrivateAddresses: true,
      denyPeer: bans.has,
    });
    nodes.push(node);
    ports.push(new Libp2pPort(node, bans));
  }
  await nodes[0]!.dial(multiaddr(`/memory/brotli-${SEED}-1/p2p/${nodes[1]!.peerId}`));
  core = new LocalStoreCore({
    blobs: new MemoryBlobBackend(),
    index: await IdbIndex.open(`served-compressed-${SEED}`),
    quotaBytes: 64 << 20,
  });
  key = await core.loadOrCreateKey((n) => crypto.getRandomValues(new Uint8Array(n)));
  owner = new ChunkStoreOwner({ open: async () => ({ core, key }), log: (m) => logged.push(m) });
  // The provider serves what the offscreen document serves: held chunks, then the one store.
  exchange(ports[1]!, new HeldChunks(() => owner));
  fetcher = exchange(ports[0]!, { get: () => undefined });
}, 60_000);

afterAll(async () => {
  for (const s of stops) s();
  await owner?.close();
  await Promise.all(nodes.map((n) => n.stop()));
}, 60_000);

/** Stores `bytes` compressed, as a worker's storage.put does (it has brotli). */
async function storeCompressed(bytes: Uint8Array): Promise<string> {
  const address = await ChunkStore.over({ core, key, brotli: nodeBrotliLoader }).put(bytes, { quality: 5 });
  const sealed = (await core.load(address))?.file;
  // Sealed smaller than the content: the record holds brotli, not the raw bytes.
  expect(sealed!.length).toBeLessThan(bytes.length / 2);
  return address;
}

describe(`a brotli-compressed chunk served to a peer (seed ${SEED})`, () => {
  it('in a context without brotli: kept in the store (not deleted as damaged), the reason logged', async () => {
    setBrotliLoader(() => Promise.reject(new Error('brotli-wasm is not loaded in this context')));
    const bytes = textish(300_000);
    const address = await storeCompressed(bytes);
    const report = await fetcher.fetch([blake3(bytes)], { from: [ports[1]!.self], timeoutMs: 20_000 });
    expect(report.chunks.size).toBe(0);
    expect(await owner.hasChunk(address)).toBe(true);
    expect(logged.some((m) => m.includes(address) && m.includes('not readable here'))).toBe(true);

    // Once brotli loads, the same stored chunk is served.
    setBrotliLoader(nodeBrotliLoader);
    const again = await fetcher.fetch([blake3(bytes)], { from: [ports[1]!.self], timeoutMs: 20_000 });
    expect(again.failed.size).toBe(0);
    expect(Buffer.from(again.chunks.get(address)!).equals(Buffer.from(bytes))).toBe(true);
  }, 60_000);

  it('with brotli loaded (the document configures it): several compressed chunks arrive, verified', async () => {
    setBrotliLoader(nodeBrotliLoader);
    const blobs = [textish(1 << 20), textish(200_000), textish(70_000)];
    for (const b of blobs) await storeCompressed(b);
    const before = owner.served.here;
    const report = await fetcher.fetch(
      blobs.map((b) => blake3(b)),
      { from: [ports[1]!.self], parallel: 3, timeoutMs: 20_000 },
    );
    expect(report.failed.size).toBe(0);
    for (const b of blobs)
      expect(Buffer.from(report.chunks.get(toHex(blake3(b)))!).equals(Buffer.from(b))).toBe(true);
    expect(owner.served.here - before).toBe(3);
  }, 60_000);
});
