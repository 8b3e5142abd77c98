/**
 * The mesh protocol logic at 1000 simulated nodes (virtual time; latency, 1% loss, 20% churn, a
 * partition that heals, 10% hostile nodes). Replay a run with SEED=<n>. The CPU time it took is
 * printed, not asserted (the machine running tests is shared); more seeds and 2000 nodes run in
 * tests/slow/mesh.
 */
import { describe, it } from 'vitest';
import { runScenario } from '../../../src/mesh/sim/scenario.ts';
import { seedFromEnv } from '../_prng.ts';
import { expectHealthyMesh, summarise } from './_sim-report.ts';

const SEED = seedFromEnv(9);
const N = 1000;

describe(`mesh simulation at ${N} nodes (seed ${SEED})`, () => {
  it(
    'adverts reach ≥ 99% of live nodes, lookups take ≤ log2 N hops, hostile nodes are cut off and honest ones are not',
    { timeout: 600_000 },
    async () => {
      const c0 = process.cpuUsage();
      const r = await runScenario({ seed: SEED, nodes: N });
      const c = process.cpuUsage(c0);
      console.info(summarise(r, (c.user + c.system) / 1e6));
      expectHealthyMesh(r);
    },
  );
});
