/**
 * `inos node` is the relay many browsers behind one NAT (or one loopback) reach from the same
 * address: 20 clients dialing it from 127.0.0.1 at once all connect with its inbound admission
 * (RELAY_INBOUND). With libp2p's defaults (5 new connections per second per host, 10 pending
 * handshakes) most of them were refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { webSockets } from '@libp2p/websockets';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { createLibp2p, type Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { prng, seedFromEnv } from '../../_prng';
import {
  createMeshNode,
  RELAY_INBOUND,
  type MeshLibp2p,
  type TransportFactory,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';

installNodePolyfills();
const seed = seedFromEnv(0x20c11);
console.log(`relay-inbound seed ${seed}`);
const rand = prng(seed);
const key = () => new Uint8Array(32).map(() => Math.floor(rand() * 256));
const CLIENTS = 20;

describe('the relay admits 20 clients from one host dialing at once', () => {
  let relay: MeshLibp2p;
  const clients: Libp2p[] = [];

  beforeAll(async () => {
    // The relay as `inos node` configures it (src/cli/commands/node.ts), on WebSocket only.
    relay = await createMeshNode({
      secretKey: key(),
      transports: [webSockets() as TransportFactory],
      listen: ['/ip4/127.0.0.1/tcp/0/ws'],
      dhtServer: true,
      relayServer: true,
      inbound: RELAY_INBOUND,
      allowPrivateAddresses: true,
    });
    // Bare clients (no DHT/gossip): only the connection admission is under test.
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(
        await createLibp2p({
          privateKey: await generateKeyPairFromSeed('Ed25519', key()),
          transports: [webSockets()],
          connectionEncrypters: [noise()],
          streamMuxers: [yamux()],
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await relay?.stop();
  });

  it('every dial connects', async () => {
    const addr = multiaddr(
      relay
        .getMultiaddrs()
        .map(String)
        .find((m) => m.includes('/ws/'))!,
    );
    const results = await Promise.allSettled(
      clients.map((c) => c.dial(addr, { signal: AbortSignal.timeout(30_000) })),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`client ${i}: ${String(r.reason)}`] : [],
    );
    expect(failed).toEqual([]);
    // Each client holds an open connection to the relay (the relay's side may register the last
    // upgrade a tick after the dialer's promise resolved).
    expect(
      clients.filter((c) => c.getConnections(relay.peerId).some((x) => x.status === 'open')).length,
    ).toBe(CLIENTS);
  }, 60_000);
});
