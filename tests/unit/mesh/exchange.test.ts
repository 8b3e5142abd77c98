/** The protocol services on a small simulated network: chunks, adverts, RPC, abuse handling. */
import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import { ADVERTS_TOPIC, CHUNKS_PROTOCOL, RPC_PROTOCOL } from '../../../src/mesh/protocol/ids.ts';
import { encodeAdvert, type AdvertFrame } from '../../../src/mesh/protocol/frames.ts';
import { MeshNode } from '../../../src/mesh/protocol/node.ts';
import { DEFAULT_GUARD_LIMITS } from '../../../src/mesh/protocol/guard.ts';
import { toHex } from '../../../src/mesh/protocol/chunk-exchange.ts';
import { mulberry32, randomBytes } from '../../../src/mesh/sim/prng.ts';
import { SimNetwork } from '../../../src/mesh/sim/network.ts';
import { seedFromEnv } from '../_prng.ts';

async function small(n: number, seed: number) {
  const rand = mulberry32(seed);
  const net = new SimNetwork(rand, { loss: 0 });
  const stores = new Map<string, Map<string, Uint8Array>>();
  const nodes: MeshNode[] = [];
  const lie = new Set<string>();
  for (let i = 0; i < n; i++) {
    const sn = net.addNode(`p${i}`);
    const store = new Map<string, Uint8Array>();
    stores.set(sn.id, store);
    const mn = new MeshNode(sn.port, {
      random: rand,
      source: { get: (h) => (lie.has(sn.id) ? randomBytes(rand, 64) : store.get(toHex(h))) },
    });
    await mn.start();
    nodes.push(mn);
  }
  net.buildTables();
  net.buildMesh();
  net.startHeartbeat();
  const run = async (ms: number) => net.sched.runUntil(net.sched.now + ms);
  return { net, nodes, stores, lie, run, rand };
}

const SEED = seedFromEnv(20261127);

describe('chunk exchange on a simulated network', () => {
  it(`fetches from several providers, verifies by BLAKE3, bans a lying provider and refetches (seed ${SEED})`, async () => {
    console.info(`[mesh exchange] seed ${SEED}`);
    const { nodes, stores, lie, run, rand } = await small(30, SEED);
    const chunks = Array.from({ length: 12 }, () => randomBytes(rand, 512));
    const hashes = chunks.map((c) => blake3(c));
    // p1 and p2 hold everything; p3 lies about everything.
    for (const p of ['p1', 'p2', 'p3'])
      hashes.forEach((h, i) => stores.get(p)?.set(toHex(h), chunks[i] as Uint8Array));
    lie.add('p3');
    for (const i of [1, 2, 3]) void nodes[i]!.chunks.announce(hashes);
    await run(10_000);
    const fetcher = nodes[0]!;
    let report: Awaited<ReturnType<typeof fetcher.chunks.fetch>> | undefined;
    void fetcher.chunks.fetch(hashes, { parallel: 4 }).then((r) => (report = r));
    await run(30_000);
    expect(report).toBeDefined();
    const r = report!;
    expect(r.failed.size).toBe(0);
    expect(r.chunks.size).toBe(12);
    hashes.forEach((h, i) => expect(r.chunks.get(toHex(h))).toEqual(chunks[i]));
    const servedBy = new Set(r.attempts.filter((a) => a.result === 'ok').map((a) => a.peer));
    expect(servedBy).toEqual(new Set(['p1', 'p2'])); // both honest providers served: fetched in parallel from several
    const liarAttempts = r.attempts.filter((a) => a.peer === 'p3');
    // Banned on its first bad chunk; only requests already in flight (parallel = 4) reach it.
    expect(liarAttempts.length).toBeGreaterThan(0);
    expect(liarAttempts.length).toBeLessThanOrEqual(4);
    // The first answer is a bad chunk; answers still in flight are cut when the ban closes the connection.
    expect(liarAttempts[0]!.result).toBe('bad-chunk');
    for (const a of liarAttempts) expect(['bad-chunk', 'unreachable']).toContain(a.result);
    expect(fetcher.reputation.isBanned('p3')).toBe(true);
    expect(fetcher.reputation.isBanned('p1') || fetcher.reputation.isBanned('p2')).toBe(false);
  });

  it(`counts transfers in flight on both sides and ends at 0, a fetch that fails included (seed ${SEED})`, async () => {
    const { nodes, stores, run, rand } = await small(8, SEED + 7);
    const chunks = Array.from({ length: 6 }, () => randomBytes(rand, 512));
    const hashes = chunks.map((c) => blake3(c));
    hashes.forEach((h, i) => stores.get('p1')?.set(toHex(h), chunks[i] as Uint8Array));
    void nodes[1]!.chunks.announce(hashes);
    await run(10_000);
    const seen = { fetcher: [] as number[], server: [] as number[] };
    nodes[0]!.chunks.onTransfers = (n) => seen.fetcher.push(n);
    nodes[1]!.chunks.onTransfers = (n) => seen.server.push(n);
    let report: Awaited<ReturnType<(typeof nodes)[0]['chunks']['fetch']>> | undefined;
    // One chunk nobody holds: that fetch fails, its count must still end.
    const missing = blake3(randomBytes(rand, 64));
    void nodes[0]!.chunks
      .fetch([...hashes, missing], { parallel: 3, from: ['p1'] })
      .then((r) => (report = r));
    await run(60_000);
    expect(report?.chunks.size).toBe(6);
    expect(report?.failed.size).toBe(1);
    expect(seen.fetcher[0]).toBe(1);
    expect(seen.fetcher.at(-1)).toBe(0);
    expect(nodes[0]!.chunks.activeTransfers).toBe(0);
    expect(Math.max(...seen.server)).toBeGreaterThan(0);
    expect(seen.server.at(-1)).toBe(0);
    expect(nodes[1]!.chunks.activeTransfers).toBe(0);
    // Have-queries (liveness probes) are not transfers.
    const before = seen.server.length;
    let probed = false;
    void nodes[0]!.chunks.probe('p1', hashes[0]!, 5000).then(() => (probed = true));
    await run(10_000);
    expect(probed).toBe(true);
    expect(seen.server.length).toBe(before);
  });

  it('a hostile peer sending oversize and malformed frames is cut off; an honest fetch running meanwhile completes', async () => {
    const { net, nodes, stores, run, rand } = await small(10, SEED + 1);
    const chunk = randomBytes(rand, 256);
    const hash = blake3(chunk);
    stores.get('p1')?.set(toHex(hash), chunk);
    void nodes[1]!.chunks.announce([hash]);
    await run(5000);
    const hostile = nodes[9]!.port;
    const results: string[] = [];
    for (let i = 0; i < 200; i++) {
      const frame = i % 2 === 0 ? new Uint8Array(8192) : randomBytes(rand, 1 + (i % 300));
      void hostile.request('p1', CHUNKS_PROTOCOL, frame, { timeoutMs: 2000, maxResponseBytes: 1 << 21 }).then(
        () => results.push('answered'),
        (e: Error) => results.push(e.message),
      );
    }
    let got: Uint8Array | undefined;
    void nodes[0]!.chunks.fetch([hash]).then((r) => (got = r.chunks.get(toHex(hash))));
    await run(10_000);
    expect(got).toEqual(chunk);
    expect(nodes[1]!.reputation.isBanned('p9')).toBe(true);
    expect(results.length).toBe(200);
    expect(net.byId.get('p1')!.bans.has('p9')).toBe(true);
  });
});

describe('adverts', () => {
  const base = (peerId: string, seq: bigint, ts: number): AdvertFrame => ({
    peerId,
    seq,
    timestampMs: BigInt(Math.floor(ts)),
    ttlMs: 60_000,
    capsules: [{ name: 'hash', version: 1 }],
    workers: 2,
    gpu: { available: false, vendor: '', architecture: '' },
    throttle: 1,
  });

  it('accepts fresh adverts, ignores replays and stale ones, rejects forged ones, and reaches every node', async () => {
    const { net, nodes, run } = await small(40, SEED + 2);
    await nodes[5]!.adverts.publish({
      ttlMs: 60_000,
      capsules: [{ name: 'hash', version: 1 }],
      workers: 3,
      gpu: { available: false, vendor: '', architecture: '' },
      throttle: 0.25,
    });
    await run(5000);
    for (const [i, n] of nodes.entries()) if (i !== 5) expect(n.adverts.get('p5')?.workers).toBe(3);
    expect(nodes[0]!.adverts.offering('hash').map((a) => a.peerId)).toEqual(['p5']);

    const table = nodes[0]!.adverts;
    const now = net.sched.now;
    const msg = (from: string, a: AdvertFrame) => ({
      topic: ADVERTS_TOPIC,
      from,
      via: 'p1',
      data: encodeAdvert(a),
    });
    expect(table.validate(msg('p7', base('p7', 10n, now)))).toBe('accept');
    expect(table.validate(msg('p7', base('p7', 10n, now)))).toBe('ignore');
    expect(table.lastDrop).toMatch(/duplicate/);
    expect(table.validate(msg('p7', base('p7', 11n, now - 3_600_000)))).toBe('ignore');
    expect(table.lastDrop).toMatch(/clock/);
    expect(table.validate(msg('p8', base('p7', 12n, now)))).toBe('reject');
    expect(table.lastDrop).toMatch(/signed by p8/);
    expect(
      table.validate({ topic: ADVERTS_TOPIC, from: 'p6', via: 'p1', data: new Uint8Array([1, 2, 3]) }),
    ).toBe('reject');
  });

  it('an advert flood from one origin is rate limited and the origin banned', async () => {
    const { net, nodes } = await small(5, SEED + 3);
    const table = nodes[0]!.adverts;
    const verdicts: string[] = [];
    for (let i = 0; i < 30; i++)
      verdicts.push(
        table.validate({
          topic: ADVERTS_TOPIC,
          from: 'p4',
          via: 'p4',
          data: encodeAdvert(base('p4', BigInt(100 + i), net.sched.now)),
        }),
      );
    // The burst (DEFAULT_GUARD_LIMITS.messageBurst), then 1 per 10 s.
    expect(verdicts.filter((v) => v === 'accept')).toHaveLength(DEFAULT_GUARD_LIMITS.messageBurst);
    expect(nodes[0]!.reputation.isBanned('p4')).toBe(true);
  });
});

describe('rpc', () => {
  it('calls a method, and answers unknownMethod and badRequest itself', async () => {
    const { nodes, run, net } = await small(4, SEED + 4);
    nodes[1]!.rpc.register('echo', async (_from, body) => body.slice().reverse());
    const replies: unknown[] = [];
    void nodes[0]!.rpc.call('p1', 'echo', new Uint8Array([1, 2, 3]), 2000).then((r) => replies.push(r));
    void nodes[0]!.rpc.call('p1', 'nope', new Uint8Array(), 2000).then((r) => replies.push(r.status));
    void net.byId.get('p2')!.port.request('p1', RPC_PROTOCOL, new Uint8Array([9, 9, 9]), {
      timeoutMs: 2000,
      maxResponseBytes: 1 << 20,
    });
    await run(5000);
    expect(replies).toContainEqual({ status: 'ok', body: new Uint8Array([3, 2, 1]), message: '' });
    expect(replies).toContain('unknownMethod');
    expect(nodes[1]!.reputation.score('p2')).toBeLessThan(0.5);
  });
});
