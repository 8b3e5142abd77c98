/**
 * findPeer for DHT clients (src/mesh/libp2p/peer-record.ts, live-mesh.ts) on real libp2p nodes over
 * the memory transport: a hub (DHT server, like `inos node`) and two DHT clients that never met (like
 * two browsers, or a browser and `inos submit`). B's live mesh puts its signed peer record; once the
 * hub no longer holds B (kad-dht's findPeer then fails), A's dialDirect still finds B by PeerId. The DHT
 * servers refuse a record for B that B did not sign, and a stale one; the newest record wins.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, describe, expect, it } from 'vitest';
import {
  privateKeyFromSecret,
  selectInosRecord,
  validateInosRecord,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { dialDirect, findPeerRecord, type LiveMesh } from '../../../../src/mesh/libp2p/live-mesh.ts';
import {
  openPeerRecord,
  PEER_RECORD_TTL_MS,
  peerRecordKey,
  sealPeerRecord,
} from '../../../../src/mesh/libp2p/peer-record.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { waitFor } from './_inprocess-mesh.ts';
import { memoryNode, quietLiveMesh, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0x9ee4);
const rand = prng(SEED);
const nodes: MemoryNode[] = [];
const lives: LiveMesh[] = [];

afterAll(async () => {
  for (const l of lives) await l.stop();
  await Promise.all(nodes.map((n) => n.node.stop()));
}, 60_000);

const make = async (i: number, dhtServer: boolean): Promise<MemoryNode> => {
  const n = await memoryNode({ name: `peer-record-${SEED}-${i}`, rand, dhtServer });
  nodes.push(n);
  return n;
};

describe(`peer records: finding a DHT client by PeerId alone (seed ${SEED})`, () => {
  it('a client that never met another finds it through its signed record after the DHT server forgot it', async () => {
    console.log(`[peer-record] seed=${SEED}`);
    const hub = await make(0, true);
    const a = await make(1, false);
    const b = await make(2, false);
    await a.node.dial(hub.addr);
    await b.node.dial(hub.addr);
    expect(a.node.getConnections(b.node.peerId).length).toBe(0);
    expect((await findPeerRecord(a.node, b.node.peerId, AbortSignal.timeout(5_000))).length).toBe(0);

    // B's live mesh, given its key, puts its record (on start, address change, identify, refresh).
    lives.push(await quietLiveMesh(b, { privateKey: await privateKeyFromSecret(b.secretKey) }));
    const found = await waitFor(
      async () => (await findPeerRecord(a.node, b.node.peerId, AbortSignal.timeout(5_000))).length > 0,
      { polls: 100, everyMs: 200 },
    );
    expect(found, "B's record in the DHT").toBe(true);

    // kad-dht's own findPeer finds a client only through a server that has it in its peer store
    // (FIND_NODE answers from it): true of B's relay, not of the servers a lookup visits in a
    // network of more than K of them. Here the hub forgets B, which is that case.
    await b.node.hangUp(hub.node.peerId);
    await hub.node.peerStore.delete(b.node.peerId);
    await a.node.peerStore.delete(b.node.peerId);
    const kad = await a.node.peerRouting.findPeer(b.node.peerId, { signal: AbortSignal.timeout(5_000) }).then(
      () => 'found',
      () => 'not found',
    );
    expect(kad).toBe('not found');
    await a.node.peerStore.delete(b.node.peerId);
    const conn = await dialDirect(a.node, b.node.peerId, { attempts: 1, timeoutMs: 10_000 });
    expect(conn.remotePeer.equals(b.node.peerId)).toBe(true);
    expect(conn.remoteAddr.toString()).toContain(`/memory/peer-record-${SEED}-2`);
  }, 60_000);

  it('refuses a record B did not sign, a stale one, and garbage; selects the newest', async () => {
    const now = Date.now();
    const keyOf = async (i: number) => privateKeyFromSecret(new Uint8Array(32).fill(i + 1));
    const [kb, kx] = [await keyOf(1), await keyOf(2)];
    const { peerIdFromPublicKey } = await import('@libp2p/peer-id');
    const b = peerIdFromPublicKey(kb.publicKey);
    const key = peerRecordKey(b);
    const addrs = [
      multiaddr('/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'),
    ];
    const good = await sealPeerRecord(kb, addrs, now);
    await expect(validateInosRecord(key, good)).resolves.toBeUndefined();
    expect((await openPeerRecord(key, good, now)).multiaddrs.map(String)).toEqual([
      '/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
    ]);
    // B's own /p2p suffix is dropped when sealing (the reader adds it back).
    const mine = await sealPeerRecord(kb, [multiaddr(`/ip4/127.0.0.1/tcp/2/ws/p2p/${b}`)], now);
    expect((await openPeerRecord(key, mine, now)).multiaddrs.map(String)).toEqual([
      '/ip4/127.0.0.1/tcp/2/ws',
    ]);
    // Signed by someone else for B's key: refused, with a clear message.
    await expect(validateInosRecord(key, await sealPeerRecord(kx, addrs, now))).rejects.toThrow(
      /not signed by that peer/,
    );
    await expect(
      validateInosRecord(key, await sealPeerRecord(kb, addrs, now - PEER_RECORD_TTL_MS - 1)),
    ).rejects.toThrow(/lifetime/);
    await expect(validateInosRecord(key, new Uint8Array([1, 2, 3]))).rejects.toThrow(
      /not a signed peer record/,
    );
    await expect(validateInosRecord(new TextEncoder().encode('/inos/peer/nonsense'), good)).rejects.toThrow(
      /does not end in a PeerId/,
    );
    // Other /inos/ keys are unchanged: any bounded value, the first record.
    await expect(validateInosRecord(new TextEncoder().encode('/inos/x'), new Uint8Array([1]))).resolves.toBe(
      undefined,
    );
    const older = await sealPeerRecord(kb, addrs, now - 60_000);
    expect(await selectInosRecord(key, [older, good, new Uint8Array([9])])).toBe(1);
    expect(await selectInosRecord(new TextEncoder().encode('/inos/x'), [older, good])).toBe(0);
  });
});
