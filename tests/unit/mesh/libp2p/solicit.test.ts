/**
 * Late adverts, on real libp2p nodes (memory transport), wired as deployed: an `inos node`-like hub
 * (DHT server, no advert), two browser-like DHT clients that may only talk to the hub (browsers
 * reach each other only through relay + WebRTC), and a late joiner that publishes no advert (like
 * `inos submit`). The browsers refresh their advert every REFRESH_MS.
 *
 * Root cause this pins: a newcomer's gossipsub subscription is seen only by its direct neighbour
 * (the hub), never by the browsers behind it, so "republish when a peer subscribes" never fired
 * where it mattered, and a newcomer that publishes nothing was no "new origin" either: it learned
 * each advert only at the browsers' refresh tick (measured before the fix: at 1.0× the refresh
 * period). With advert solicitation the newcomer must hold every live advert before any browser's
 * refresh tick (an ordering, not a wall-clock bound); the time is printed as a ratio to the period.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { MeshLibp2p } from '../../../../src/mesh/libp2p/create-node.ts';
import { startLiveMesh, type LiveMesh } from '../../../../src/mesh/libp2p/live-mesh.ts';
import { MemoryReputationStore } from '../../../../src/mesh/protocol/reputation-store.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { memoryNode, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0x5011c);
const rand = prng(SEED);
/** The browsers' periodic advert refresh in this test (the extension's is 2 min). */
const REFRESH_MS = 30_000;

interface Peer {
  node: MeshLibp2p;
  live: LiveMesh;
  addr: MemoryNode['addr'];
}
const peers: Peer[] = [];
const name = (i: number): string => `solicit-${SEED}-${i}`;

async function makePeer(i: number, opts: { advertise: boolean; onlyTo?: () => string }): Promise<Peer> {
  const onlyTo = opts.onlyTo;
  const { node, port, addr } = await memoryNode({
    name: name(i),
    rand,
    dhtServer: i === 0,
    ...(onlyTo !== undefined ? { refuse: (p: string) => p !== onlyTo() } : {}),
  });
  const live = await startLiveMesh({
    node,
    port,
    source: { get: () => undefined },
    store: new MemoryReputationStore(),
    advert: () =>
      opts.advertise
        ? {
            ttlMs: 10 * 60_000,
            capsules: [{ name: 'hash', version: 1 }],
            workers: i,
            gpu: { available: false, vendor: '', architecture: '' },
            throttle: 1,
          }
        : null,
    refreshMs: REFRESH_MS,
  });
  const p = { node, live, addr };
  peers.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const p of peers) await p.live.stop();
  await Promise.all(peers.map((p) => p.node.stop()));
}, 60_000);

describe(`advert solicitation on memory-transport nodes (seed ${SEED})`, () => {
  it('a late joiner that advertises nothing holds every browser advert before their refresh tick', async () => {
    const hub = await makePeer(0, { advertise: false });
    const hubId = hub.node.peerId.toString();
    const browsers = [
      await makePeer(1, { advertise: true, onlyTo: () => hubId }),
      await makePeer(2, { advertise: true, onlyTo: () => hubId }),
    ];
    const hubAddr = hub.addr;
    // Each publishes its advert and solicits once it has a neighbour (solicitOnJoin).
    for (const b of browsers) await b.node.dial(hubAddr);
    const ids = browsers.map((b) => b.node.peerId.toString());
    for (let i = 0; i < 400 && !ids.every((id) => hub.live.mesh.adverts.get(id)); i++) await sleep(50);
    expect(ids.every((id) => hub.live.mesh.adverts.get(id) !== undefined)).toBe(true);

    const late = await makePeer(3, { advertise: false });
    const t0 = Date.now();
    await late.node.dial(hubAddr);
    const known = (): number => ids.filter((id) => late.live.mesh.adverts.get(id) !== undefined).length;
    const refreshes = (): number => browsers.reduce((n, b) => n + b.live.counters.refreshes, 0);
    while (known() < ids.length && Date.now() - t0 < 2 * REFRESH_MS) await sleep(20);
    const ratio = (Date.now() - t0) / REFRESH_MS;
    const refreshedBefore = refreshes();
    console.log(
      `[solicit seed ${SEED}] late joiner holds ${known()}/${ids.length} browser adverts after ` +
        `${ratio.toFixed(3)}× the refresh period; browser refresh ticks before that: ${refreshedBefore}; ` +
        `solicits sent ${late.live.mesh.adverts.counters.solicitsSent}, answered by the browsers ` +
        `${browsers.map((b) => b.live.mesh.adverts.counters.answers).join('+')}`,
    );
    expect(known()).toBe(ids.length);
    expect(refreshedBefore).toBe(0);
    expect(late.live.mesh.adverts.counters.solicitsSent).toBe(1);
    // The hub forwards solicits and answers but offers nothing itself.
    expect(hub.live.counters.advertsPublished).toBe(0);
  }, 120_000);
});
