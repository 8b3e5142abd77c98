/**
 * A market peer in Node for `inos contribute` and `inos submit`: its own libp2p node keyed by the
 * wallet's identity (PeerId = node id, so Noise authenticates the key that signs claims, results
 * and payments), a Libp2pPort whose requests first open a direct connection (DirectDialPort: a
 * browser is reached through the relay's `/p2p-circuit/webrtc` address), a MeshNode serving the
 * market's in-memory chunks, listening on loopback WebSocket and dialling the bootstrap peers (an
 * `inos node`).
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { hexToBytes } from '@noble/hashes/utils.js';
import { isPrivateAddr } from '../mesh/libp2p/bootstrap-addr.ts';
import { createMeshNode, type MeshLibp2p } from '../mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../mesh/libp2p/libp2p-port.ts';
import { DirectDialPort, solicitOnJoin } from '../mesh/libp2p/live-mesh.ts';
import { installNodePolyfills } from '../mesh/libp2p/node-polyfills.ts';
import { meshTransports, nodeListen } from '../mesh/libp2p/transports.ts';
import { MeshNode } from '../mesh/protocol/node.ts';
import type { Identity } from '../ledger/index.ts';
import { MemoryChunks } from '../trade/chunk-store.ts';
import { CliInputError } from './cli-error.ts';

export interface MeshPeer {
  libp2p: MeshLibp2p;
  port: Libp2pPort;
  node: MeshNode;
  chunks: MemoryChunks;
  stop(): Promise<void>;
}

/** The libp2p PeerId string of a node id (its Ed25519 public key). */
export function peerOfNodeId(nodeId: string): string {
  return peerIdFromPublicKey(publicKeyFromRaw(hexToBytes(nodeId))).toString();
}

export const samePeer = (peer: string, nodeId: string): boolean => {
  try {
    return peerOfNodeId(nodeId) === peer;
  } catch {
    return false;
  }
};

export function checkBootstrap(list: readonly string[], usage: string): void {
  if (list.length === 0)
    throw new CliInputError(
      'no bootstrap peer: start `inos node` and pass the first line it prints as --bootstrap ' +
        `(or set INOS_BOOTSTRAP)\n\n${usage}`,
    );
  for (const b of list) {
    try {
      if (multiaddr(b).getComponents().at(-1)?.name !== 'p2p') throw new Error('no /p2p/<PeerId> at the end');
    } catch (err) {
      throw new CliInputError(
        `--bootstrap ${JSON.stringify(b)} is not a multiaddr ending in /p2p/<PeerId> (${(err as Error).message})`,
      );
    }
  }
}

/** Market peers of this process: started, and not stopped yet. */
let startedPeers = 0;
let livePeers = 0;

/**
 * Stops node-datachannel's threads (RTC poll/worker, SCTP iterator/timer) when the CLI process is done
 * and every market peer it started has stopped. @libp2p/webrtc no longer calls its process-wide
 * cleanup() when a transport stops (it closed every other node's connections, libp2p PR #2498), so a
 * peer that had dialled a browser over WebRTC left those threads running and a finished `inos submit`
 * alive for as long as the browser kept the connection (1,300 s seen; /proc showed only the RTC and
 * SCTP threads left). Called by the CLI entry only (src/cli/main.ts): cleanup() is process-wide, and a
 * library user or a test may run other WebRTC nodes in the same process.
 */
export async function releaseWebRtc(): Promise<void> {
  if (startedPeers === 0 || livePeers > 0) return;
  const { cleanup } = await import('node-datachannel');
  cleanup();
}

export async function startMeshPeer(identity: Identity, bootstrap: readonly string[]): Promise<MeshPeer> {
  installNodePolyfills();
  const bans = new BanList();
  const libp2p = await createMeshNode({
    secretKey: identity.secretKeyBytes(),
    transports: meshTransports([]),
    listen: nodeListen('127.0.0.1', 0).slice(0, 1),
    dhtServer: true,
    allowPrivateAddresses: bootstrap.length === 0 || bootstrap.some(isPrivateAddr),
    denyPeer: bans.has,
  });
  const port = new Libp2pPort(libp2p, bans);
  const chunks = new MemoryChunks();
  const node = new MeshNode(new DirectDialPort(port, libp2p), { source: chunks });
  await node.start();
  // Ask for everyone's advert once we have a neighbour, instead of waiting for their refresh.
  const stopSoliciting = solicitOnJoin(libp2p, node.adverts);
  const dials = bootstrap.map((b) =>
    libp2p.dial(multiaddr(b)).then(
      () => null,
      (err: unknown) => `${b}: ${err instanceof Error ? err.message : String(err)}`,
    ),
  );
  const failed = (await Promise.all(dials)).filter((x): x is string => x !== null);
  if (failed.length === bootstrap.length && bootstrap.length > 0) {
    stopSoliciting();
    await libp2p.stop();
    throw new CliInputError(`could not reach any bootstrap peer:\n  ${failed.join('\n  ')}`);
  }
  startedPeers++;
  livePeers++;
  let stopped = false;
  return {
    libp2p,
    port,
    node,
    chunks,
    async stop() {
      if (stopped) return;
      stopped = true;
      stopSoliciting();
      node.stop();
      try {
        await libp2p.stop();
      } finally {
        livePeers--;
      }
    },
  };
}
