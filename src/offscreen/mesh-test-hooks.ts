/**
 * Test-build handlers that drive the offscreen mesh node from end-to-end tests (messages
 * `test/mesh-*`). They refuse to run outside a test build. Chunk bytes are generated, stored and
 * verified in this document; only hashes and counts travel over runtime messages.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import type { Handlers } from '../messaging/messenger';
import type { MeshFetchRes } from '../messaging/protocol';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { dialDirect, DIAL_TIMEOUT_MS } from '../mesh/libp2p/live-mesh';
import { toHex } from '../mesh/protocol/chunk-exchange';
import type { MeshHost } from './mesh-host';

/** Test chunks: at most 64 of at most 1 MiB (the chunk exchange's block limit). */
const MAX_TEST_CHUNKS = 64;
const MAX_TEST_CHUNK_BYTES = 1 << 20;

export function testChunk(seed: number, index: number, bytes: number): Uint8Array {
  return blake3(new TextEncoder().encode(`inos-mesh-e2e:${seed}:${index}`), { dkLen: bytes });
}

/** A compressible test chunk: its label repeated to `bytes`. */
export function testTextChunk(seed: number, index: number, bytes: number): Uint8Array {
  const label = new TextEncoder().encode(`inos-mesh-e2e text ${seed} chunk ${index}; `);
  return Uint8Array.from({ length: bytes }, (_, i) => label[i % label.length] as number);
}

const fromHex = (hex: string): Uint8Array => {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`chunk hash ${JSON.stringify(hex)} is not 64 hex digits`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

export type MeshTestHandlers = Pick<
  Handlers<'offscreen'>,
  | 'test/mesh-put-chunks'
  | 'test/mesh-fetch'
  | 'test/mesh-progress'
  | 'test/mesh-adverts'
  | 'test/mesh-dht'
  | 'test/mesh-peer'
  | 'test/mesh-dial'
  | 'test/mesh-guard'
  | 'test/mesh-stream'
  | 'test/mesh-streams'
>;

const refused = (): never => {
  throw new Error('test hooks are not built into this extension');
};
/** What a build without test hooks (or without a mesh node) answers. */
export const NO_MESH_TEST_HANDLERS: MeshTestHandlers = {
  'test/mesh-put-chunks': refused,
  'test/mesh-fetch': refused,
  'test/mesh-progress': refused,
  'test/mesh-adverts': refused,
  'test/mesh-dht': refused,
  'test/mesh-peer': refused,
  'test/mesh-dial': refused,
  'test/mesh-guard': refused,
  'test/mesh-stream': refused,
  'test/mesh-streams': refused,
};

const BENCH_PROTOCOL = '/inos/bench/1';

/** A bench stream's server side: counts the bytes its first 4 (big-endian) announce, answers one byte. */
async function countAndAnswer(stream: Stream): Promise<void> {
  let got = 0;
  let want = Infinity;
  for await (const piece of stream) {
    if (want === Infinity) want = new DataView(piece.subarray(0, 4).slice().buffer).getUint32(0);
    got += piece.byteLength;
    if (got >= want) break;
  }
  stream.send(Uint8Array.of(1));
  await stream.close();
}
/** A bench stream carries at most this much (its 4-byte header says how much). */
const MAX_BENCH_STREAM_BYTES = 256 << 20;
/** test/mesh-streams: its own protocol, so test/mesh-stream's 'serve' stays independent. */
const BENCH_STREAMS_PROTOCOL = '/inos/bench-streams/1';
const MAX_BENCH_STREAMS = 16;

export function meshTestHandlers(mesh: MeshHost, enabled: () => boolean): MeshTestHandlers {
  const live = () => {
    if (!enabled()) throw new Error('test hooks are not built into this extension');
    const l = mesh.live;
    const node = mesh.node;
    if (l === null || node === null) throw new Error('the mesh node is not running (no bootstrap yet?)');
    return { live: l, node };
  };
  let progressBase = 0;
  const judged = { admitted: 0, refused: 0, abuse: 0, peers: new Set<string>() };
  let stopCounting = (): void => undefined;
  return {
    'test/mesh-guard': ({ op, exclude }) => {
      const { live: l } = live();
      if (op === 'start') {
        stopCounting();
        const skip = new Set(exclude ?? []);
        judged.admitted = judged.refused = judged.abuse = 0;
        judged.peers.clear();
        const offGuard = l.mesh.guard.observe(({ peer, what, admitted }) => {
          if (what !== 'stream' || skip.has(peer)) return;
          judged.peers.add(peer);
          if (admitted) judged.admitted++;
          else judged.refused++;
        });
        const offAbuse = l.port.onAbuse((peer) => {
          if (skip.has(peer)) return;
          judged.peers.add(peer);
          judged.abuse++;
        });
        stopCounting = () => {
          offGuard();
          offAbuse();
        };
      } else if (op !== 'read') throw new Error("op must be 'start' or 'read'");
      const { admitted, refused, abuse, peers } = judged;
      return { admitted, refused, abuse, peers: peers.size };
    },
    'test/mesh-put-chunks': async ({ seed, chunks, chunkBytes, announce, compressible }) => {
      const { live: l } = live();
      if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_TEST_CHUNKS)
        throw new Error(`chunks must be an integer 1-${MAX_TEST_CHUNKS}`);
      if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_TEST_CHUNK_BYTES)
        throw new Error(`chunkBytes must be an integer 1-${MAX_TEST_CHUNK_BYTES}`);
      const t0 = performance.now();
      const owner = mesh.chunkOwner();
      const hashes: string[] = [];
      for (let i = 0; i < chunks; i++)
        hashes.push(
          compressible === true
            ? await owner.putChunk(testTextChunk(seed, i, chunkBytes), { quality: 5 })
            : await owner.putChunk(testChunk(seed, i, chunkBytes)),
        );
      if (announce !== false) await l.mesh.chunks.announce(hashes.map(fromHex));
      return { hashes, ms: Math.round(performance.now() - t0) };
    },
    'test/mesh-fetch': async ({ hashes, parallel, timeoutMs }) => {
      const { live: l } = live();
      const keys = hashes.map(fromHex);
      progressBase = l.port.chunksOk;
      const before = { ...l.port.timings };
      const exBefore = { ...l.mesh.chunks.phases };
      const t0 = performance.now();
      const report = await l.mesh.chunks.fetch(keys, {
        parallel: parallel ?? 4,
        timeoutMs: timeoutMs ?? 10_000,
      });
      const ms = Math.round(performance.now() - t0);
      const after = l.port.timings;
      const exAfter = l.mesh.chunks.phases;
      const exchange = Object.fromEntries(
        Object.entries(exAfter).map(([k, v]) => [k, Math.round(v - exBefore[k as keyof typeof exBefore])]),
      );
      const phases = {
        requests: after.requests - before.requests,
        openMs: Math.round(after.openMs - before.openMs),
        writeMs: Math.round(after.writeMs - before.writeMs),
        readMs: Math.round(after.readMs - before.readMs),
        closeMs: Math.round(after.closeMs - before.closeMs),
      };
      const owner = mesh.chunkOwner();
      const hasher = blake3.create();
      let bytes = 0;
      let storeMs = 0;
      for (const h of hashes) {
        const chunk = report.chunks.get(h);
        if (chunk === undefined) continue;
        // Re-verify independently of the exchange, then keep it: we can serve it from now on.
        if (toHex(blake3(chunk)) !== h) throw new Error(`chunk ${h} does not hash to its address`);
        hasher.update(chunk);
        bytes += chunk.length;
        const s0 = performance.now();
        await owner.putChunk(chunk);
        storeMs += performance.now() - s0;
      }
      const byPeer: MeshFetchRes['byPeer'] = {};
      for (const a of report.attempts) {
        const e = (byPeer[a.peer] ??= { ok: 0, failed: [] });
        if (a.result === 'ok') e.ok++;
        else e.failed.push(a.result);
      }
      return {
        ok: report.chunks.size,
        failed: [...report.failed].map(([hash, err]) => ({ hash, error: err.message })),
        bytes,
        digest: toHex(hasher.digest()),
        byPeer,
        ms,
        phases,
        exchange,
        storeMs: Math.round(storeMs),
      };
    },
    'test/mesh-progress': () => {
      const { port, mesh: node } = live().live;
      return {
        chunksOk: port.chunksOk - progressBase,
        served: { ...port.served },
        exchange: { ...node.chunks.phases },
        read: { ...mesh.chunkOwner().readTimings },
      };
    },
    'test/mesh-adverts': () => {
      const { live: l } = live();
      const peers = l.mesh.adverts.known();
      const capsules: Record<string, string[]> = {};
      const workers: Record<string, number> = {};
      for (const p of peers) {
        const a = l.mesh.adverts.get(p);
        if (a === undefined) continue;
        capsules[p] = a.capsules.map((c) => c.name);
        workers[p] = a.workers;
      }
      return { peers, capsules, workers, refreshes: l.counters.refreshes };
    },
    'test/mesh-dial': async ({ peer, addr }) => {
      const { node } = live();
      const id = peerIdFromString(peer);
      await node.hangUp(id);
      const t0 = performance.now();
      const conn =
        addr === undefined
          ? await dialDirect(node, id)
          : await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
      return { ms: Math.round(performance.now() - t0), remoteAddr: conn.remoteAddr.toString() };
    },
    'test/mesh-stream': async (req) => {
      const { node } = live();
      if (req.op === 'serve') {
        await node.handle(BENCH_PROTOCOL, countAndAnswer, { force: true });
        return { ms: 0, remoteAddr: '' };
      }
      const { peer, bytes, pieceBytes } = req;
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_BENCH_STREAM_BYTES)
        throw new Error(`bytes must be an integer in 1..${MAX_BENCH_STREAM_BYTES}`);
      if (!Number.isInteger(pieceBytes) || pieceBytes < 4 || pieceBytes > 1 << 20)
        throw new Error('pieceBytes must be an integer in 4..1048576');
      const id = peerIdFromString(peer);
      const conn =
        req.addr === undefined
          ? await dialDirect(node, id)
          : (node
              .getConnections(id)
              .find((c) => c.status === 'open' && req.addr!.startsWith(c.remoteAddr.toString())) ??
            (await node.dial(multiaddr(req.addr), {
              force: true,
              signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
            })));
      const stream = await conn.newStream(BENCH_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
      const piece = new Uint8Array(pieceBytes).map((_, i) => i & 0xff);
      const first = piece.slice();
      new DataView(first.buffer).setUint32(0, bytes);
      const t0 = performance.now();
      const answered = (async () => {
        for await (const _ of stream) return;
      })();
      for (let sent = 0; sent < bytes; sent += pieceBytes) {
        const p = sent === 0 ? first : piece;
        if (!stream.send(bytes - sent < pieceBytes ? p.subarray(0, bytes - sent) : p)) await stream.onDrain();
      }
      await answered;
      const ms = Math.round(performance.now() - t0);
      await stream.close().catch(() => undefined);
      return { ms, remoteAddr: conn.remoteAddr.toString() };
    },
    'test/mesh-streams': async (req) => {
      const { node } = live();
      if (req.op === 'serve') {
        await node.handle(BENCH_STREAMS_PROTOCOL, countAndAnswer, {
          force: true,
          maxInboundStreams: 2 * MAX_BENCH_STREAMS,
        });
        return { ms: 0, remoteAddr: '', perStreamMs: [] };
      }
      const { peer, bytes, pieceBytes, streams } = req;
      if (!Number.isInteger(streams) || streams < 1 || streams > MAX_BENCH_STREAMS)
        throw new Error(`streams must be an integer in 1..${MAX_BENCH_STREAMS}`);
      if (!Number.isInteger(bytes) || bytes < streams || bytes > MAX_BENCH_STREAM_BYTES)
        throw new Error(`bytes must be an integer in streams..${MAX_BENCH_STREAM_BYTES}`);
      if (!Number.isInteger(pieceBytes) || pieceBytes < 4 || pieceBytes > 1 << 20)
        throw new Error('pieceBytes must be an integer in 4..1048576');
      const conn = await dialDirect(node, peerIdFromString(peer));
      const opened = await Promise.all(
        Array.from({ length: streams }, () =>
          conn.newStream(BENCH_STREAMS_PROTOCOL, {
            signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
            maxOutboundStreams: 2 * MAX_BENCH_STREAMS,
          }),
        ),
      );
      const piece = new Uint8Array(pieceBytes).map((_, i) => i & 0xff);
      const t0 = performance.now();
      const perStreamMs = await Promise.all(
        opened.map(async (stream, i) => {
          // Stream i carries its share of `bytes` (the first ones one byte more when uneven).
          const share = Math.floor(bytes / streams) + (i < bytes % streams ? 1 : 0);
          const first = piece.slice();
          new DataView(first.buffer).setUint32(0, share);
          const answered = (async () => {
            for await (const _ of stream) return;
          })();
          for (let sent = 0; sent < share; sent += pieceBytes) {
            const p = sent === 0 ? first : piece;
            if (!stream.send(share - sent < pieceBytes ? p.subarray(0, share - sent) : p))
              await stream.onDrain();
          }
          await answered;
          return Math.round(performance.now() - t0);
        }),
      );
      const ms = Math.round(performance.now() - t0);
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      return { ms, remoteAddr: conn.remoteAddr.toString(), perStreamMs };
    },
    'test/mesh-peer': ({ peer }) => {
      const { live: l, node } = live();
      const r = l.mesh.reputation.inspect(peer);
      const conns = node.getConnections().filter((c) => c.remotePeer.toString() === peer);
      return {
        score: r?.score ?? 0.5,
        bannedUntil: r?.bannedUntil ?? 0,
        connections: conns.length,
        addrs: node.getMultiaddrs().map(String),
      };
    },
    'test/mesh-dht': async ({ op, key, value }) => {
      const { node } = live();
      if (!/^[a-z0-9-]{1,64}$/.test(key)) throw new Error('key must be 1-64 of [a-z0-9-]');
      const k = new TextEncoder().encode(`/inos/${key}`);
      const signal = AbortSignal.timeout(20_000);
      if (op === 'put') {
        if (typeof value !== 'string') throw new Error('put needs a string value');
        for await (const _ of node.services.dht.put(k, new TextEncoder().encode(value), { signal })) void _;
        return { value };
      }
      for await (const ev of node.services.dht.get(k, { signal }))
        if (ev.name === 'VALUE') return { value: new TextDecoder().decode(ev.value) };
      return { value: null };
    },
  };
}
