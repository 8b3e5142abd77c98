/**
 * bench:mesh (browser part): an `inos node` on loopback, two Chromium profiles with the test build,
 * and a Node mesh peer in this process. Measures, in one run:
 * - dial time browser→browser (relay reservation, then the WebRTC upgrade) and browser→Node
 *   (webrtc-direct), p50/p95 over fresh dials (each closes the previous connection first);
 * - throughput of a 16 MiB chunk set browser→browser (chunk exchange, 1 MiB chunks, 4 in flight)
 *   and browser→Node (the Node peer fetches the same set from a browser);
 * - the reference: 16 MiB over a raw WebSocket from a page of the same browser to a `ws` server here.
 * Appends its rows to bench/results/mesh.json (written by bench-mesh.ts, run first).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { blake3 } from '@noble/hashes/blake3.js';
import { multiaddr } from '@multiformats/multiaddr';
import type { ExtensionUnderTest } from '../../tests/e2e/_extension.ts';
import { createMeshNode } from '../../src/mesh/libp2p/create-node.ts';
import { BanList, Libp2pPort } from '../../src/mesh/libp2p/libp2p-port.ts';
import { startLiveMesh } from '../../src/mesh/libp2p/live-mesh.ts';
import { installNodePolyfills } from '../../src/mesh/libp2p/node-polyfills.ts';
import { meshTransports, nodeListen } from '../../src/mesh/libp2p/transports.ts';
import { MemoryReputationStore } from '../../src/mesh/protocol/reputation-store.ts';
import { toHex } from '../../src/mesh/protocol/chunk-exchange.ts';
import { testChunk } from '../../src/offscreen/mesh-test-hooks.ts';
import { dialReported } from './_dial.ts';
import { closeRawDc, connectRawDc, rawDcSend } from './_raw-dc.ts';
import { connectRawDcToNode } from './_raw-dc-node.ts';
import { peerIdFromString } from '@libp2p/peer-id';
import { rawWsReference } from './_raw-ws.ts';
import { startRelayAndBrowsers } from './_browsers.ts';

installNodePolyfills();
const BYTES = 16 << 20;
const CHUNKS = 16;
const DIALS = Number(process.env['MESH_BENCH_DIALS'] ?? 8);
/** Interleaved rounds of the layer rows (raw WebSocket, raw data channel, bare libp2p stream). */
const LAYER_ROUNDS = Number(process.env['MESH_BENCH_LAYER_ROUNDS'] ?? 3);
const RESULTS =
  process.env['MESH_BENCH_OUT'] ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'mesh.json');
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const median = (xs: number[]) => quantile(xs.filter(Number.isFinite), 0.5);
const mbps = (ms: number) => BYTES / 1e6 / (ms / 1000);
type Served = { requests: number; handlerMs: number; writeMs: number; closeMs: number };
type Phases = Record<string, number>;
/** Per-phase ms (and counts) between two readings of ExchangePhases / ReadTimings. */
const diffPhases = (before: Phases | undefined, after: Phases | undefined): Phases =>
  Object.fromEntries(Object.entries(after ?? {}).map(([k, v]) => [k, Math.round(v - (before?.[k] ?? 0))]));
/** What a provider's answering cost between two readings (ms summed over requests). */
function diffServed(before: Served | undefined, after: Served | undefined) {
  const z: Served = { requests: 0, handlerMs: 0, writeMs: 0, closeMs: 0 };
  const a = after ?? z;
  const b = before ?? z;
  return {
    after: a,
    diff: {
      requests: a.requests - b.requests,
      handlerMs: Math.round(a.handlerMs - b.handlerMs),
      writeMs: Math.round(a.writeMs - b.writeMs),
      closeMs: Math.round(a.closeMs - b.closeMs),
    },
  };
}

const setup = await startRelayAndBrowsers(2, 'mesh');
const { relay: ws, browsers, ids } = setup;
try {
  const [a, b] = browsers as [ExtensionUnderTest, ExtensionUnderTest];

  // The Node peer: a full live mesh with webrtc-direct and ws listeners, a DHT client of the node.
  const bans = new BanList();
  const peer = await createMeshNode({
    secretKey: new Uint8Array(randomBytes(32)),
    transports: meshTransports([]),
    listen: nodeListen('127.0.0.1', 0),
    dhtServer: false,
    allowPrivateAddresses: true,
    denyPeer: bans.has,
  });
  const live = await startLiveMesh({
    node: peer,
    port: new Libp2pPort(peer, bans),
    source: { get: () => undefined },
    store: new MemoryReputationStore(),
    advert: () => null,
  });
  // Retried as the product does (bench/mesh/_dial.ts); a dial that fails every attempt is reported
  // (the browsers still reach the Node peer over webrtc-direct), never a rejected top-level await.
  const errors: string[] = [];
  const toNode = await dialReported(peer, multiaddr(ws), { tries: 4, timeoutMs: 15_000 });
  for (const f of toNode.failures) console.log(`Node peer → inos node dial ${f}`);
  if (!toNode.ok) errors.push(`Node peer → inos node: ${toNode.error}`);
  const peerDirect = peer
    .getMultiaddrs()
    .map(String)
    .find((m) => m.includes('/webrtc-direct/'))!;
  const peerWs = peer
    .getMultiaddrs()
    .map(String)
    .find((m) => m.includes('/ws/'))!;
  // The bare-stream layer at the Node peer: what test/mesh-stream 'serve' does in a browser. The
  // header is read at the piece's own offset: in Node a piece can be a Buffer view of a larger pooled
  // ArrayBuffer, and Buffer#slice does not copy (a first version read the pool's first 4 bytes as the
  // length, answered after a fraction of the 16 MiB and reported 266 MB/s over WebSocket). Each
  // transfer's received byte count is checked below.
  const nodeReceived: number[] = [];
  await peer.handle(
    '/inos/bench/1',
    async (stream) => {
      let got = 0;
      let want = Infinity;
      for await (const piece of stream) {
        if (want === Infinity) {
          const head = piece.subarray(0, 4);
          want = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
        }
        got += piece.byteLength;
        if (got >= want) break;
      }
      nodeReceived.push(got);
      stream.send(Uint8Array.of(1));
      await stream.close();
    },
    { force: true },
  );

  // Dials: interleaved browser→browser and browser→Node.
  const b2b: number[] = [];
  const b2n: number[] = [];
  const failures = { b2b: 0, b2n: 0 };
  for (let i = 0; i < DIALS; i++) {
    try {
      // B's address through the relay: browsers are DHT clients, so the DHT cannot find B by PeerId.
      const viaRelay = `${ws}/p2p-circuit/webrtc/p2p/${ids[1]!}`;
      b2b.push((await a.askOffscreen('test/mesh-dial', { peer: ids[1]!, addr: viaRelay })).ms);
    } catch (err) {
      failures.b2b++;
      errors.push(`b2b: ${String(err).slice(0, 200)}`);
    }
    try {
      b2n.push(
        (await a.askOffscreen('test/mesh-dial', { peer: peer.peerId.toString(), addr: peerDirect })).ms,
      );
    } catch (err) {
      failures.b2n++;
      errors.push(`b2n: ${String(err).slice(0, 200)}`);
    }
  }

  // Which transport the product picks to a Node peer that listens on both /ws and /webrtc-direct:
  // A learnt both addresses from identify on the dials above; test/mesh-dial without `addr` hangs up
  // and dials by PeerId through dialDirect (what the chunk exchange and rpc do), libp2p sorting them.
  const productDial = await a
    .askOffscreen('test/mesh-dial', { peer: peer.peerId.toString() })
    .catch((err: unknown) => ({ ms: NaN, remoteAddr: `failed: ${String(err).slice(0, 200)}` }));
  console.log(`browser → Node peer by PeerId (both addresses known): ${productDial.remoteAddr}`);

  // Throughput: B holds the set; A fetches it (browser→browser); the Node peer fetches it (browser→Node).
  const put = await b.askOffscreen('test/mesh-put-chunks', {
    seed: 7,
    chunks: CHUNKS,
    chunkBytes: BYTES / CHUNKS,
  });
  const progressBefore = await b.askOffscreen('test/mesh-progress', undefined);
  const servedBefore = progressBefore.served;
  const fetchB2B = await a.askOffscreen('test/mesh-fetch', {
    hashes: put.hashes,
    parallel: 4,
    timeoutMs: 60_000,
  });
  // A stored what it fetched but announced nothing: B is the only provider the Node peer finds.
  const progressB2B = await b.askOffscreen('test/mesh-progress', undefined);
  const servedB2B = diffServed(servedBefore, progressB2B.served);
  const providerB2B = {
    exchange: diffPhases(progressBefore.exchange, progressB2B.exchange),
    storeRead: diffPhases(progressBefore.read, progressB2B.read),
  };
  const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
  const nodeBefore = { ...live.port.timings };
  const nodeExBefore = { ...live.mesh.chunks.phases };
  const t0 = performance.now();
  const rep = await live.mesh.chunks.fetch(put.hashes.map(fromHex), { parallel: 4, timeoutMs: 60_000 });
  const b2nMs = performance.now() - t0;
  const progressB2N = await b.askOffscreen('test/mesh-progress', undefined);
  const servedB2N = diffServed(servedB2B.after, progressB2N.served);
  const providerB2N = {
    exchange: diffPhases(progressB2B.exchange, progressB2N.exchange),
    storeRead: diffPhases(progressB2B.read, progressB2N.read),
  };
  const nodeExchange = diffPhases(nodeExBefore, { ...live.mesh.chunks.phases });
  const nodeAfter = live.port.timings;
  const phasesB2N = {
    requests: nodeAfter.requests - nodeBefore.requests,
    openMs: Math.round(nodeAfter.openMs - nodeBefore.openMs),
    writeMs: Math.round(nodeAfter.writeMs - nodeBefore.writeMs),
    readMs: Math.round(nodeAfter.readMs - nodeBefore.readMs),
    closeMs: Math.round(nodeAfter.closeMs - nodeBefore.closeMs),
  };
  const whole = blake3.create();
  for (let i = 0; i < CHUNKS; i++) whole.update(testChunk(7, i, BYTES / CHUNKS));
  const okB2N = rep.chunks.size === CHUNKS && put.hashes.every((h) => rep.chunks.has(h));
  const bId = peerIdFromString(ids[1]!);
  const b2nConns = peer.getConnections(bId).map((c) => c.remoteAddr.toString());
  // The same over WebSocket: B dials the Node peer's /ws address (test/mesh-dial hangs up first), and
  // the Node peer fetches a fresh set over that connection (dialDirect reuses an open direct one).
  const b2nWsDial = await b
    .askOffscreen('test/mesh-dial', { peer: peer.peerId.toString(), addr: peerWs })
    .catch((err: unknown) => ({ ms: NaN, remoteAddr: `failed: ${String(err).slice(0, 200)}` }));
  const putWs = await b.askOffscreen('test/mesh-put-chunks', {
    seed: 10,
    chunks: CHUNKS,
    chunkBytes: BYTES / CHUNKS,
  });
  const tWs = performance.now();
  const repWs = await live.mesh.chunks.fetch(putWs.hashes.map(fromHex), { parallel: 4, timeoutMs: 60_000 });
  const b2nWsMs = performance.now() - tWs;
  const b2nWsConns = peer.getConnections(bId).map((c) => c.remoteAddr.toString());
  const okB2NWs = repWs.chunks.size === CHUNKS && putWs.hashes.every((h) => repWs.chunks.has(h));
  const b2nProviders = [...new Set(rep.attempts.filter((t) => t.result === 'ok').map((t) => t.peer))].map(
    (p) => (p === ids[0] ? 'A' : p === ids[1] ? 'B' : p),
  );

  // Reference: raw WebSocket, page in browser A → ws server here, 16 MiB in 64 KiB messages.
  const rawWs = await rawWsReference(a.context, BYTES);
  const rawWsMs = () => rawWs.ms();

  // The layers, in interleaved rounds (machine load hits them alike): raw WebSocket (reference), a
  // raw RTCDataChannel between two documents of the two profiles (no libp2p; bench/mesh/_raw-dc.ts)
  // at 16/64/256 KiB messages, and one bare libp2p stream A→B over their WebRTC connection
  // (test/mesh-stream, 64 KiB writes that @libp2p/webrtc cuts into its 16 KiB messages).
  const dcA = await a.context.newPage();
  const dcB = await b.context.newPage();
  await connectRawDc(dcA, dcB);
  await b.askOffscreen('test/mesh-stream', { op: 'serve' });
  // Browser→Node: a raw data channel from a page of A to node-datachannel here (webrtc-direct's
  // platform), and bare libp2p streams from A's offscreen node to the Node peer over each transport.
  const dcN = await a.context.newPage();
  const dcNode = await connectRawDcToNode(dcN);
  const layers: Record<string, number[]> = {
    ws: [],
    dc16: [],
    dc64: [],
    dc256: [],
    stream: [],
    dcNode16: [],
    dcNode64: [],
    streamNodeWs: [],
    streamNodeDirect: [],
    streamNodeWsFit: [],
  };
  const nodeStreamAddr: Record<string, string> = {};
  const toNodeStream = async (key: string, addr: string, pieceBytes = 64 << 10) => {
    const st = await a
      .askOffscreen('test/mesh-stream', {
        op: 'send',
        peer: peer.peerId.toString(),
        bytes: BYTES,
        pieceBytes,
        addr,
      })
      .catch((err: unknown) => {
        errors.push(`libp2p stream ${key}: ${String(err).slice(0, 200)}`);
        return { ms: NaN, remoteAddr: '' };
      });
    const got = nodeReceived.pop();
    if (Number.isFinite(st.ms) && got !== BYTES) {
      errors.push(`libp2p stream ${key}: the Node peer answered after ${got} of ${BYTES} bytes`);
      st.ms = NaN;
    }
    layers[key]!.push(st.ms);
    nodeStreamAddr[key] = st.remoteAddr || (nodeStreamAddr[key] ?? '');
  };
  const layerLoad: number[] = [];
  let streamAddr = '';
  for (let round = 0; round < LAYER_ROUNDS; round++) {
    layerLoad.push(loadavg()[0] ?? NaN);
    layers['ws']!.push(await rawWsMs());
    layers['dc16']!.push(await rawDcSend(dcA, BYTES, 16 << 10));
    layers['dc64']!.push(await rawDcSend(dcA, BYTES, 64 << 10));
    layers['dc256']!.push(await rawDcSend(dcA, BYTES, 256 << 10));
    const st = await a
      .askOffscreen('test/mesh-stream', { op: 'send', peer: ids[1]!, bytes: BYTES, pieceBytes: 64 << 10 })
      .catch((err: unknown) => {
        errors.push(`libp2p stream: ${String(err).slice(0, 200)}`);
        return { ms: NaN, remoteAddr: '' };
      });
    layers['stream']!.push(st.ms);
    streamAddr = st.remoteAddr || streamAddr;
    layers['dcNode16']!.push(await rawDcSend(dcN, BYTES, 16 << 10));
    layers['dcNode64']!.push(await rawDcSend(dcN, BYTES, 64 << 10));
    await toNodeStream('streamNodeWs', peerWs);
    await toNodeStream('streamNodeDirect', peerDirect);
    // 65507-byte writes: with yamux's 12-byte header a frame is 65519 bytes, noise's largest
    // plaintext, so each write is one noise message; a 64 KiB write is two (65519 + 29 bytes).
    await toNodeStream('streamNodeWsFit', peerWs, 65507);
  }
  await closeRawDc(dcA, dcB, dcN);
  dcNode.close();
  rawWs.close();
  const rawMs = median(layers['ws']!);
  const layerRows = [
    ['raw WebSocket, browser page → Node, 64 KiB messages (reference)', 'ws'],
    ['raw RTCDataChannel, document → document (2 profiles), 16 KiB messages', 'dc16'],
    ['raw RTCDataChannel, document → document (2 profiles), 64 KiB messages', 'dc64'],
    ['raw RTCDataChannel, document → document (2 profiles), 256 KiB messages', 'dc256'],
    ['libp2p stream browser→browser (WebRTC, 16 KiB messages), no chunk exchange', 'stream'],
    ['raw RTCDataChannel, browser page → Node (node-datachannel), 16 KiB messages', 'dcNode16'],
    ['raw RTCDataChannel, browser page → Node (node-datachannel), 64 KiB messages', 'dcNode64'],
    ['libp2p stream browser→Node over WebSocket (noise + yamux), no chunk exchange', 'streamNodeWs'],
    [
      'libp2p stream browser→Node over webrtc-direct (16 KiB messages), no chunk exchange',
      'streamNodeDirect',
    ],
    [
      'diagnostic: libp2p stream browser→Node over WebSocket, 65507-byte writes (one noise message each)',
      'streamNodeWsFit',
    ],
  ].map(([name, key]) => ({
    name: name!,
    MBps: mbps(median(layers[key!]!)),
    ratio: rawMs / median(layers[key!]!),
    vsRawDc16: median(layers['dc16']!) / median(layers[key!]!),
    // Browser→Node rows against their own platform layer: the raw data channel page → node-datachannel.
    ...(key === 'streamNodeDirect'
      ? { vsRawDcNode16: median(layers['dcNode16']!) / median(layers[key]!) }
      : {}),
    // Against the raw WebSocket of the same round (load hits both alike).
    ratioPerRound: layers[key!]!.map((ms, i) => (layers['ws']![i] ?? NaN) / ms),
    ...(key!.startsWith('streamNode') ? { remoteAddr: nodeStreamAddr[key!] ?? '' } : {}),
    ms: layers[key!]!.map(Math.round),
  }));

  // Diagnostics, after the reference: the same browser→browser transfer of fresh sets (a) with 8
  // wants in flight (the exchange's MAX_PIPELINED) and (b) at 4 in flight with both browsers'
  // contribution off (no worker pool competing with the documents for the 2 cores).
  const b2bAgain = async (seed: number, parallel: number) => {
    const set = await b.askOffscreen('test/mesh-put-chunks', {
      seed,
      chunks: CHUNKS,
      chunkBytes: BYTES / CHUNKS,
    });
    const f = await a.askOffscreen('test/mesh-fetch', { hashes: set.hashes, parallel, timeoutMs: 60_000 });
    const all = blake3.create();
    for (let i = 0; i < CHUNKS; i++) all.update(testChunk(seed, i, BYTES / CHUNKS));
    return { f, ok: f.ok === CHUNKS && f.digest === toHex(all.digest()) };
  };
  const eight = await b2bAgain(8, 8);
  for (const x of browsers) await x.ask('contribute/set', { on: false });
  const idle = await b2bAgain(9, 4);
  for (const x of browsers) await x.ask('contribute/set', { on: true });
  const diagRow = (name: string, r: typeof eight) => ({
    name,
    MBps: mbps(r.f.ms) * (r.f.bytes / BYTES),
    ratio: (mbps(r.f.ms) * (r.f.bytes / BYTES)) / mbps(rawMs),
    chunksOk: r.f.ok,
    ok: r.ok,
    failed: r.f.failed.map((x) => x.error.slice(0, 200)),
    requester: { exchange: r.f.exchange },
  });

  const rawMBps = mbps(rawMs);
  const dc16MBps = mbps(median(layers['dc16']!));
  const rows = [
    { name: 'raw WebSocket, browser page → Node, loopback (reference)', MBps: rawMBps, ratio: 1 },
    {
      name: 'chunk exchange browser→browser (WebRTC), 16 × 1 MiB, 4 in flight',
      // Delivered bytes only: a transfer that lost chunks is not counted as if it moved them all.
      MBps: mbps(fetchB2B.ms) * (fetchB2B.bytes / BYTES),
      ratio: (mbps(fetchB2B.ms) * (fetchB2B.bytes / BYTES)) / rawMBps,
      chunksOk: fetchB2B.ok,
      ok: fetchB2B.ok === CHUNKS && fetchB2B.digest === toHex(whole.digest()),
      failed: fetchB2B.failed.map((f) => f.error.slice(0, 200)),
      requester: { ...fetchB2B.phases, exchange: fetchB2B.exchange, storeWriteMs: fetchB2B.storeMs },
      provider: { ...servedB2B.diff, ...providerB2B },
    },
    {
      name: 'chunk exchange browser→Node (WebRTC), 16 × 1 MiB, 4 in flight',
      MBps: mbps(b2nMs) * (rep.chunks.size / CHUNKS),
      ratio: (mbps(b2nMs) * (rep.chunks.size / CHUNKS)) / rawMBps,
      chunksOk: rep.chunks.size,
      ok: okB2N,
      failed: [...rep.failed.values()].map((e) => `${e.code}: ${e.message}`.slice(0, 200)),
      providers: b2nProviders,
      connections: b2nConns,
      requester: { ...phasesB2N, exchange: nodeExchange },
      provider: { ...servedB2N.diff, ...providerB2N },
    },
    diagRow('diagnostic: browser→browser, 16 × 1 MiB, 8 in flight', eight),
    diagRow('diagnostic: browser→browser, 4 in flight, both browsers not contributing', idle),
    {
      name: 'chunk exchange browser→Node over WebSocket (B dialled the Node peer), 16 × 1 MiB, 4 in flight',
      MBps: mbps(b2nWsMs) * (repWs.chunks.size / CHUNKS),
      ratio: (mbps(b2nWsMs) * (repWs.chunks.size / CHUNKS)) / rawMBps,
      chunksOk: repWs.chunks.size,
      ok: okB2NWs,
      failed: [...repWs.failed.values()].map((e) => `${e.code}: ${e.message}`.slice(0, 200)),
      dialRemoteAddr: b2nWsDial.remoteAddr,
      connections: b2nWsConns,
    },
  ];
  const dials = [
    {
      name: 'dial browser→browser (relay + WebRTC upgrade)',
      p50Ms: quantile(b2b, 0.5),
      p95Ms: quantile(b2b, 0.95),
      n: b2b.length,
      failed: failures.b2b,
    },
    {
      name: 'dial browser→Node (webrtc-direct)',
      p50Ms: quantile(b2n, 0.5),
      p95Ms: quantile(b2n, 0.95),
      n: b2n.length,
      failed: failures.b2n,
    },
  ];
  // Each layer against the raw WebSocket and against the raw data channel at 16 KiB (what libp2p sends).
  const chunkLayer = (r: (typeof rows)[number]) => ({
    name: r.name,
    MBps: r.MBps,
    ratio: r.ratio,
    vsRawDc16: r.MBps / dc16MBps,
  });
  const layered = [...layerRows, chunkLayer(rows[1]!), chunkLayer(rows[2]!), chunkLayer(rows[5]!)];
  console.table(
    layered.map((r) => ({
      name: r.name,
      MBps: r.MBps.toFixed(2),
      'vs raw ws': r.ratio.toFixed(2),
      'vs raw DC 16 KiB': r.vsRawDc16.toFixed(2),
    })),
  );
  console.table(rows.map((r) => ({ name: r.name, MBps: r.MBps.toFixed(2), ratio: r.ratio.toFixed(2) })));
  console.log(JSON.stringify(rows.slice(1), null, 1));
  // Where the time went, ms summed over the 16 chunks (pipelined chunks overlap: sums can exceed the wall).
  const phaseRow = (r: (typeof rows)[number]) => {
    const p = r as { provider?: Record<string, unknown>; requester?: Record<string, unknown> };
    const pe = (p.provider?.['exchange'] ?? {}) as Phases;
    const pr = (p.provider?.['storeRead'] ?? {}) as Phases;
    const re = (p.requester?.['exchange'] ?? {}) as Phases;
    return {
      name: r.name.slice(0, 32),
      'store load': pr['loadMs'],
      decrypt: pr['decryptMs'],
      decompress: pr['decompressMs'],
      'store hash': pr['hashMs'],
      'source (all)': pe['sourceMs'],
      encode: pe['encodeMs'],
      send: pe['sendMs'],
      'want→answer': re['waitMs'],
      decode: re['decodeMs'],
      'verify BLAKE3': re['verifyMs'],
      'store write': p.requester?.['storeWriteMs'] as number | undefined,
    };
  };
  console.table(rows.slice(1).map(phaseRow));
  console.table(dials);
  const json = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
  json['browser'] = {
    date: new Date().toISOString(),
    loadAverage1m: loadavg()[0],
    throughput: rows,
    layers: {
      method: `16 MiB per row, median of ${LAYER_ROUNDS} interleaved rounds; load per round ${layerLoad.map((l) => l.toFixed(1)).join(' ')}`,
      streamRemoteAddr: streamAddr,
      productDialToNode: productDial,
      rows: layered,
    },
    dials,
    dialErrors: errors,
  };
  if (errors.length > 0) console.log(errors.join('\n'));
  writeFileSync(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`updated ${RESULTS}`);
  await live.stop();
  await peer.stop();
} finally {
  await setup.close();
}
process.exit(0);
