/**
 * One real libp2p node on @libp2p/memory as the libp2p unit tests build it: createMeshNode (the one
 * INOS configuration) with a seeded secret key, private addresses allowed, the connection gater fed
 * from a BanList (plus an optional extra refusal), wrapped in Libp2pPort. Used by chunk-lanes,
 * solicit, live-mesh and libp2p-port tests; _inprocess-mesh.ts wires whole meshes of them.
 */
import { memory } from '@libp2p/memory';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import {
  createMeshNode,
  type MeshLibp2p,
  type TransportFactory,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../../../../src/mesh/libp2p/libp2p-port.ts';
import { startLiveMesh, type LiveMesh, type LiveMeshOptions } from '../../../../src/mesh/libp2p/live-mesh.ts';
import { MemoryReputationStore } from '../../../../src/mesh/protocol/reputation-store.ts';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';

installNodePolyfills();

export interface MemoryNode {
  node: MeshLibp2p;
  port: Libp2pPort;
  bans: BanList;
  /** Where others dial it: `/memory/NAME/p2p/PEERID`. */
  addr: Multiaddr;
  /** The Ed25519 seed its identity comes from (privateKeyFromSecret gives the key). */
  secretKey: Uint8Array;
}

export async function memoryNode(opts: {
  /** Unique per test run (include the seed): the node listens on `/memory/NAME`. */
  name: string;
  /** Draws the 32 key bytes (a seeded PRNG, so a run's PeerIds replay). */
  rand: () => number;
  dhtServer: boolean;
  /** Refuses a peer besides the banned ones (e.g. "only the hub", as a browser behind a relay). */
  refuse?: (peer: string) => boolean;
}): Promise<MemoryNode> {
  const bans = new BanList();
  const refuse = opts.refuse;
  const secretKey = new Uint8Array(32).map(() => Math.floor(opts.rand() * 256));
  const node = await createMeshNode({
    secretKey,
    transports: [memory() as TransportFactory],
    listen: [`/memory/${opts.name}`],
    dhtServer: opts.dhtServer,
    allowPrivateAddresses: true,
    denyPeer: refuse === undefined ? bans.has : (p) => bans.has(p) || refuse(p),
  });
  return {
    node,
    bans,
    port: new Libp2pPort(node, bans),
    addr: multiaddr(`/memory/${opts.name}/p2p/${node.peerId}`),
    secretKey,
  };
}

/**
 * startLiveMesh on `m` serving no chunks and publishing no advert (refresh hourly), reputation in
 * memory; `extra` adds options (our key for the peer record…).
 */
export function quietLiveMesh(m: MemoryNode, extra: Partial<LiveMeshOptions> = {}): Promise<LiveMesh> {
  return startLiveMesh({
    node: m.node,
    port: m.port,
    source: { get: () => undefined },
    store: new MemoryReputationStore(),
    advert: () => null,
    refreshMs: 3_600_000,
    ...extra,
  });
}
