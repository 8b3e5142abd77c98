/**
 * 50 and 200 real libp2p nodes in one process (memory transport, createMeshNode's configuration,
 * MeshNode on each, N/20 DHT servers, the rest DHT clients): the same scenario and assertions as the
 * 50-node unit test (tests/unit/mesh/libp2p/mesh-libp2p-inprocess.test.ts), numbers printed.
 * Replay with SEED=<n>; INPROCESS_SIZES=50 runs one size.
 */
import { describe, expect, it } from 'vitest';
import { seedFromEnv } from '../../unit/_prng.ts';
import { runScenario, stopScenario } from '../../unit/mesh/libp2p/_inprocess-scenario.ts';

const SEED = seedFromEnv(Date.now() % 1_000_000);
const SIZES = (process.env['INPROCESS_SIZES'] ?? '50,200').split(',').map(Number);

describe(`real libp2p nodes in one process (seed ${SEED})`, () => {
  for (const n of SIZES) {
    it(`${n} nodes: adverts reach ≥ 99%, DHT get and provider lookups succeed, chunks come from several providers`, async () => {
      console.info(`[inprocess-${n}] seed=${SEED} (replay: SEED=${SEED})`);
      const s = await runScenario(n, SEED, Math.max(2, Math.round(n / 20)));
      try {
        const r = s.result;
        console.info(`[inprocess-${n}] ${JSON.stringify(r)}`);
        expect(r.meshFormed).toBe(true);
        for (const reached of r.advertsReached)
          expect(reached).toBeGreaterThanOrEqual(Math.ceil(0.99 * (n - 1)));
        expect(r.dhtGetOk).toBe(r.dhtGetTried);
        expect(r.findProvidersAll).toBe(r.findProvidersTried);
        expect(r.chunksFetched).toBe(r.chunksWanted);
        expect(r.chunkProvidersUsed).toBeGreaterThanOrEqual(2);
      } finally {
        await stopScenario(s);
      }
    });
  }
});
