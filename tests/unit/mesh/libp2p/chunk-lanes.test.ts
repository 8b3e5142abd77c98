/**
 * Chunk exchange /inos/chunks/2 on real libp2p nodes (memory transport): many wants share one
 * long-lived stream per provider, pipelined, answered by requestId; a provider that only speaks
 * /inos/chunks/1 (an older peer) is still fetched from, one stream per chunk; a provider whose lane
 * answers garbage is penalised and the chunk comes from another.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Libp2pPort } from '../../../../src/mesh/libp2p/libp2p-port.ts';
import { ChunkExchange, toHex } from '../../../../src/mesh/protocol/chunk-exchange.ts';
import { PeerGuard } from '../../../../src/mesh/protocol/guard.ts';
import { CHUNKS_PROTOCOL_V2 } from '../../../../src/mesh/protocol/ids.ts';
import type { MeshPort } from '../../../../src/mesh/protocol/port.ts';
import { Reputation } from '../../../../src/mesh/protocol/reputation.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { memoryNode, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0x1a4e5);
const rand = prng(SEED);

const peers: MemoryNode[] = [];
const makePeer = (i: number) => memoryNode({ name: `lanes-${SEED}-${i}`, rand, dhtServer: true });

/** A port as an older peer has it: no channels, so it serves /inos/chunks/1 only. */
function v1Only(port: Libp2pPort): MeshPort {
  return {
    self: port.self,
    now: () => port.now(),
    publish: (t, d) => port.publish(t, d),
    subscribe: (t, h) => port.subscribe(t, h),
    request: (p, pr, f, o) => port.request(p, pr, f, o),
    handle: (pr, h, o) => port.handle(pr, h, o),
    provide: (k) => port.provide(k),
    findProviders: (k, o) => port.findProviders(k, o),
    peers: () => port.peers(),
    disconnect: (p) => port.disconnect(p),
    ban: (p, u) => port.ban(p, u),
    onAbuse: (h) => port.onAbuse(h),
  };
}

function exchange(port: MeshPort, chunks: Map<string, Uint8Array>) {
  const reputation = new Reputation({ now: Date.now });
  const guard = new PeerGuard(Date.now, reputation);
  const ex = new ChunkExchange(port, reputation, guard, { get: (h) => chunks.get(toHex(h)) }, rand);
  return { ex, reputation, stop: ex.serve() };
}

const chunks = Array.from({ length: 12 }, (_, i) =>
  Uint8Array.from({ length: 40_000 + i * 1000 }, () => (rand() * 256) >>> 0),
);
const hashes = chunks.map((c) => blake3(c));
const all = new Map(chunks.map((c, i) => [toHex(hashes[i]!), c]));

beforeAll(async () => {
  console.log(`[chunk-lanes] seed=${SEED}`);
  for (let i = 0; i < 3; i++) peers.push(await makePeer(i));
  for (const i of [1, 2]) await peers[0]!.node.dial(peers[i]!.addr);
}, 60_000);
afterAll(async () => void (await Promise.all(peers.map((p) => p.node.stop()))), 60_000);

describe(`chunk exchange lanes (/inos/chunks/2) on real libp2p nodes (seed ${SEED})`, () => {
  it('pipelines every want to a provider over one stream; an /inos/chunks/1 peer is still served', async () => {
    const [fetcher, provider, older] = [peers[0]!, peers[1]!, peers[2]!];
    const f = exchange(fetcher.port, new Map());
    const p = exchange(provider.port, all);
    const o = exchange(v1Only(older.port), all);
    let opened = 0;
    const streamsBefore = provider.port.served.requests;
    const served: number[] = [];
    p.ex.onTransfers = (n) => served.push(n);
    try {
      const report = await f.ex.fetch(hashes, { from: [provider.port.self], parallel: 4, timeoutMs: 20_000 });
      // Block wants served over the lane are counted as transfers until written, and all end.
      expect(Math.max(...served)).toBeGreaterThan(0);
      await vi.waitFor(() => expect(p.ex.activeTransfers).toBe(0), { timeout: 10_000 });
      expect(served.at(-1)).toBe(0);
      expect(f.ex.activeTransfers).toBe(0);
      expect(report.failed.size).toBe(0);
      expect(report.chunks.size).toBe(chunks.length);
      for (const [i, h] of hashes.entries())
        expect(Buffer.from(report.chunks.get(toHex(h))!).equals(Buffer.from(chunks[i]!))).toBe(true);
      // No /inos/chunks/1 stream was answered: all 12 went over lanes, and only one lane is open.
      expect(provider.port.served.requests - streamsBefore).toBe(0);
      const lanes = fetcher.node
        .getConnections(provider.node.peerId)
        .flatMap((c) => c.streams)
        .filter((s) => s.protocol === CHUNKS_PROTOCOL_V2);
      opened = lanes.length;
      expect(opened).toBe(1);

      // The older peer refuses /inos/chunks/2 and is asked one stream per chunk on /inos/chunks/1.
      const before = older.port.served.requests;
      const again = await f.ex.fetch(hashes.slice(0, 5), { from: [older.port.self], timeoutMs: 20_000 });
      expect(again.chunks.size).toBe(5);
      expect(older.port.served.requests - before).toBe(5);
    } finally {
      f.stop();
      p.stop();
      o.stop();
    }
  }, 60_000);

  it('a pipelined want waiting behind answers that keep coming does not time out (nor count against its provider)', async () => {
    const [fetcher, provider] = [peers[0]!, peers[2]!];
    const f = exchange(fetcher.port, new Map());
    // The provider reads one block every STEP ms, one after another: with 8 wants in flight the last
    // answer comes 8 × STEP after its want, over the want timeout, while the lane answers every STEP.
    const STEP = 500;
    const TIMEOUT = 3000;
    let queue = Promise.resolve();
    const slow = {
      get: (h: Uint8Array) => {
        const turn = queue.then(() => new Promise<void>((r) => setTimeout(r, STEP)));
        queue = turn;
        return turn.then(() => all.get(toHex(h)));
      },
    };
    const reputation = new Reputation({ now: Date.now });
    const p = new ChunkExchange(provider.port, reputation, new PeerGuard(Date.now, reputation), slow, rand);
    const stop = p.serve();
    try {
      const target = hashes.slice(0, 8);
      const report = await f.ex.fetch(target, {
        from: [provider.port.self],
        parallel: 8,
        timeoutMs: TIMEOUT,
      });
      expect(report.attempts.filter((a) => a.result !== 'ok')).toEqual([]);
      expect(report.chunks.size).toBe(8);
    } finally {
      f.stop();
      stop();
    }
  }, 60_000);

  it('a provider whose lane answers with bytes that do not hash is penalised; the chunk comes from another', async () => {
    const [fetcher, liar, honest] = [peers[0]!, peers[1]!, peers[2]!];
    const lies = new Map([...all].map(([k, v]) => [k, v.map((b) => b ^ 0xff)]));
    const f = exchange(fetcher.port, new Map());
    const l = exchange(liar.port, lies);
    const h = exchange(honest.port, all);
    try {
      const target = hashes.slice(0, 3);
      const before = f.reputation.score(liar.port.self);
      const lied = await f.ex.fetch(target, { from: [liar.port.self], parallel: 1, timeoutMs: 20_000 });
      expect(lied.chunks.size).toBe(0);
      // The first bad block costs the liar enough to be refused (banned) for the rest.
      expect(lied.attempts[0]?.result).toBe('bad-chunk');
      expect(f.reputation.score(liar.port.self)).toBeLessThan(before);
      // The honest provider now ranks first; every chunk arrives, verified.
      const report = await f.ex.fetch(target, {
        from: [liar.port.self, honest.port.self],
        parallel: 1,
        timeoutMs: 20_000,
      });
      expect(report.chunks.size).toBe(3);
    } finally {
      f.stop();
      l.stop();
      h.stop();
    }
  }, 60_000);
});
