/** Shared by the 1000-node unit test and the tests/slow soak: the printed report and the assertions. */
import { expect } from 'vitest';
import { DEFAULT_SCENARIO, median, quantile, type ScenarioReport } from '../../../src/mesh/sim/scenario.ts';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function summarise(r: ScenarioReport, cpuS: number): string {
  const reach = (p: string): string => {
    const a = r.adverts.filter((x) => x.phase === p);
    const min = Math.min(...a.map((x) => x.reached / x.eligible));
    return `${p} min ${(100 * min).toFixed(2)}% (${a.length} adverts, eligible ~${Math.round(median(a.map((x) => x.eligible)))})`;
  };
  const kinds = (['dropper', 'liar', 'flooder'] as const).map((k) => {
    const b = r.bannedBy[k];
    return (
      `${k}s ${r.kinds[k]}: banned by ≥1 honest ${b.filter((x) => x > 0).length}, bannedBy median ${median(b)} max ${Math.max(...b)}, ` +
      `mean score at observers median ${median(r.observedScore[k]).toFixed(3)}, ` +
      `fetch attempts per observer pair mean ${mean(r.attemptsPerPair[k]).toFixed(2)} max ${Math.max(0, ...r.attemptsPerPair[k])} over ${r.attemptsPerPair[k].length} pairs`
    );
  });
  const cut = (['dropper', 'liar', 'flooder'] as const).map((k) => {
    const c = r.cutOff[k];
    const frac = c.observers.map((o, i) => (o === 0 ? 1 : (c.banned[i] ?? 0) / o));
    const all = frac.filter((f) => f === 1).length;
    const settled = c.observers.filter((o, i) => (c.banned[i] ?? 0) + (c.pending[i] ?? 0) === o).length;
    const pend = c.pending.reduce((a, b) => a + b, 0);
    const obs = c.observers.reduce((a, b) => a + b, 0);
    return (
      `${k}s: banned by every honest observer ${all}/${frac.length}, by every one not left pending ${settled}/${frac.length} (pending ${pend} of ${obs} observer pairs); share of observers that banned it min ${(100 * Math.min(...frac)).toFixed(1)}% median ${(100 * median(frac)).toFixed(1)}%; ` +
      `observers per ${k} median ${median(c.observers)}; time from first outcome to ban median ${(median(c.delaysMs) / 1000).toFixed(2)} s, p95 ${(quantile(c.delaysMs, 0.95) / 1000).toFixed(2)} s, max ${(Math.max(...c.delaysMs) / 1000).toFixed(2)} s`
    );
  });
  const fp = r.bans.filter((b) => b.observerKind === 'honest' && b.subjectKind === 'honest').length;
  const w = r.attemptWindows.map((x) => `${x.startMs / 1000}s ${x.hostile}/${x.total}`).join(', ');
  return [
    `[mesh sim] seed ${r.seed} (replay with SEED=${r.seed}), ${r.nodes} nodes, ${r.virtualMs / 1000} s virtual, ${r.events} events, ${r.drains} drains, CPU ${cpuS.toFixed(1)} s`,
    `[mesh sim] advert reach: ${['steady', 'churn', 'partition', 'healed'].map(reach).join('; ')}`,
    `[mesh sim] lookup hops: median ${median(r.lookupHops)}, p95 ${quantile(r.lookupHops, 0.95)}, max ${Math.max(...r.lookupHops)} over ${r.lookupHops.length} lookups (log2 N = ${Math.log2(r.nodes).toFixed(2)}); queries per lookup median ${median(r.lookupQueries)}`,
    `[mesh sim] fetches ${JSON.stringify(r.fetches)}; churn ${JSON.stringify(r.churned)}; traffic ${JSON.stringify(r.traffic)}`,
    ...kinds.map((k) => `[mesh sim] ${k}`),
    `[mesh sim] flood messages accepted network-wide per flooder: median ${median(r.flooderAccepted)}, max ${Math.max(...r.flooderAccepted)}; last accepted after flood start: median ${(median(r.flooderLastAcceptMs) / 1000).toFixed(2)} s, max ${(Math.max(...r.flooderLastAcceptMs) / 1000).toFixed(2)} s (flood lasts ${DEFAULT_SCENARIO.floodForMs / 1000} s)`,
    `[mesh sim] observer→hostile pairs: ${r.pairs.touched} touched; ${r.pairs.proofBanned}/${r.pairs.proof} with a bad chunk banned; ${r.pairs.dropsBanned}/${r.pairs.drops} with ≥2 timeouts banned`,
    `[mesh sim] fetch attempts to hostile peers per 10 s window: ${w}`,
    ...cut.map((k) => `[mesh sim] cut-off ${k}`),
    `[mesh sim] liveness probes by honest nodes ${JSON.stringify(r.probes)}; honest→honest pairs with a fetch timeout ${r.honestTimeoutPairs}`,
    `[mesh sim] bans ${r.bans.length}, honest→honest (false positives) ${fp}`,
  ].join('\n');
}

export function expectHealthyMesh(r: ScenarioReport): void {
  // Adverts: each measured advert reached ≥ 99% of the honest nodes live throughout its 10 s window
  // (during the partition: of its own side, all it can reach).
  expect(r.adverts).toHaveLength(40);
  for (const a of r.adverts)
    expect(a.reached / a.eligible, `${a.phase} advert at ${a.atMs} ms`).toBeGreaterThanOrEqual(0.99);

  // Kademlia lookups.
  expect(r.lookupHops.length).toBeGreaterThan(150);
  expect(median(r.lookupHops)).toBeLessThanOrEqual(Math.log2(r.nodes));

  // No honest node banned another honest node.
  expect(r.bans.filter((b) => b.observerKind === 'honest' && b.subjectKind === 'honest')).toEqual([]);

  // Liars: every honest node that got a bad chunk banned its sender.
  expect(r.pairs.proof).toBeGreaterThan(100);
  expect(r.pairs.proofBanned).toBe(r.pairs.proof);
  for (const s of r.observedScore.liar) expect(s).toBeLessThan(0.5);
  // Droppers: each timeout is settled by liveness probes (liveness.ts, reputation.ts): a peer that
  // answers nothing while connected reaches the threshold on its 3rd timeout in a row, one fetch
  // deadline (3 s) and two probe deadlines (5 s) after the first. Every honest node that saw a
  // dropper time out banned it, unless the dropper went away (churn, partition) or the run ended
  // before the probes finished: then it is still a suspect there (pending), never cleared.
  const d = r.cutOff.dropper;
  d.observers.forEach((o, i) => expect(d.banned[i]! + d.pending[i]!, `dropper #${i} observers`).toBe(o));
  expect(sum(d.observers)).toBeGreaterThan(5 * r.kinds.dropper);
  expect(sum(d.pending)).toBeLessThan(0.2 * sum(d.observers));
  const met = d.observers.map((o, i) => ({ o, b: d.banned[i]! })).filter((x) => x.o > 0);
  expect(met.filter((x) => x.b >= x.o / 2).length).toBeGreaterThanOrEqual(0.85 * met.length);
  expect(median(d.delaysMs)).toBeLessThanOrEqual(3000 + 2 * 5000);
  for (const s of r.observedScore.dropper) expect(s).toBeLessThan(0.5);
  expect(mean(r.attemptsPerPair.dropper)).toBeLessThan(1.5);
  // Honest peers lose messages too (1% each way): those timeouts were probed and cleared.
  expect(r.honestTimeoutPairs).toBeGreaterThan(0);
  expect(r.probes.alive).toBeGreaterThan(0);
  // Flooders: banned by every flooder's neighbours, messages no longer accepted well before the flood ends.
  expect(r.bannedBy.flooder.every((x) => x > 0)).toBe(true);
  expect(Math.max(...r.flooderLastAcceptMs)).toBeLessThan(DEFAULT_SCENARIO.floodForMs);
  for (const s of r.observedScore.flooder) expect(s).toBeLessThan(0.5);

  // Network level: the share of fetch attempts spent on hostile peers falls, and fetches succeed.
  const first = r.attemptWindows[1]!;
  const last = r.attemptWindows.at(-1)!;
  expect(last.hostile / last.total).toBeLessThan(first.hostile / first.total);
  expect(r.fetches.ok / r.fetches.started).toBeGreaterThan(0.9);
}
