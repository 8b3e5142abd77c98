/** Start N createMeshNode nodes on @libp2p/memory, wired as a seeded connected random graph. */
import type { Multiaddr } from '@multiformats/multiaddr';
import {
  createMeshNode,
  type MeshLibp2p,
  type TransportFactory,
} from '../../../../src/mesh/libp2p/create-node.ts';
import { prng } from '../../_prng.ts';

export interface MemoryMesh {
  nodes: MeshLibp2p[];
  stop(): Promise<void>;
}

export async function waitFor(what: string, ms: number, ok: () => boolean, pollMs = 50): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function startMemoryMesh(opts: {
  n: number;
  seed: number;
  degree?: number;
  dht?: boolean;
  /** Topics every node subscribes to before it dials, as a real node does at start. */
  topics?: readonly string[];
  memory: () => unknown;
  multiaddr: (s: string) => Multiaddr;
}): Promise<MemoryMesh> {
  const rand = prng(opts.seed);
  const nodes: MeshLibp2p[] = [];
  for (let i = 0; i < opts.n; i++) {
    const secretKey = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    nodes.push(
      await createMeshNode({
        secretKey,
        transports: [opts.memory() as TransportFactory],
        listen: [`/memory/inos-${opts.seed}-${i}`],
        dhtServer: opts.dht ?? true,
        allowPrivateAddresses: true,
      }),
    );
  }
  for (const node of nodes) for (const t of opts.topics ?? []) node.services.pubsub.subscribe(t);
  // Each node dials one earlier node (so the graph is connected) plus extra random ones.
  const extra = Math.max(0, (opts.degree ?? 4) / 2 - 1);
  const dials: Promise<unknown>[] = [];
  for (let i = 1; i < opts.n; i++) {
    const targets = new Set([Math.floor(rand() * i)]);
    for (let k = 0; k < extra; k++) targets.add(Math.floor(rand() * opts.n));
    targets.delete(i);
    for (const t of targets)
      dials.push(nodes[i]!.dial(opts.multiaddr(`/memory/inos-${opts.seed}-${t}/p2p/${nodes[t]!.peerId}`)));
  }
  await Promise.all(dials);
  return { nodes, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}
