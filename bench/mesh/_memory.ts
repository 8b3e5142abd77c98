/**
 * bench:mesh's memory row, run by bench-mesh.ts in a fresh Node process (`--expose-gc`): what one
 * more mesh node costs, as the slope between two sizes of the same process, so the process's fixed
 * cost (modules, the first node's one-off allocations) and whatever an earlier phase freed do not
 * enter it. Nodes are our createMeshNode (all services), listening on loopback WebSocket and
 * webrtc-direct, each connected to the one before it over WebSocket (identify and gossipsub
 * subscriptions exchanged). Prints one JSON line: { sizes: [{ nodes, rss, heap }], rssPerNode,
 * heapPerNode } in bytes.
 */
import { randomBytes } from 'node:crypto';
import { installNodePolyfills } from '../../src/mesh/libp2p/node-polyfills.ts';
import { createMeshNode, type MeshLibp2p } from '../../src/mesh/libp2p/create-node.ts';
import { meshTransports, nodeListen } from '../../src/mesh/libp2p/transports.ts';

installNodePolyfills();
const SMALL = Number(process.env['MESH_MEMORY_SMALL'] ?? 10);
const LARGE = Number(process.env['MESH_MEMORY_LARGE'] ?? 50);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const nodes: MeshLibp2p[] = [];
async function grow(to: number): Promise<void> {
  while (nodes.length < to) {
    const node = await createMeshNode({
      secretKey: new Uint8Array(randomBytes(32)),
      transports: meshTransports([]),
      listen: nodeListen('127.0.0.1', 0),
      dhtServer: false,
      allowPrivateAddresses: true,
    });
    const prev = nodes[nodes.length - 1];
    nodes.push(node);
    if (prev === undefined) continue;
    const ws = prev.getMultiaddrs().find((a) => a.toString().includes('/ws/'));
    if (ws === undefined) throw new Error('a node without a WebSocket address');
    for (let tries = 1; ; tries++) {
      try {
        await node.dial(ws, { signal: AbortSignal.timeout(15_000) });
        break;
      } catch (err) {
        if (tries >= 4) throw err; // upstream dials flake a few % (MESH.md §1.3): retried as the product does
      }
    }
  }
  // Let identify and the gossipsub subscriptions settle before reading.
  await new Promise((r) => setTimeout(r, 2_000));
}

async function reading(): Promise<{ nodes: number; rss: number; heap: number }> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { nodes: nodes.length, rss: m.rss, heap: m.heapUsed };
}

await grow(SMALL);
const small = await reading();
await grow(LARGE);
const large = await reading();
await Promise.all(nodes.map((n) => n.stop()));
const span = large.nodes - small.nodes;
console.log(
  JSON.stringify({
    sizes: [small, large],
    rssPerNode: Math.round((large.rss - small.rss) / span),
    heapPerNode: Math.round((large.heap - small.heap) / span),
  }),
);
process.exit(0);
