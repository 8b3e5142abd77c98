/**
 * A dial whose remote closes the WebSocket before answering multistream-select — the
 * "EncryptionFailedError: Unexpected EOF - stream closed while reading 0/1 bytes" that ended
 * `npm run bench:mesh` — is reported, and the node that dialled keeps working: the bench's
 * dialReported returns it as a failure (it used to rethrow into the bench's top-level await, which
 * Node turns into a process exit), the product's Libp2pPort turns it into MeshError 'unreachable',
 * and a dial to a real node on the same client then succeeds. Loopback only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { prng, seedFromEnv } from '../../_prng';
import { dialReported } from '../../../../bench/mesh/_dial.ts';
import {
  createMeshNode,
  privateKeyFromSecret,
  type MeshLibp2p,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../../../../src/mesh/libp2p/libp2p-port.ts';
import { installNodePolyfills } from '../../../../src/mesh/libp2p/node-polyfills.ts';
import { meshTransports, nodeListen } from '../../../../src/mesh/libp2p/transports.ts';
import { MeshError } from '../../../../src/mesh/protocol/errors.ts';
import { RPC_PROTOCOL } from '../../../../src/mesh/protocol/ids.ts';

installNodePolyfills();
const seed = seedFromEnv(0x9d1a1);
console.log(`dial-failure seed ${seed}`);
const rand = prng(seed);
const key = () => new Uint8Array(32).map(() => Math.floor(rand() * 256));
const node = (listen: string[]) =>
  createMeshNode({
    secretKey: key(),
    transports: meshTransports([]),
    listen,
    dhtServer: false,
    allowPrivateAddresses: true,
  });

describe('a WebSocket dial the remote closes before multistream-select', () => {
  let halfOpen: WebSocketServer;
  let client: MeshLibp2p;
  let server: MeshLibp2p;
  let deadAddr: ReturnType<typeof multiaddr>;
  let deadPeer: string;

  beforeAll(async () => {
    // Accepts the WebSocket, then closes it before a byte of the libp2p upgrade is answered.
    halfOpen = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => halfOpen.once('listening', () => r()));
    halfOpen.on('connection', (sock) => sock.close());
    const port = (halfOpen.address() as { port: number }).port;
    deadPeer = peerIdFromPrivateKey(await privateKeyFromSecret(key())).toString();
    deadAddr = multiaddr(`/ip4/127.0.0.1/tcp/${port}/ws/p2p/${deadPeer}`);
    client = await node([]);
    server = await node(nodeListen('127.0.0.1', 0));
  }, 60_000);

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    halfOpen?.close();
  });

  it('is reported by the bench dial, every attempt, without a throw', async () => {
    const out = await dialReported(client, deadAddr, { tries: 2, timeoutMs: 20_000, retryAfterMs: 0 });
    expect(out.ok).toBe(false);
    expect(out.failures).toHaveLength(2);
    if (!out.ok) expect(out.error).toMatch(/EncryptionFailedError|EOF|reset/);
  }, 60_000);

  it('is MeshError unreachable from the product port', async () => {
    await client.peerStore.merge(peerIdFromString(deadPeer), { multiaddrs: [deadAddr] });
    const port = new Libp2pPort(client, new BanList());
    const err = await port
      .request(deadPeer, RPC_PROTOCOL, new Uint8Array([1]), { timeoutMs: 20_000, maxResponseBytes: 1024 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).code).toBe('unreachable');
  }, 60_000);

  it('leaves the client working: a real node dials fine afterwards', async () => {
    const addr = server.getMultiaddrs().find((a) => a.toString().includes('/ws/'));
    expect(addr).toBeDefined();
    const out = await dialReported(client, addr!, { tries: 3, timeoutMs: 20_000 });
    expect(out.ok).toBe(true);
    expect(client.status).toBe('started');
  }, 60_000);

  it('rejects a nonsensical tries count with a clear error', async () => {
    await expect(dialReported(client, deadAddr, { tries: 0, timeoutMs: 1000 })).rejects.toThrow(
      /tries must be an integer ≥ 1/,
    );
  });
});
