/**
 * Fork gossip (inos/forks/1, issue #14) on real libp2p nodes over the memory transport, with our
 * protocol ids and gossipsub configuration (createMeshNode + startLiveMesh) and real wallets:
 * - a line n1 — n2 — n3 (n1 and n3 refuse each other): a fork caught at n1 reaches n3, whose wallet
 *   then refuses the forker's genuine pay; then a malformed and two forged proofs from n1 are
 *   rejected by n2, not relayed to n3, and cost n1 its standing at n2 (banned);
 * - a newcomer that dials n2 later hears the old fork (n2 answers its advert solicitation);
 * - a node whose wallet held a proof before it started republishes it when it joins a mesh that
 *   never heard of it, and a restart into a mesh that knows it does not (the bound).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { signEntry } from '../../../../src/ledger/index.ts';
import type { MeshLibp2p } from '../../../../src/mesh/libp2p/create-node.ts';
import type { LiveMesh } from '../../../../src/mesh/libp2p/live-mesh.ts';
import { FORKS_TOPIC } from '../../../../src/mesh/protocol/ids.ts';
import { MarketWallet, walletForkWatch, type ForkWatch } from '../../../../src/trade/index.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { doubleSpend, refusal, TEST_BITS } from '../../trade/_world.ts';
import { memoryNode, quietLiveMesh, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0xf02c);
const rand = prng(SEED);

interface Peer {
  id: string;
  node: MeshLibp2p;
  live: LiveMesh;
  port: MemoryNode['port'];
  addr: MemoryNode['addr'];
  wallet: MarketWallet;
  watch: ForkWatch;
  stop: () => Promise<void>;
}
const running: Peer[] = [];
let made = 0;

/** A market peer on its own libp2p node; `refuse` keeps it from connecting to the peers it names. */
async function makePeer(wallet?: MarketWallet, refuse?: (peer: string) => boolean): Promise<Peer> {
  const m = await memoryNode({
    name: `forks-${SEED}-${made++}`,
    rand,
    dhtServer: true,
    ...(refuse ? { refuse } : {}),
  });
  const live = await quietLiveMesh(m);
  const w = wallet ?? (await MarketWallet.open(new IDBFactory()));
  const watch = walletForkWatch(live.mesh, w);
  const stopWatch = watch.start();
  await watch.restoring;
  const p: Peer = {
    id: m.node.peerId.toString(),
    node: m.node,
    live,
    port: m.port,
    addr: m.addr,
    wallet: w,
    watch,
    stop: async () => {
      stopWatch();
      await live.stop();
      await m.node.stop();
      running.splice(running.indexOf(p), 1);
    },
  };
  running.push(p);
  return p;
}

afterAll(async () => {
  for (const p of [...running]) await p.stop();
}, 60_000);

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** gossipsub's topic mesh (the implementation has it; the libp2p interface type does not). */
const meshPeers = (p: Peer): string[] =>
  (p.node.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(FORKS_TOPIC);

/** Both ends have grafted each other into the fork topic's gossip mesh (forwarding goes through it). */
const meshed = (a: Peer, b: Peer) =>
  until(
    `${a.id.slice(-6)} and ${b.id.slice(-6)} meshed on ${FORKS_TOPIC}`,
    () => meshPeers(a).includes(b.id) && meshPeers(b).includes(a.id),
  );

describe(`fork proofs on memory-transport libp2p nodes (seed ${SEED})`, { timeout: 120_000 }, () => {
  it('a fork caught at n1 reaches n3 through n2, which then refuses the forker; bogus proofs stop at n2', async () => {
    console.log(`forks-libp2p seed ${SEED}`);
    const ids: string[] = [];
    const n2 = await makePeer();
    const n1 = await makePeer(undefined, (p) => p === ids[2]);
    const n3 = await makePeer(undefined, (p) => p === ids[0]);
    ids.push(n1.id, n2.id, n3.id);
    await n1.node.dial(n2.addr);
    await n3.node.dial(n2.addr);
    await expect(n3.node.dial(n1.addr)).rejects.toThrow();
    await meshed(n1, n2);
    await meshed(n2, n3);
    expect(n1.node.getConnections(n3.node.peerId)).toHaveLength(0);

    // The genuine fork: n1's wallet refuses the second spend and n1 publishes the proof.
    const forker = await MarketWallet.open(new IDBFactory());
    const { first, second } = await doubleSpend(forker, n1.wallet.nodeId);
    await n1.watch.guard(first, () => n1.wallet.receive(first, { cpuMs: 0 }));
    const caught = await refusal(n1.watch.guard(second, () => n1.wallet.receive(second, { cpuMs: 0 })));
    expect(caught.reason).toBe('double-spend');
    expect(n1.watch.counters.published).toBe(1);
    await until('n3 refuses the forker', () => n3.wallet.payments.isBanned(forker.nodeId));
    expect(n3.live.mesh.forks.proof(forker.nodeId)?.seq).toBe(first.pay.seq);
    expect(n2.live.mesh.forks.proof(forker.nodeId)).toBeDefined();
    // A genuine, covered pay from the forker's real chain: n3 refuses it though it saw neither record.
    const h = await forker.payments.hold('job-2', 1_000_000);
    const pay = await forker.payments.pay(h.id, n3.wallet.nodeId, 500_000, {
      jobId: 'k',
      capsule: 'crypto',
      method: 'sha256',
    });
    const refused = await refusal(n3.watch.guard(pay, () => n3.wallet.receive(pay, { cpuMs: 0 })));
    expect(refused.reason).toBe('double-spend');
    expect(refused.detail).toMatch(/signed a fork earlier/);
    expect((await n3.wallet.balance()).balance).toBe(0);
    // n3 learned it from the mesh: it does not publish it again.
    expect(n3.watch.counters.published).toBe(0);

    // Malformed (not JSON) and forged (one record twice; two signers) frames, put on the wire by n1.
    const payer = await MarketWallet.open(new IDBFactory());
    await payer.mint(8, undefined, undefined, TEST_BITS);
    await payer.payments.hold('job-0', 1_000_000);
    const rec = (await payer.ledger.history()).at(-1)!;
    const forged = { v: 1, proof: { ledger: rec.ledger, seq: rec.seq, a: rec, b: rec } };
    const stranger = signEntry({ ...rec, id: 'other', issuer: n1.wallet.nodeId }, n1.wallet.identity);
    const twoSigners = { v: 1, proof: { ledger: rec.ledger, seq: rec.seq, a: rec, b: stranger } };
    const n3Accepted = n3.live.mesh.forks.counters.accepted;
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    for (const data of [new TextEncoder().encode('{"v":1,"proof":'), enc(forged), enc(twoSigners)])
      await n1.port.publish(FORKS_TOPIC, data);
    await until('n2 rejected the three bogus frames', () => n2.live.mesh.forks.counters.rejected === 3);
    expect(n2.live.mesh.reputation.inspect(n1.id)?.score ?? 1).toBeLessThan(0.5);
    expect(n3.live.mesh.forks.counters.rejected).toBe(0);
    expect(n3.live.mesh.forks.counters.accepted).toBe(n3Accepted);
    expect(await n3.wallet.payments.isBanned(payer.nodeId)).toBe(false);

    expect(n2.live.mesh.reputation.isBanned(n1.id)).toBe(true);

    // A newcomer hears the old fork: n2 answers its advert solicitation with the proofs it knows (or
    // gossipsub's replay of recent messages to a new subscriber gets there first: the clean-clone run
    // saw the refusal before the newcomer had sent its solicitation).
    const n4 = await makePeer();
    await n4.node.dial(n2.addr);
    await until('the newcomer refuses the forker', () => n4.wallet.payments.isBanned(forker.nodeId));
    expect(n4.live.mesh.adverts.counters.solicitsSent).toBeLessThanOrEqual(1);
    expect(n4.live.mesh.forks.counters.accepted).toBe(1);
    for (const p of [...running]) await p.stop();
  });

  it('a proof kept from an earlier run is republished on joining; a restart into a mesh that knows it is not republished', async () => {
    const forker = await MarketWallet.open(new IDBFactory());
    const victim = await MarketWallet.open(new IDBFactory());
    const { first, second } = await doubleSpend(forker, victim.nodeId);
    await victim.receive(first, { cpuMs: 0 });
    await refusal(victim.receive(second, { cpuMs: 0 }));
    expect(await victim.payments.isBanned(forker.nodeId)).toBe(true);

    // A mesh that never heard of the fork: a hub and a peer behind it.
    const hub = await makePeer();
    const other = await makePeer();
    await other.node.dial(hub.addr);
    await meshed(hub, other);
    // The victim's wallet starts a node (its proof restored from the wallet) and joins.
    const v1 = await makePeer(victim);
    expect(v1.watch.counters.restored).toBe(1);
    await v1.node.dial(hub.addr);
    await until('the peer behind the hub refuses the forker', () =>
      other.wallet.payments.isBanned(forker.nodeId),
    );
    // Sent once on joining, or sooner as an answer to a solicitation gossipsub's IHAVE replayed to us.
    const sent = v1.live.mesh.forks.counters;
    expect(sent.republished + sent.answered).toBeGreaterThanOrEqual(1);
    expect(sent.republished).toBeLessThanOrEqual(1);
    expect(await hub.wallet.payments.isBanned(forker.nodeId)).toBe(true);
    await v1.stop();

    // Restarted into the mesh that knows it: the hub answers its solicitation within the grace period.
    const v2 = await makePeer(victim);
    expect(v2.watch.counters.restored).toBe(1);
    const acceptedBefore = other.live.mesh.forks.counters.accepted;
    await v2.node.dial(hub.addr);
    await until(
      'the restarted node dropped its owed republish',
      () => v2.live.mesh.forks.counters.skipped === 1,
    );
    expect(v2.live.mesh.forks.counters.republished).toBe(0);
    expect(v2.live.mesh.forks.counters.accepted).toBe(0);
    expect(other.live.mesh.forks.counters.accepted).toBe(acceptedBefore);
  });
});
