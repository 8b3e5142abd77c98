/**
 * Liveness probes take the path fetches take (issue #9): on real libp2p nodes (memory transport) a
 * MeshNode's probe of a peer goes over the /inos/chunks/2 lane, not a fresh /inos/chunks/1 stream;
 * a peer that serves only /inos/chunks/1 (an older one) is still probed, over v1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNKS_PROTOCOL, CHUNKS_PROTOCOL_V2 } from '../../../../src/mesh/protocol/ids.ts';
import { MeshNode } from '../../../../src/mesh/protocol/node.ts';
import type { MeshPort } from '../../../../src/mesh/protocol/port.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { memoryNode, type MemoryNode } from './_nodes.ts';

const SEED = seedFromEnv(0x9b0be);
const rand = prng(SEED);
const peers: MemoryNode[] = [];

/** The port without channels: what an older peer runs (serves /inos/chunks/1 only). */
function v1Only(port: MeshPort): MeshPort {
  const { openChannel: _o, handleChannel: _h, ...rest } = port;
  void _o;
  void _h;
  const bound = Object.fromEntries(
    Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(port) as object))
      .filter(([k, d]) => typeof d.value === 'function' && k !== 'constructor' && !k.includes('Channel'))
      .map(([k]) => [k, (port as unknown as Record<string, (...a: unknown[]) => unknown>)[k]!.bind(port)]),
  );
  return { ...rest, ...bound, self: port.self } as MeshPort;
}

const streams = (from: MemoryNode, to: MemoryNode, protocol: string) =>
  from.node
    .getConnections(to.node.peerId)
    .flatMap((c) => c.streams)
    .filter((s) => s.protocol === protocol && s.direction === 'outbound').length;

beforeAll(async () => {
  console.log(`[probe-lane] seed=${SEED}`);
  for (let i = 0; i < 3; i++)
    peers.push(await memoryNode({ name: `probe-${SEED}-${i}`, rand, dhtServer: true }));
  for (const i of [1, 2]) await peers[0]!.node.dial(peers[i]!.addr);
}, 60_000);
afterAll(async () => void (await Promise.all(peers.map((p) => p.node.stop()))), 60_000);

describe(`liveness probes on the fetch path (seed ${SEED})`, () => {
  it('probes a peer over its /inos/chunks/2 lane; an /inos/chunks/1-only peer over v1', async () => {
    const [me, peer, older] = [peers[0]!, peers[1]!, peers[2]!];
    const source = { get: () => undefined };
    const a = new MeshNode(me.port, { source, random: rand });
    const b = new MeshNode(peer.port, { source, random: rand });
    const c = new MeshNode(v1Only(older.port), { source, random: rand });
    for (const n of [a, b, c]) await n.start();
    try {
      const v1Before = peer.port.served.requests;
      a.liveness.suspect(peer.port.self);
      a.liveness.suspect(older.port.self);
      for (let i = 0; i < 200 && a.liveness.counters.alive + a.liveness.counters.gone < 2; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(a.liveness.counters).toMatchObject({ probes: 2, alive: 2, gone: 0, timeouts: 0 });
      // The probe of the current peer went over a lane and opened no /inos/chunks/1 stream there.
      expect(peer.port.served.requests - v1Before).toBe(0);
      expect(streams(me, peer, CHUNKS_PROTOCOL_V2)).toBe(1);
      expect(streams(me, peer, CHUNKS_PROTOCOL)).toBe(0);
      // The older peer answered over /inos/chunks/1.
      expect(older.port.served.requests).toBeGreaterThanOrEqual(1);
    } finally {
      for (const n of [a, b, c]) n.stop();
    }
  }, 60_000);
});
