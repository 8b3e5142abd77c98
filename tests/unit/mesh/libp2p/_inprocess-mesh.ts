/**
 * N real libp2p nodes in this process on @libp2p/memory, each built by createMeshNode (the one INOS
 * configuration: our protocol ids, kad-dht on /inos/kad/1.0.0, gossipsub, ping/identify settings)
 * and wrapped in Libp2pPort. Used by the in-process unit test (50 nodes), tests/slow (200) and
 * `npm run bench:mesh-inprocess`.
 *
 * Roles as deployed: the first `dhtServers` nodes are DHT servers (like `inos node`), the rest DHT
 * clients (like browsers, createMeshNode's `dhtServer: false`). With every node a server, kad-dht's
 * self-query and table refresh connect nearly every pair (MESH.md: ~1070 connections at 100 nodes),
 * which a 2-core box cannot do in a test's time; clients only connect to the servers they query.
 *
 * Wiring: node i dials one random DHT server and `degree − 1` more distinct random nodes among
 * 0..i-1 (seeded), so the graph is connected by construction and every client knows a server. Every
 * wait is on a condition with a bounded number of polls, never a fixed sleep.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import { memory } from '@libp2p/memory';
import { multiaddr } from '@multiformats/multiaddr';
import {
  createMeshNode,
  type MeshLibp2p,
  type TransportFactory,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../../../../src/mesh/libp2p/libp2p-port.ts';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';
import { prng } from '../../_prng.ts';

export interface MeshPeer {
  index: number;
  node: MeshLibp2p;
  port: Libp2pPort;
  bans: BanList;
  addr: string;
}

export interface InprocessMesh {
  seed: number;
  peers: MeshPeer[];
  /** Edges dialled while wiring (i → j). */
  edges: [number, number][];
  stop(): Promise<void>;
}

export interface MeshBuildOptions {
  n: number;
  seed: number;
  /** Dials per node towards earlier nodes (default 3). */
  degree?: number;
  /** Nodes 0..dhtServers-1 serve the DHT; the rest are clients (default: all serve). */
  dhtServers?: number;
}

/** Polls `cond` every `everyMs` until it holds, at most `polls` times; returns whether it held. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  { polls = 200, everyMs = 100 }: { polls?: number; everyMs?: number } = {},
): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}

async function dialWithRetry(from: MeshLibp2p, addr: string, tries = 5): Promise<void> {
  let last: unknown;
  for (let t = 0; t < tries; t++) {
    try {
      await from.dial(multiaddr(addr), { signal: AbortSignal.timeout(20_000) });
      return;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`dial ${addr} failed ${tries} times: ${String(last)}`);
}

export async function buildMesh({
  n,
  seed,
  degree = 3,
  dhtServers = n,
}: MeshBuildOptions): Promise<InprocessMesh> {
  if (!(dhtServers >= 1 && dhtServers <= n))
    throw new RangeError(`dhtServers must be 1..${n}, got ${dhtServers}`);
  installNodePolyfills();
  const rand = prng(seed);
  const peers: MeshPeer[] = [];
  for (let i = 0; i < n; i++) {
    const bans = new BanList();
    const addr = `/memory/inos-${seed}-${i}`;
    const node = await createMeshNode({
      secretKey: new Uint8Array(32).map(() => Math.floor(rand() * 256)),
      transports: [memory() as TransportFactory],
      listen: [addr],
      dhtServer: i < dhtServers,
      allowPrivateAddresses: true,
      denyPeer: bans.has,
    });
    peers.push({
      index: i,
      node,
      bans,
      port: new Libp2pPort(node, bans),
      addr: `${addr}/p2p/${node.peerId}`,
    });
  }
  const edges: [number, number][] = [];
  for (let i = 1; i < n; i++) {
    const targets = new Set<number>();
    const want = Math.min(degree, i);
    targets.add(Math.floor(rand() * Math.min(i, dhtServers)));
    while (targets.size < want) targets.add(Math.floor(rand() * i));
    for (const j of targets) edges.push([i, j]);
  }
  // A few dials at a time: a 2-core box chokes on hundreds of concurrent Noise handshakes.
  const queue = [...edges];
  const worker = async (): Promise<void> => {
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
      const [i, j] = e;
      await dialWithRetry((peers[i] as MeshPeer).node, (peers[j] as MeshPeer).addr);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return {
    seed,
    peers,
    edges,
    stop: async () => {
      await Promise.allSettled(peers.map(async (p) => p.node.stop()));
    },
  };
}

/**
 * Mesh peers on `topic`: gossipsub has `getMeshPeers` on its implementation but not on its exported
 * interface; fall back to known subscribers if a version drops it.
 */
function meshPeerCount(pubsub: GossipSub, topic: string): number {
  const f = (pubsub as unknown as { getMeshPeers?: (t: string) => unknown[] }).getMeshPeers;
  return typeof f === 'function' ? f.call(pubsub, topic).length : pubsub.getSubscribers(topic).length;
}

/**
 * Peers in a node's kad-dht routing table (DHT servers it can query). Not on kad-dht's exported
 * interface either; -1 if a version drops it (callers then treat the table as unknown).
 */
export function dhtTableSize(node: MeshLibp2p): number {
  const t = (node.services.dht as unknown as { routingTable?: { size?: unknown } }).routingTable;
  return typeof t?.size === 'number' ? t.size : -1;
}

/** Every node has at least `min` gossipsub mesh peers on `topic` (grafted at a heartbeat). */
export function meshFormed(mesh: InprocessMesh, topic: string, min = 1): boolean {
  return mesh.peers.every((p) => meshPeerCount(p.node.services.pubsub, topic) >= min);
}

/** Summary statistics for printing. */
export function quantiles(xs: readonly number[]): { p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), max: s[s.length - 1] ?? NaN };
}
