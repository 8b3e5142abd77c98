/**
 * MeshHost (the offscreen document's node) against a relay on 127.0.0.1, over WebSockets and the
 * circuit relay transport. The case that failed 2 of 5 clean-clone runs of mesh-net.e2e: the document
 * starts its node for the empty bootstrap list of its hello, and the list with a loopback relay
 * (settings/apply, a heartbeat) arrives while that node is being made. The node came out with a
 * gater that refuses private addresses and dialed the loopback relay through it for ever ("Can't reach
 * the network — retrying"). Now the lists are applied in order and the node is remade for the new
 * one; the host must hold a relay reservation.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { webSockets } from '@libp2p/websockets';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMeshNode,
  type MeshLibp2p,
  type TransportFactory,
} from '../../../src/mesh/libp2p/create-node.ts';
import { installNodePolyfills } from '../../../src/mesh/libp2p/node-polyfills.ts';
import { MeshHost } from '../../../src/offscreen/mesh-host.ts';
import { prng, seedFromEnv } from '../_prng.ts';

installNodePolyfills();
const SEED = seedFromEnv(0x3e5b);
const rand = prng(SEED);
const key = () => new Uint8Array(32).map(() => Math.floor(rand() * 256));
const transports = () => [webSockets(), circuitRelayTransport()] as TransportFactory[];

let relay: MeshLibp2p | null = null;
const hosts: MeshHost[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await relay?.stop();
});

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`MeshHost bootstrap lists (seed ${SEED})`, () => {
  it('remakes a node made for no (public) peers when a loopback relay arrives while it starts', async () => {
    console.info(`mesh-host seed ${SEED}`);
    relay = await createMeshNode({
      secretKey: key(),
      transports: transports(),
      listen: ['/ip4/127.0.0.1/tcp/0/ws'],
      dhtServer: true,
      relayServer: true,
      allowPrivateAddresses: true,
    });
    const relayAddr = relay.getMultiaddrs().map(String)[0]!;
    // The GPU query is the last await before the node is made: the second list lands in it.
    let gpuAsked!: () => void;
    const asked = new Promise<void>((r) => (gpuAsked = r));
    let answerGpu!: (v: null) => void;
    const gpu = new Promise<null>((r) => (answerGpu = r));
    const secretKey = key();
    const host = new MeshHost({
      loadSecretKey: () => Promise.resolve(secretKey),
      gpuInfo: () => {
        gpuAsked();
        return gpu;
      },
      transports,
      listen: ['/p2p-circuit'],
    });
    hosts.push(host);
    const first = host.setBootstrap([]);
    await asked;
    const second = host.setBootstrap([relayAddr]);
    answerGpu(null);
    await Promise.all([first, second]);
    await until('a relay reservation', () => host.report().relay);
    const report = host.report();
    expect(report.lastError).toBeNull();
    expect(report.peers).toBeGreaterThanOrEqual(1);
    expect(report.peerId).toBe(host.node!.peerId.toString());
    // One key derivation, given to libp2p and to the peer record: the PeerId is the signing key.
    const signing = host.signingKey!;
    expect(peerIdFromPrivateKey(signing).equals(host.node!.peerId)).toBe(true);
    expect(signing.publicKey.raw).toEqual(host.node!.peerId.publicKey!.raw);
    // Heartbeats repeat the same list: nothing is remade or re-dialed.
    const node = host.node;
    await Promise.all([host.setBootstrap([relayAddr]), host.setBootstrap([relayAddr])]);
    expect(host.node).toBe(node);
  }, 60_000);
});
