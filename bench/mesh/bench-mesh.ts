/**
 * bench:mesh (Node part) — what the mesh transport costs against a raw WebSocket, on loopback, in
 * one run: 16 MiB over one libp2p stream (noise + yamux) on WebSocket and on webrtc-direct
 * (node-datachannel), against 16 MiB over a bare `ws` WebSocket; dial time (fresh connection +
 * Noise + identify) p50/p95; memory per connected mesh node (our createMeshNode, all services; the
 * slope between 10 and 50 nodes in a fresh process, bench/mesh/_memory.ts). Rounds interleave the
 * variants so machine load hits them alike.
 * Run: npx tsx bench/mesh/bench-mesh.ts [--out FILE] -> prints a table, writes bench/results/mesh.json.
 *
 * Browser↔browser and browser↔Node rows: bench-mesh-browser.ts (run after this, same json). Gossip at
 * 200 nodes is copied from bench/results/mesh-inprocess.json with its date and load (`gossip200`).
 * A measurement that fails (a dial failing every attempt) is listed in `errors`, never a crash.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, Stream } from '@libp2p/interface';
import { installNodePolyfills } from '../../src/mesh/libp2p/node-polyfills.ts';
import { createMeshNode, type MeshLibp2p } from '../../src/mesh/libp2p/create-node.ts';
import { DATA_CHANNEL_MESSAGE_BYTES, meshTransports, nodeListen } from '../../src/mesh/libp2p/transports.ts';
import { dialReported } from './_dial.ts';

installNodePolyfills();
const execFileP = promisify(execFile);
const BYTES = 16 << 20;
const PIECE = 64 << 10;
const ROUNDS = Number(process.env['MESH_BENCH_ROUNDS'] ?? 5);
const DIALS = Number(process.env['MESH_BENCH_DIALS'] ?? 20);
const BENCH_PROTOCOL = '/inos/bench/1';
const payload = new Uint8Array(randomBytes(PIECE));

const median = (xs: number[]) => quantile(xs, 0.5);
/** Quantile of the finite values (a failed measurement is NaN and left out). */
function quantile(xs: number[], q: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/** Every failed dial attempt, retried or not (upstream dials flake a few %, MESH.md §1.3). */
const dialFailures: string[] = [];
/** Measurements that could not finish (a dial that failed every attempt…): reported, never a crash. */
const errors: string[] = [];
const DIAL_TRIES = 4;

/** Dials as the product does (retried); a dial that fails every attempt throws DialFailed. */
class DialFailed extends Error {
  override readonly name = 'DialFailed';
}
async function dialRetry(client: MeshLibp2p, addr: Multiaddr): Promise<{ conn: Connection; ms: number }> {
  const kind = addr.toString().includes('/ws') ? 'ws' : 'webrtc-direct';
  const out = await dialReported(client, addr, { tries: DIAL_TRIES, timeoutMs: 15_000 });
  dialFailures.push(...out.failures.map((f) => `${kind} ${f}`));
  if (!out.ok) throw new DialFailed(`${kind} dial failed ${DIAL_TRIES} times, last: ${out.error}`);
  return out;
}

/** Runs one measurement; a failure is recorded in `errors` (and the json) and gives NaN. */
async function attempt<T>(what: string, fn: () => Promise<T>, failed: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    errors.push(`${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    console.error(`bench:mesh: ${errors[errors.length - 1]}`);
    return failed;
  }
}

async function rawWs(): Promise<number> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const port = (server.address() as { port: number }).port;
  const done = new Promise<void>((resolve) => {
    server.on('connection', (sock) => {
      let got = 0;
      sock.on('message', (d: Buffer) => {
        got += d.length;
        if (got >= BYTES) {
          sock.send('ok');
          resolve();
        }
      });
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise<void>((r) => client.once('open', () => r()));
  const acked = new Promise<void>((r) => client.once('message', () => r()));
  const t0 = performance.now();
  // No back-pressure wait: ws buffers what the socket has not taken, the fastest a sender can go.
  for (let sent = 0; sent < BYTES; sent += PIECE) client.send(payload);
  await done;
  await acked;
  const ms = performance.now() - t0;
  client.close();
  server.close();
  return ms;
}

async function newNode(listen: string[], messageBytes?: number): Promise<MeshLibp2p> {
  return createMeshNode({
    secretKey: new Uint8Array(randomBytes(32)),
    transports: meshTransports([], messageBytes === undefined ? {} : { messageBytes }),
    listen,
    dhtServer: false,
    allowPrivateAddresses: true,
  });
}

/** Receiver counts bytes then answers one byte; the time covers the whole 16 MiB plus that answer. */
async function libp2pStream(kind: 'ws' | 'webrtc-direct', messageBytes?: number): Promise<number> {
  const server = await newNode(nodeListen('127.0.0.1', 0), messageBytes);
  const client = await newNode([], messageBytes);
  try {
    await server.handle(BENCH_PROTOCOL, async (stream: Stream) => {
      let got = 0;
      for await (const chunk of stream) {
        got += chunk.byteLength;
        if (got >= BYTES) break;
      }
      stream.send(Uint8Array.of(1));
      await stream.close();
    });
    const addr = server
      .getMultiaddrs()
      .find((a) => a.toString().includes(kind === 'ws' ? '/ws/' : '/webrtc-direct/'))!;
    const { conn } = await dialRetry(client, addr);
    const stream = await conn.newStream(BENCH_PROTOCOL);
    const t0 = performance.now();
    const answered = (async () => {
      for await (const _ of stream) return;
    })();
    for (let sent = 0; sent < BYTES; sent += PIECE) {
      if (!stream.send(payload)) await stream.onDrain();
    }
    await answered;
    return performance.now() - t0;
  } finally {
    await client.stop();
    await server.stop();
  }
}

async function dialTimes(kind: 'ws' | 'webrtc-direct'): Promise<number[]> {
  const server = await newNode(nodeListen('127.0.0.1', 0));
  const addr = multiaddr(
    server
      .getMultiaddrs()
      .find((a) => a.toString().includes(kind === 'ws' ? '/ws/' : '/webrtc-direct/'))!
      .toString(),
  );
  const out: number[] = [];
  try {
    for (let i = 0; i < DIALS; i++) {
      const client = await newNode([]);
      try {
        out.push(await attempt(`${kind} dial ${i + 1}`, async () => (await dialRetry(client, addr)).ms, NaN));
      } finally {
        await client.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return out;
}

/**
 * Memory per node, measured in a fresh process (bench/mesh/_memory.ts): the slope between 10 and 50
 * connected nodes, after forced GCs. In this process the RSS delta of a few unconnected nodes was
 * meaningless (−0.48 MB per node on 2026-11-28: the throughput rounds before it had freed more).
 */
async function memoryPerNode(): Promise<MemoryRow> {
  const script = join(dirname(fileURLToPath(import.meta.url)), '_memory.ts');
  const { stdout } = await execFileP(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    timeout: 300_000,
    maxBuffer: 1 << 20,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as MemoryRow;
}
type MemoryRow = {
  sizes: Array<{ nodes: number; rss: number; heap: number }>;
  rssPerNode: number;
  heapPerNode: number;
};

/**
 * WebRTC data channel message sizes compared (meshTransports' messageBytes). Only 16 KiB: at 64 KiB
 * node-datachannel ends the stream (see DATA_CHANNEL_MESSAGE_BYTES), so larger rows cannot finish.
 */
const MESSAGE_SIZES = [16 << 10];
const results = {
  raw: [] as number[],
  ws: [] as number[],
  rtc: Object.fromEntries(MESSAGE_SIZES.map((m) => [m, [] as number[]])) as Record<number, number[]>,
};
for (let r = 0; r < ROUNDS; r++) {
  results.raw.push(await attempt(`round ${r + 1} raw ws`, rawWs, NaN));
  results.ws.push(await attempt(`round ${r + 1} libp2p ws`, () => libp2pStream('ws'), NaN));
  for (const m of MESSAGE_SIZES) {
    results.rtc[m]!.push(
      await attempt(`round ${r + 1} libp2p webrtc-direct`, () => libp2pStream('webrtc-direct', m), NaN),
    );
  }
}
const mbps = (ms: number) => BYTES / 1e6 / (ms / 1000);
const rawMBps = mbps(median(results.raw));
const wsDials = await attempt('ws dials', () => dialTimes('ws'), []);
const rtcDials = await attempt('webrtc-direct dials', () => dialTimes('webrtc-direct'), []);
const mem = await attempt('memory per node', memoryPerNode, null);

const rows = [
  { name: 'raw WebSocket (ws), Node→Node, loopback', MBps: rawMBps, ratio: 1 },
  {
    name: 'libp2p stream on WebSocket, Node→Node',
    MBps: mbps(median(results.ws)),
    ratio: mbps(median(results.ws)) / rawMBps,
  },
  ...MESSAGE_SIZES.map((m) => ({
    name: `libp2p stream on webrtc-direct, Node→Node, ${m >> 10} KiB data channel messages${m === DATA_CHANNEL_MESSAGE_BYTES ? ' (default)' : ''}`,
    MBps: mbps(median(results.rtc[m]!)),
    ratio: mbps(median(results.rtc[m]!)) / rawMBps,
  })),
];
console.table(rows.map((r) => ({ ...r, MBps: r.MBps.toFixed(1), ratio: r.ratio.toFixed(2) })));
const dials = [
  {
    name: 'dial Node→Node over WebSocket',
    p50Ms: median(wsDials),
    p95Ms: quantile(wsDials, 0.95),
    n: wsDials.filter(Number.isFinite).length,
  },
  {
    name: 'dial Node→Node over webrtc-direct',
    p50Ms: median(rtcDials),
    p95Ms: quantile(rtcDials, 0.95),
    n: rtcDials.filter(Number.isFinite).length,
  },
];
console.table(dials.map((d) => ({ ...d, p50Ms: d.p50Ms.toFixed(0), p95Ms: d.p95Ms.toFixed(0) })));
if (mem !== null)
  console.log(
    `memory per connected mesh node (slope ${mem.sizes.map((x) => x.nodes).join('→')} nodes, fresh process): RSS +${(mem.rssPerNode / 1e6).toFixed(2)} MB, JS heap +${(mem.heapPerNode / 1e6).toFixed(2)} MB`,
  );

/** The 200-node gossip row of the last `npm run bench:mesh-inprocess` (its own date and load), if any. */
function gossip200(): Record<string, unknown> | null {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'mesh-inprocess.json');
  if (!existsSync(file)) return null;
  const j = JSON.parse(readFileSync(file, 'utf8')) as {
    date?: string;
    machine?: { loadavgStart?: number[] };
    sizes?: Array<Record<string, unknown> & { nodes?: number }>;
  };
  const row = j.sizes?.find((x) => x.nodes === 200);
  if (!row) return null;
  return {
    source: 'bench/results/mesh-inprocess.json',
    date: j.date,
    loadAverage1mAtStart: j.machine?.loadavgStart?.[0],
    propagationMedianMs: row['propagationMedianMs'],
    propagationMaxMs: row['propagationMaxMs'],
    delivered: row['delivered'],
    rssMbPerNode: row['rssMbPerNode'],
    heapMbPerNode: row['heapMbPerNode'],
  };
}

const out = process.argv.includes('--out')
  ? process.argv[process.argv.indexOf('--out') + 1]!
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'mesh.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      bench: 'bench/mesh/bench-mesh.ts',
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      loadAverage1m: loadavg()[0],
      method: `16 MiB in 64 KiB writes, median of ${ROUNDS} interleaved rounds; ${DIALS} fresh dials each; memory: slope between 10 and 50 connected nodes in a fresh process`,
      throughput: rows,
      rawMs: {
        raw: results.raw,
        ws: results.ws,
        ...Object.fromEntries(MESSAGE_SIZES.map((m) => [`webrtcDirect${m >> 10}k`, results.rtc[m]])),
      },
      dials,
      dialFailuresRetried: dialFailures,
      errors,
      memoryPerNode:
        mem === null
          ? null
          : { rssBytes: mem.rssPerNode, heapBytes: mem.heapPerNode, afterGc: true, sizes: mem.sizes },
      gossip200: gossip200(),
      notMeasured: [
        'gossip propagation at 200 nodes is not re-run here (≈ 7 min of 2 cores to build the mesh): `gossip200` is copied from bench/results/mesh-inprocess.json (npm run bench:mesh-inprocess) with its own date and load',
      ],
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
process.exit(0);
