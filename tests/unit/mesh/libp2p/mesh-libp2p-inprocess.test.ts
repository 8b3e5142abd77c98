/**
 * 50 real libp2p nodes in this process on the memory transport, built by createMeshNode (our
 * protocol ids and configuration) with MeshNode on each; 3 are DHT servers (like `inos node`), 47
 * DHT clients (like browsers): gossip adverts reach every node, DHT put/get and
 * provide/findProviders work, and a chunk set spread over three providers is fetched from several
 * of them and verified by BLAKE3. 200 nodes: tests/slow/mesh/inprocess.slow.test.ts.
 *
 * Counts only, no timings; every wait is a bounded poll on a condition. Measured: 16.4 s CPU, 19.7 s
 * wall on a quiet moment of the shared 2-core box; at load ~25 the same work took minutes of wall
 * time, hence the generous setup limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFromEnv } from '../../_prng.ts';
import { runScenario, stopScenario, type Scenario } from './_inprocess-scenario.ts';

const SEED = seedFromEnv(20261127);
const N = 50;
let s: Scenario | undefined;

beforeAll(async () => {
  console.info(`[mesh-libp2p-inprocess] seed=${SEED} (replay: SEED=${SEED})`);
  s = await runScenario(N, SEED, 3);
}, 600_000);
afterAll(async () => {
  if (s) await stopScenario(s);
}, 60_000);

describe(`${N} real libp2p nodes in one process (seed ${SEED})`, () => {
  it('forms a gossipsub mesh and every advert reaches every other node', () => {
    const r = s!.result;
    expect(r.meshFormed).toBe(true);
    for (const reached of r.advertsReached) expect(reached).toBeGreaterThanOrEqual(Math.ceil(0.99 * (N - 1)));
  });

  it('DHT: a record put on one node is read by others; provider records are found', () => {
    const r = s!.result;
    expect(r.dhtGetOk).toBe(r.dhtGetTried);
    expect(r.findProvidersAll).toBe(r.findProvidersTried);
  });

  it("MeshNode's chunk exchange fetches the whole set from several providers, verified", () => {
    const r = s!.result;
    expect(r.chunksFetched).toBe(r.chunksWanted);
    expect(r.chunkProvidersUsed).toBeGreaterThanOrEqual(2);
  });
});
