/**
 * The in-process libp2p scenario of tests/unit/mesh/libp2p/memory-mesh.test.ts at 200 nodes
 * (MESH.md §6 measured 200 nodes without DHT at 14 s to connect on an idle 2-core box).
 */
process.env['MESH_NODES'] = '200';
await import('../../unit/mesh/libp2p/memory-mesh.test.ts');
