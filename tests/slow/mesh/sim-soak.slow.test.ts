/** Soak: the 1000-node scenario over more seeds, and once at 2000 nodes (npm run test:slow). */
import { describe, it } from 'vitest';
import { runScenario } from '../../../src/mesh/sim/scenario.ts';
import { expectHealthyMesh, summarise } from '../../unit/mesh/_sim-report.ts';

const BASE = Number(process.env.SEED ?? Date.now() % 100_000);

describe('mesh simulation soak', () => {
  for (const [i, nodes] of [1000, 1000, 1000, 2000].entries()) {
    it(`${nodes} nodes, seed ${BASE + i}`, async () => {
      const c0 = process.cpuUsage();
      const r = await runScenario({ seed: BASE + i, nodes });
      const c = process.cpuUsage(c0);
      console.info(summarise(r, (c.user + c.system) / 1e6));
      expectHealthyMesh(r);
    });
  }
});
