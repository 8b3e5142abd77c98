/**
 * `npm run bench:mesh-inprocess`: gossip propagation and memory per node for real libp2p nodes in one
 * Node process (@libp2p/memory, createMeshNode's configuration, MeshNode's adverts on gossipsub),
 * written to bench/results/mesh-inprocess.json.
 *
 *  - sizes: REF_N (50, the reference) and N (200) nodes, built one after the other in this run, same
 *    wiring (tests/unit/mesh/libp2p/_inprocess-mesh.ts: 3 dials per node, 2 DHT servers);
 *  - propagation: an advert published by one node, time until the last other node's AdvertTable
 *    accepted it (polled every 5 ms, so ±5 ms); PUBLISHES publishers spread over the ids, median and
 *    max; ratio 200 / 50 in the same run;
 *  - a second reference: the same graph as a plain EventEmitter flood (each node re-emits to its
 *    neighbours once), i.e. the cost of the fan-out itself without libp2p, crypto or validation;
 *  - memory per node: (RSS after − RSS before) / n and heap likewise, after a forced GC when node
 *    runs with --expose-gc (the npm script does).
 *
 * Absolute times depend on the machine's load (printed); compare the ratios.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdvertInput } from '../../src/mesh/protocol/adverts.ts';
import { ADVERTS_TOPIC } from '../../src/mesh/protocol/ids.ts';
import { MeshNode } from '../../src/mesh/protocol/node.ts';
import { buildMesh, meshFormed, waitFor } from '../../tests/unit/mesh/libp2p/_inprocess-mesh.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', 'results', 'mesh-inprocess.json');
const N = Number(process.env['MESH_BENCH_N'] ?? 200);
const REF_N = 50;
const PUBLISHES = 5;
/** Few DHT servers keep the connection count (and the run) small; gossip does not use the DHT. */
const DHT_SERVERS = 2;
const SEED = 20261127;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const gc = (globalThis as { gc?: () => void }).gc;

const ADVERT: AdvertInput = {
  ttlMs: 120_000,
  capsules: [{ name: 'hash', version: 1 }],
  workers: 2,
  gpu: { available: false, vendor: '', architecture: '' },
  throttle: 0.5,
};

interface SizeResult {
  nodes: number;
  links: number;
  dhtServers: number;
  buildS: number;
  propagationMs: number[];
  propagationMedianMs: number;
  propagationMaxMs: number;
  delivered: string;
  meshFormed: boolean;
  emitterFloodMedianMs: number;
  rssMbPerNode: number;
  heapMbPerNode: number;
  cpuS: number;
}

async function measure(n: number): Promise<SizeResult> {
  gc?.();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const dhtServers = DHT_SERVERS;
  const mesh = await buildMesh({ n, seed: SEED + n, dhtServers });
  const meshNodes = mesh.peers.map((p) => new MeshNode(p.port, { source: { get: () => undefined } }));
  await Promise.all(meshNodes.map((m) => m.start()));
  const formed = await waitFor(() => meshFormed(mesh, ADVERTS_TOPIC, 1), { polls: 300, everyMs: 100 });
  const buildS = (performance.now() - t0) / 1000;
  console.log(
    `[bench mesh-inprocess] ${n} nodes built in ${buildS.toFixed(0)} s, gossip mesh ${formed ? 'formed' : 'NOT formed at every node after 30 s'}`,
  );

  const propagationMs: number[] = [];
  const delivered: number[] = [];
  for (let k = 0; k < PUBLISHES; k++) {
    const pub = Math.floor((k * n) / PUBLISHES);
    const origin = mesh.peers[pub]!.port.self;
    const reached = (): number =>
      meshNodes.filter((m, i) => i !== pub && m.adverts.get(origin) !== undefined).length;
    const start = performance.now();
    await meshNodes[pub]!.adverts.publish(ADVERT);
    await waitFor(() => reached() === n - 1, { polls: 6000, everyMs: 5 });
    propagationMs.push(performance.now() - start);
    delivered.push(reached());
  }

  gc?.();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage(cpu0);

  // Reference: the same graph as an EventEmitter flood, no libp2p.
  const adj = mesh.peers.map(() => [] as number[]);
  for (const [a, b] of mesh.edges) {
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  const floods: number[] = [];
  for (let k = 0; k < 21; k++) {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const seen = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++)
      bus.on(`n${i}`, (data: Uint8Array) => {
        if (seen[i] === 1) return;
        seen[i] = 1;
        count++;
        for (const j of adj[i]!) bus.emit(`n${j}`, data);
      });
    const s = performance.now();
    bus.emit(`n${k % n}`, new Uint8Array(200));
    floods.push(performance.now() - s);
    if (count !== n)
      throw new Error(`EventEmitter flood reached ${count} of ${n}: the graph is not connected`);
  }

  for (const m of meshNodes) m.stop();
  await mesh.stop();
  return {
    nodes: n,
    links: mesh.edges.length,
    dhtServers,
    buildS: round(buildS),
    propagationMs: propagationMs.map((x) => round(x)),
    propagationMedianMs: round(median(propagationMs)),
    propagationMaxMs: round(Math.max(...propagationMs)),
    delivered: delivered.map((d) => `${d}/${n - 1}`).join(' '),
    meshFormed: formed,
    emitterFloodMedianMs: round(median(floods), 3),
    rssMbPerNode: round((mem.rss - rss0) / 2 ** 20 / n, 2),
    heapMbPerNode: round((mem.heapUsed - heap0) / 2 ** 20 / n, 2),
    cpuS: round((cpu.user + cpu.system) / 1e6),
  };
}

const load0 = loadavg().map((x) => round(x, 2));
const ref = await measure(REF_N);
const big = await measure(N);
const rows = [ref, big];
console.log(
  `\n[bench mesh-inprocess] loadavg at start ${load0.join(' ')}, ${cpus().length} cores, GC ${gc ? 'forced' : 'not forced'}`,
);
console.table(
  rows.map((r) => ({
    nodes: r.nodes,
    links: r.links,
    'DHT servers': r.dhtServers,
    'build s': r.buildS,
    'propagation median ms': r.propagationMedianMs,
    'propagation max ms': r.propagationMaxMs,
    delivered: r.delivered,
    'EventEmitter flood ms': r.emitterFloodMedianMs,
    'RSS MB/node': r.rssMbPerNode,
    'heap MB/node': r.heapMbPerNode,
    'CPU s': r.cpuS,
  })),
);
const ratios = {
  propagation200vs50: round(big.propagationMedianMs / ref.propagationMedianMs, 2),
  propagationVsEmitterFlood: round(big.propagationMedianMs / Math.max(big.emitterFloodMedianMs, 0.001), 0),
  rssPerNode200vs50: round(big.rssMbPerNode / ref.rssMbPerNode, 2),
};
console.log('[bench mesh-inprocess] ratios', ratios);
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      bench: 'mesh-inprocess',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavgStart: load0,
        loadavgEnd: loadavg().map((x) => round(x, 2)),
        node: process.version,
      },
      method:
        'one Node process, @libp2p/memory, createMeshNode config, MeshNode adverts over gossipsub; propagation = publish until the last node accepted (5 ms polls); memory = RSS/heap delta per node after forced GC',
      sizes: rows,
      ratios,
    },
    null,
    2,
  )}\n`,
);
console.log(`[bench mesh-inprocess] wrote ${resultsFile}`);
process.exit(0);
