/**
 * Which transport the mesh uses to a Node peer that listens on both WebSocket and webrtc-direct
 * (`inos node`, a Node contributor or requester: `nodeListen`), when the dialer knows both addresses
 * (peer store filled by identify, the DHT or the bootstrap list) and dials by PeerId as the chunk
 * exchange and rpc do (`dialDirect`): libp2p's default address sorter puts reliable transports first,
 * so the connection is WebSocket, not webrtc-direct. The browser's own answer is measured in
 * bench:mesh (`browser.layers.productDialToNode`: a remoteAddr ending /ws/p2p/… in its runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { prng, seedFromEnv } from '../../_prng';
import { createMeshNode, type MeshLibp2p } from '../../../../src/mesh/libp2p/create-node.ts';
import { dialDirect } from '../../../../src/mesh/libp2p/live-mesh.ts';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';
import { meshTransports, nodeListen } from '../../../../src/mesh/libp2p/transports.ts';

installNodePolyfills();
const seed = seedFromEnv(0x7a25);
console.log(`transport-choice seed ${seed}`);
const rand = prng(seed);
const key = () => new Uint8Array(32).map(() => Math.floor(rand() * 256));

describe('a peer with /ws and /webrtc-direct addresses is reached over /ws', () => {
  let server: MeshLibp2p;
  let dialer: MeshLibp2p;

  beforeAll(async () => {
    const make = (listen: string[]) =>
      createMeshNode({
        secretKey: key(),
        transports: meshTransports([]),
        listen,
        dhtServer: false,
        allowPrivateAddresses: true,
      });
    server = await make(nodeListen('127.0.0.1', 0));
    dialer = await make([]);
  }, 60_000);

  afterAll(async () => {
    await dialer?.stop();
    await server?.stop();
  });

  it('dialDirect by PeerId picks the WebSocket address', async () => {
    const addrs = server.getMultiaddrs();
    expect(addrs.some((a) => a.toString().includes('/webrtc-direct/'))).toBe(true);
    expect(addrs.some((a) => a.toString().includes('/ws/'))).toBe(true);
    // webrtc-direct first in the peer store, so the order we add them in does not decide it.
    const sorted = [...addrs].sort((a) => (a.toString().includes('/webrtc-direct/') ? -1 : 1));
    await dialer.peerStore.merge(server.peerId, {
      multiaddrs: sorted.map((a) => multiaddr(a.toString().replace(/\/p2p\/[^/]+$/, ''))),
    });
    const conn = await dialDirect(dialer, server.peerId);
    expect(conn.remoteAddr.toString()).toContain('/ws');
    expect(conn.remoteAddr.toString()).not.toContain('webrtc');
  }, 60_000);
});
