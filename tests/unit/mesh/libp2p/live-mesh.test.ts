/**
 * startLiveMesh (what the offscreen document and `inos node` run) on real libp2p nodes over the
 * memory transport: a hub with a DHT server and three peers. A peer that joins after the others have
 * advertised still learns their adverts at once (it solicits them when it joins, adverts.ts; not the
 * periodic refresh, which is set to an hour here); chunks announced as provider records are fetched
 * from the two holders and verified; reputation reaches its store on stop; capability adverts leave
 * out opted-out capsules.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { MeshLibp2p } from '../../../../src/mesh/libp2p/create-node.ts';
import { startLiveMesh, type LiveMesh } from '../../../../src/mesh/libp2p/live-mesh.ts';
import { DEFAULT_GUARD_LIMITS } from '../../../../src/mesh/protocol/guard.ts';
import { toHex, type ChunkSource } from '../../../../src/mesh/protocol/chunk-exchange.ts';
import { MemoryReputationStore } from '../../../../src/mesh/protocol/reputation-store.ts';
import { capsuleOffers } from '../../../../src/offscreen/mesh-host.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { memoryNode, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0x11fe);
const rand = prng(SEED);

interface Peer {
  node: MeshLibp2p;
  live: LiveMesh;
  chunks: Map<string, Uint8Array>;
  store: MemoryReputationStore;
  addr: MemoryNode['addr'];
}
const peers: Peer[] = [];

async function makePeer(i: number, advertise: boolean): Promise<Peer> {
  const { node, port, addr } = await memoryNode({ name: `live-${SEED}-${i}`, rand, dhtServer: i === 0 });
  const chunks = new Map<string, Uint8Array>();
  const source: ChunkSource = { get: (h) => chunks.get(toHex(h)) };
  const store = new MemoryReputationStore();
  const live = await startLiveMesh({
    node,
    port,
    source,
    store,
    advert: () =>
      advertise
        ? {
            ttlMs: 60_000,
            capsules: capsuleOffers({
              capsules: [
                { library: 'pow', version: '1.0.0' },
                { library: 'crypto', version: '2.1.0' },
              ],
              optOut: i === 3 ? ['pow'] : [],
            }),
            workers: i,
            gpu: { available: false, vendor: '', architecture: '' },
            throttle: 0.5,
          }
        : null,
    refreshMs: 3_600_000,
  });
  const p = { node, live, chunks, store, addr };
  peers.push(p);
  return p;
}

const until = async (ok: () => boolean, what: string, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

afterAll(async () => {
  for (const p of peers) await p.live.stop();
  await Promise.all(peers.map((p) => p.node.stop()));
}, 60_000);

describe(`live mesh on memory-transport nodes (seed ${SEED})`, () => {
  it('a late joiner gets the earlier adverts without waiting for the refresh; opt-outs are not advertised', async () => {
    const hub = await makePeer(0, false);
    const a = await makePeer(1, true);
    const b = await makePeer(2, true);
    await a.node.dial(hub.addr);
    await b.node.dial(hub.addr);
    await until(() => a.live.mesh.adverts.get(b.node.peerId.toString()) !== undefined, 'A seeing B');
    await until(() => b.live.mesh.adverts.get(a.node.peerId.toString()) !== undefined, 'B seeing A');
    const late = await makePeer(3, true);
    await late.node.dial(hub.addr);
    await until(
      () => [a, b].every((p) => late.live.mesh.adverts.get(p.node.peerId.toString()) !== undefined),
      'the late joiner holding A and B adverts',
    );
    const lateAdvert = a.live.mesh.adverts.get(late.node.peerId.toString());
    await until(
      () => a.live.mesh.adverts.get(late.node.peerId.toString()) !== undefined,
      'A seeing the late joiner',
    );
    const seen = lateAdvert ?? a.live.mesh.adverts.get(late.node.peerId.toString())!;
    expect(seen.capsules.map((c) => c.name)).toEqual(['crypto']);
    expect(seen.capsules[0]!.version).toBe(2);
    expect(hub.live.mesh.adverts.size).toBe(3);
    expect(hub.live.counters.advertsPublished).toBe(0);
  }, 60_000);

  it('fetches announced chunks from their holders, verified, and saves reputation on stop', async () => {
    const [, a, b, c] = peers as [Peer, Peer, Peer, Peer];
    const blocks = Array.from({ length: 6 }, () =>
      new Uint8Array(64 << 10).map(() => Math.floor(rand() * 256)),
    );
    const hashes = blocks.map((x) => blake3(x));
    for (const [i, x] of blocks.entries()) {
      a.chunks.set(toHex(hashes[i]!), x);
      b.chunks.set(toHex(hashes[i]!), x);
    }
    await a.live.mesh.chunks.announce(hashes);
    await b.live.mesh.chunks.announce(hashes);
    const report = await c.live.mesh.chunks.fetch(hashes, { parallel: 3, timeoutMs: 10_000 });
    expect([...report.failed]).toEqual([]);
    for (const [i, h] of hashes.entries()) expect(report.chunks.get(toHex(h))).toEqual(blocks[i]);
    const providers = new Set(report.attempts.filter((t) => t.result === 'ok').map((t) => t.peer));
    expect(
      [...providers].every((p) => p === a.node.peerId.toString() || p === b.node.peerId.toString()),
    ).toBe(true);
    expect(c.live.port.chunksOk).toBeGreaterThanOrEqual(6);
    await c.live.stop();
    const saved = await c.store.load();
    expect(saved.map((r) => r.peer).some((p) => providers.has(p))).toBe(true);
    peers.splice(peers.indexOf(c), 1);
    await c.node.stop();
  }, 60_000);

  it('however often asked, sends adverts no faster than every guard admits them: never banned for it', async () => {
    // Every peer's guard admits DEFAULT_GUARD_LIMITS.messageBurst gossip messages per origin, then one
    // per 1/messagesPerSecond, and bans an origin after 5 refusals in a row; our own send budget
    // mirrors it (an advert over budget is owed and sent when a token is there).
    const hub = peers[0]!;
    const p = await makePeer(4, true);
    await p.node.dial(hub.addr);
    await until(() => hub.live.mesh.adverts.get(p.node.peerId.toString()) !== undefined, 'the hub seeing P');
    const published = p.live.counters.advertsPublished;
    // Twenty asks at once (a settings change, address changes, newcomers' solicits…).
    await Promise.all(Array.from({ length: 20 }, () => p.live.republish()));
    expect(p.live.counters.advertsPublished - published).toBeGreaterThanOrEqual(1);
    expect(p.live.counters.advertsPublished - published).toBeLessThanOrEqual(
      DEFAULT_GUARD_LIMITS.messageBurst,
    );
    expect(hub.live.mesh.reputation.isBanned(p.node.peerId.toString())).toBe(false);
  }, 30_000);
});
