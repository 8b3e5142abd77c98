/** tests/unit/mesh/libp2p/libp2p-port.test.ts with the hostile peer's full 10,000 frames. */
process.env['HOSTILE_FRAMES'] = '10000';
await import('../../unit/mesh/libp2p/libp2p-port.test.ts');

export {};
