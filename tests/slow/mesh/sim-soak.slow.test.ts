/** Soak: the 1000-node scenario over more seeds, and once at 2000 nodes (npm run test:slow). */
import { describe, expect, it } from 'vitest';
import { median, runScenario } from '../../../src/mesh/sim/scenario.ts';
import { DEFAULT_GUARD_LIMITS } from '../../../src/mesh/protocol/guard.ts';
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

  // Every honest node grants each origin the gossip burst before refusing it, so a flooder gets
  // about burst × N messages accepted network-wide whatever the ban rule. Same seed, two bursts.
  it(
    `flood acceptance: gossip burst ${DEFAULT_GUARD_LIMITS.messageBurst} vs 2, seed ${BASE}`,
    { timeout: 1_800_000 },
    async () => {
      const accepted: Record<number, number[]> = {};
      for (const burst of [DEFAULT_GUARD_LIMITS.messageBurst, 2]) {
        const r = await runScenario({ seed: BASE, nodes: 1000, limits: { messageBurst: burst } });
        accepted[burst] = r.flooderAccepted;
        console.info(
          `[mesh sim flood] seed ${BASE} burst ${burst}: accepted per flooder median ${median(r.flooderAccepted)}, ` +
            `max ${Math.max(...r.flooderAccepted)}; last accepted after flood start median ${(median(r.flooderLastAcceptMs) / 1000).toFixed(2)} s; ` +
            `flooders banned by ≥1 honest ${r.bannedBy.flooder.filter((x) => x > 0).length}/${r.kinds.flooder}`,
        );
      }
      const ratio = median(accepted[2]!) / median(accepted[DEFAULT_GUARD_LIMITS.messageBurst]!);
      console.info(
        `[mesh sim flood] accepted per flooder, burst 2 / burst ${DEFAULT_GUARD_LIMITS.messageBurst}: ${ratio.toFixed(3)}`,
      );
      expect(ratio).toBeLessThan(1);
    },
  );
});
