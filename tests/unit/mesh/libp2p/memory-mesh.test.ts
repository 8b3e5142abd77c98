/**
 * 50 real libp2p nodes (our createMeshNode: noise, yamux, identify, ping, gossipsub, kad-dht on
 * /inos/kad/1.0.0 with the `inos` namespace) on the in-process memory transport, connected as a seeded
 * random graph. Proves, with our protocol ids and configuration: an advert published on one node reaches
 * every other node by gossip; a DHT record put by one node is read by a far one; a chunk provider record
 * (BLAKE3 CID) is found. The 200-node variant lives in tests/slow.
 */
import { memory } from '@libp2p/memory';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_DHT_VALUE_BYTES, validateInosRecord } from '../../../../src/mesh/libp2p/create-node.ts';
import { CID } from 'multiformats/cid';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';
import { ADVERTS_TOPIC, keyToCid } from '../../../../src/mesh/protocol/ids.ts';
import { startMemoryMesh, waitFor, type MemoryMesh } from './_memory-mesh.ts';
import { prng, seedFromEnv } from '../../_prng.ts';

installNodePolyfills();

/** Prefer a node with no direct connection to `to`, so the lookup has to route. */
function pickOther<T extends { getConnections(p?: unknown): unknown[]; peerId: unknown }>(
  nodes: T[],
  to: T,
): T {
  return (
    nodes.find((n) => n !== to && n.getConnections(to.peerId).length === 0) ?? nodes.find((n) => n !== to)!
  );
}
const SEED = seedFromEnv(0x1a2b3c);
/** 50 in npm test; tests/slow runs the same scenario at 200 (MESH_NODES=200). */
const N = Number(process.env['MESH_NODES'] ?? 50);

describe(`libp2p mesh: ${N} real nodes on the memory transport (seed ${SEED})`, () => {
  let mesh: MemoryMesh | undefined;
  afterAll(async () => mesh?.stop(), 120_000);

  it('connects, gossips an advert to every node and answers DHT put/get and provider lookups', async () => {
    console.log(`[memory-mesh] seed=${SEED} n=${N}`);
    const t0 = Date.now();
    const phase = (what: string) => console.log(`[memory-mesh] ${what} at ${Date.now() - t0} ms`);
    mesh = await startMemoryMesh({ n: N, seed: SEED, memory, multiaddr, topics: [ADVERTS_TOPIC] });
    const { nodes } = mesh;
    const rand = prng(SEED ^ 0x55);
    phase('connected');

    // Gossip: everyone subscribes, waits until the topic mesh has formed, one node publishes.
    const got = new Set<number>();
    nodes.forEach((node, i) => {
      node.services.pubsub.addEventListener('message', (e) => {
        if (e.detail.topic === ADVERTS_TOPIC && new TextDecoder().decode(e.detail.data) === `advert-${SEED}`)
          got.add(i);
      });
    });
    // Delivery to a node needs some neighbour to know it subscribed. Wait until every node is known
    // as a subscriber by at least one other node (gossip's IHAVE/IWANT repairs a mesh link that the
    // DHT's connection churn drops meanwhile).
    const ids = nodes.map((n) => n.peerId.toString());
    const known = new Set<string>();
    await waitFor(
      'every node is a known subscriber',
      120_000,
      () => {
        for (const n of nodes)
          for (const p of n.services.pubsub.getSubscribers(ADVERTS_TOPIC)) known.add(p.toString());
        return ids.every((id) => known.has(id));
      },
      100,
    ).catch((err: unknown) => {
      const missing = nodes.flatMap((n, i) =>
        known.has(ids[i]!)
          ? []
          : [
              `#${i}: ${n.getConnections().length} connections, ${n.services.pubsub.getPeers().length} pubsub peers`,
            ],
      );
      throw new Error(`${String(err)}; no neighbour knows these subscribe: ${missing.join('; ')}`);
    });
    phase('topic peers seen');
    const from = Math.floor(rand() * N);
    await nodes[from]!.services.pubsub.publish(ADVERTS_TOPIC, new TextEncoder().encode(`advert-${SEED}`));
    await waitFor(`advert reaches all ${N - 1} other nodes`, 120_000, () => got.size === N - 1);
    expect(got.has(from)).toBe(false);
    expect(got.size).toBe(N - 1);

    phase('advert delivered');
    // DHT: a record put by one node is read by another that is not directly connected to it.
    const putter = nodes[Math.floor(rand() * N)]!;
    const getter = pickOther(nodes, putter);
    const key = new TextEncoder().encode(`/inos/test-${SEED}`);
    const value = new TextEncoder().encode(`value-${SEED}`);
    for await (const _ of putter.services.dht.put(key, value)) void _;
    let found: Uint8Array | undefined;
    for await (const ev of getter.services.dht.get(key)) if (ev.name === 'VALUE') found = ev.value;
    expect(found && new TextDecoder().decode(found)).toBe(`value-${SEED}`);

    phase('dht put/get done');
    // Chunk provider records: a BLAKE3 digest as CID, provided by one node, found by another.
    const digest = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    const provider = nodes[Math.floor(rand() * N)]!;
    for await (const _ of provider.services.dht.provide(CID.decode(keyToCid(digest)))) void _;
    const seeker = pickOther(nodes, provider);
    const providers = new Set<string>();
    for await (const ev of seeker.services.dht.findProviders(CID.decode(keyToCid(digest))))
      if (ev.name === 'PROVIDER') for (const p of ev.providers) providers.add(p.id.toString());
    phase('providers found');
    expect([...providers]).toContain(provider.peerId.toString());
  }, 400_000);

  it('refuses DHT records outside /inos/ or over the size limit, saying what is allowed', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    await expect(validateInosRecord(enc('/inos/peer-1'), new Uint8Array(10))).resolves.toBeUndefined();
    await expect(validateInosRecord(enc('/ipns/x'), new Uint8Array(1))).rejects.toThrow(/\/inos\/<name>/);
    await expect(validateInosRecord(enc('/inos/x'), new Uint8Array(MAX_DHT_VALUE_BYTES + 1))).rejects.toThrow(
      /exceeds 16384/,
    );
  });
});
