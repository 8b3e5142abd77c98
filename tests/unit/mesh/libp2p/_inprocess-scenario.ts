/**
 * The in-process scenario shared by the 50-node unit test and the 200-node slow test: MeshNode (the
 * protocol logic) on every real libp2p node, then gossip adverts, DHT put/get, provide/findProviders
 * and a chunk-set fetch from several providers. Returns counts; the tests assert on them.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { toHex } from '../../../../src/mesh/protocol/chunk-exchange.ts';
import { ADVERTS_TOPIC } from '../../../../src/mesh/protocol/ids.ts';
import { MeshNode } from '../../../../src/mesh/protocol/node.ts';
import type { AdvertInput } from '../../../../src/mesh/protocol/adverts.ts';
import { prng } from '../../_prng.ts';
import {
  buildMesh,
  dhtTableSize,
  meshFormed,
  quantiles,
  waitFor,
  type InprocessMesh,
} from './_inprocess-mesh.ts';

export interface ScenarioResult {
  n: number;
  seed: number;
  edges: number;
  buildMs: number;
  meshFormed: boolean;
  /** Every node had a DHT server in its routing table before the DHT phase. */
  dhtReady: boolean;
  /** Per publisher: nodes (other than the publisher) that accepted its advert. */
  advertsReached: number[];
  /** Per publisher: ms from publish until the last node accepted it (wall clock, printed only). */
  advertsMs: number[];
  dhtGetOk: number;
  dhtGetTried: number;
  /** Lookups from random nodes that found both providers of a chunk. */
  findProvidersAll: number;
  findProvidersTried: number;
  chunksFetched: number;
  chunksWanted: number;
  chunkProvidersUsed: number;
  rssMbPerNode: number;
  heapMbPerNode: number;
  /** CPU seconds this process spent on the whole scenario (user + system). */
  cpuS: number;
}

const ADVERT: AdvertInput = {
  ttlMs: 60_000,
  capsules: [{ name: 'hash', version: 1 }],
  workers: 2,
  gpu: { available: false, vendor: '', architecture: '' },
  throttle: 0.5,
};

export interface Scenario {
  mesh: InprocessMesh;
  meshNodes: MeshNode[];
  result: ScenarioResult;
}

export async function runScenario(
  n: number,
  seed: number,
  dhtServers: number,
  log: (line: string) => void = console.info,
): Promise<Scenario> {
  const rand = prng(seed ^ 0x5bd1e995);
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const mesh = await buildMesh({ n, seed, dhtServers });
  const buildMs = performance.now() - t0;
  const stores = mesh.peers.map(() => new Map<string, Uint8Array>());
  const meshNodes = mesh.peers.map(
    (p, i) =>
      new MeshNode(p.port, {
        random: rand,
        source: { get: (h) => stores[i]?.get(toHex(h)) },
      }),
  );
  await Promise.all(meshNodes.map((m) => m.start()));
  log(`[inprocess ${n}] seed=${seed} built ${mesh.edges.length} links in ${buildMs.toFixed(0)} ms`);

  // Gossipsub grafts mesh peers at its 1 s heartbeat once subscriptions are exchanged.
  const formed = await waitFor(() => meshFormed(mesh, ADVERTS_TOPIC, 1), { polls: 600, everyMs: 100 });
  // Every node knows at least one DHT server (kad-dht adds a peer once identify shows /inos/kad/1.0.0).
  const dhtReady = await waitFor(() => mesh.peers.every((p) => dhtTableSize(p.node) !== 0), {
    polls: 600,
    everyMs: 100,
  });

  // Adverts: three publishers, one after the other; each must reach every other node.
  const advertsReached: number[] = [];
  const advertsMs: number[] = [];
  for (const pub of [0, Math.floor(n / 2), n - 1]) {
    const origin = mesh.peers[pub]!.port.self;
    const start = performance.now();
    const reached = (): number =>
      meshNodes.filter((m, i) => i !== pub && m.adverts.get(origin) !== undefined).length;
    await meshNodes[pub]!.adverts.publish(ADVERT);
    await waitFor(() => reached() === n - 1, { polls: 300, everyMs: 50 });
    advertsReached.push(reached());
    advertsMs.push(performance.now() - start);
  }

  log(`[inprocess ${n}] adverts done at ${(performance.now() - t0).toFixed(0)} ms`);
  // DHT put on one node, get from five others.
  const key = new TextEncoder().encode(`/inos/inprocess-${seed}`);
  const value = new TextEncoder().encode(`value-${seed}`);
  for await (const _ of mesh.peers[1]!.node.services.dht.put(key, value)) void _;
  let dhtGetOk = 0;
  const getters = Array.from({ length: 5 }, () => 2 + Math.floor(rand() * (n - 2)));
  for (const g of getters) {
    const got = await waitFor(
      async () => {
        try {
          for await (const ev of mesh.peers[g]!.node.services.dht.get(key, {
            signal: AbortSignal.timeout(15_000),
          })) {
            if (ev.name === 'VALUE' && new TextDecoder().decode(ev.value) === `value-${seed}`) return true;
          }
        } catch {
          // a lookup that ran out of time: poll again
        }
        return false;
      },
      { polls: 3, everyMs: 500 },
    );
    if (got) dhtGetOk++;
    else
      log(
        `[inprocess ${n}] DHT get from node ${g} (${g < dhtServers ? 'server' : 'client'}, routing table ` +
          `${dhtTableSize(mesh.peers[g]!.node)}, ${mesh.peers[g]!.node.getConnections().length} connections) failed`,
      );
  }

  log(`[inprocess ${n}] DHT get done at ${(performance.now() - t0).toFixed(0)} ms`);
  // Chunks: three providers (browsers: DHT clients) each hold two thirds of a 9-chunk set (chunk i
  // is missing at provider i mod 3), so no single provider can serve it all; each announces what it
  // holds as DHT provider records (all at once: kad-dht's provide waits for a closest-peers query).
  const providers = [n - 1, Math.floor(n / 2) + 1, n - 3];
  const chunks = Array.from({ length: 9 }, (_, i) =>
    new Uint8Array(16_384).map((_, j) => (i * 131 + j * 7 + seed) & 255),
  );
  const hashes = chunks.map((c) => blake3(c));
  const heldBy = (k: number): number[] => hashes.map((_, i) => i).filter((i) => i % 3 !== k);
  providers.forEach((p, k) => {
    for (const i of heldBy(k)) stores[p]!.set(toHex(hashes[i]!), chunks[i]!);
  });
  await Promise.all(
    providers.flatMap((p, k) => heldBy(k).map((i) => mesh.peers[p]!.port.provide(hashes[i]!))),
  );
  log(`[inprocess ${n}] provide done at ${(performance.now() - t0).toFixed(0)} ms`);
  const providerIds = new Set(providers.map((p) => mesh.peers[p]!.port.self));
  let findProvidersAll = 0;
  const lookers = Array.from({ length: 10 }, () => Math.floor(rand() * n)).filter(
    (i) => !providers.includes(i),
  );
  for (const l of lookers) {
    const c = Math.floor(rand() * hashes.length);
    const expected = providers.filter((_, k) => c % 3 !== k).map((p) => mesh.peers[p]!.port.self);
    let found: string[] = [];
    const ok = await waitFor(
      async () => {
        found = await mesh.peers[l]!.port.findProviders(hashes[c]!, { limit: 2, timeoutMs: 15_000 });
        return expected.every((p) => found.includes(p));
      },
      { polls: 3, everyMs: 500 },
    );
    if (ok) findProvidersAll++;
    else
      log(
        `[inprocess ${n}] findProviders from node ${l} (DHT ${l < dhtServers ? 'server' : 'client'}) for chunk ${c}: ` +
          `found ${found.length} [${found.map((f) => mesh.peers.findIndex((p) => p.port.self === f)).join(',')}], ` +
          `expected nodes ${providers.filter((_, k) => c % 3 !== k).join(',')}`,
      );
  }
  const fetcher = meshNodes.findIndex((_, i) => !providers.includes(i) && i > n / 3);
  log(`[inprocess ${n}] fetching ${hashes.length} chunks on node ${fetcher}`);
  const report = await meshNodes[fetcher]!.chunks.fetch(hashes, { parallel: 4, timeoutMs: 15_000 });
  let chunksFetched = 0;
  hashes.forEach((h, i) => {
    const got = report.chunks.get(toHex(h));
    if (got !== undefined && got.length === chunks[i]!.length && got.every((b, j) => b === chunks[i]![j]))
      chunksFetched++;
  });
  const used = new Set(report.attempts.filter((a) => a.result === 'ok').map((a) => a.peer));

  const mem = process.memoryUsage();
  const cpu = process.cpuUsage(cpu0);
  const result: ScenarioResult = {
    n,
    seed,
    edges: mesh.edges.length,
    buildMs,
    meshFormed: formed,
    dhtReady,
    advertsReached,
    advertsMs,
    dhtGetOk,
    dhtGetTried: getters.length,
    findProvidersAll,
    findProvidersTried: lookers.length,
    chunksFetched,
    chunksWanted: hashes.length,
    chunkProvidersUsed: [...used].filter((p) => providerIds.has(p)).length,
    rssMbPerNode: (mem.rss - rssBefore) / 2 ** 20 / n,
    heapMbPerNode: (mem.heapUsed - heapBefore) / 2 ** 20 / n,
    cpuS: (cpu.user + cpu.system) / 1e6,
  };
  const q = quantiles(advertsMs);
  log(
    `[inprocess ${n}] mesh formed=${formed} DHT ready=${dhtReady} adverts reached ${advertsReached.join('/')} of ${n - 1} ` +
      `(last node after p50 ${q.p50.toFixed(0)} ms); DHT get ${dhtGetOk}/${getters.length}; ` +
      `findProviders found both in ${findProvidersAll}/${lookers.length}; chunks ${chunksFetched}/${hashes.length} ` +
      `from ${result.chunkProvidersUsed} providers; RSS +${result.rssMbPerNode.toFixed(2)} MB/node; ` +
      `CPU ${result.cpuS.toFixed(1)} s, wall ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { mesh, meshNodes, result };
}

export async function stopScenario(s: Scenario): Promise<void> {
  for (const m of s.meshNodes) m.stop();
  await s.mesh.stop();
}
