/**
 * A seeded market of contributors for the verification recipe (tests/unit/market and
 * `npm run sim:market`): honest nodes, liars (a wrong result of their own every time) and colluding
 * pairs (both members return the same wrong result, so two of them on one job would pass a
 * quorum). A share of the jobs return floats that honest nodes compute with tiny differences (GPU
 * order of operations), compared within a tolerance. Liars answer honestly part of the time
 * (`lieRate`), so they earn until the quorum catches them. Every number comes from `random`, so a seed
 * replays a run exactly.
 *
 * Payments are modelled as src/trade pays them (payQuorum, src/market/pay.ts): each job has a work
 * amount (its price on a reference worker, in credits) and a budget; a share of the jobs is of a
 * method with a work-based price (src/capsules/price.ts), the rest are charged by wall time. An honest
 * node claims the price of a priced job and its own wall time (its speed × the work) of an unpriced
 * one; an overclaimer (a share of the honest-result nodes) claims its whole budget every time. The
 * requester pays min(claim, price, budget), or the quorum's lowest claim, and counts overclaims.
 */
import { mulberry32 } from '../random/mulberry32.ts';
import { payQuorum } from './pay.ts';
import { Reputation } from './reputation.ts';
import { verifyJob } from './verify-job.ts';
import type { Output } from './work-unit.ts';

export interface SimulationOptions {
  nodes: number;
  jobs: number;
  /** Share of malicious nodes, half liars and half colluders (in pairs). */
  malicious: number;
  /** Share of jobs with float outputs compared within `tolerance`. */
  floatShare: number;
  tolerance: number;
  /** How often a liar returns a wrong result (else an honest one). */
  lieRate: number;
  /** Windows over which malicious earnings are reported. */
  windows: number;
  random: () => number;
  /** Share of jobs of a method with a work-based price; default 0.6. */
  pricedShare?: number;
  /** Share of the honest-result nodes that claim their whole budget; default 0.05. */
  overclaimers?: number;
}

/** Credits paid against the work done (each paid result's work, at reference prices). */
export interface Ledger {
  paid: number;
  work: number;
}

export type Kind = 'honest' | 'liar' | 'colluder';

export interface SimulationReport {
  accepted: number;
  failed: number;
  wrongAccepted: number;
  wrongAcceptedRate: number;
  unchecked: number;
  runs: number;
  /** Credits paid to malicious nodes in each window (1 per paid result). */
  maliciousEarnings: number[];
  honestEarnings: number[];
  excluded: Record<Kind, number>;
  counts: Record<Kind, number>;
  /** Every paid result, priced and unpriced jobs apart. */
  credits: { priced: Ledger; unpriced: Ledger };
  /** The overclaimers' paid results, priced and unpriced jobs apart. */
  overclaimerCredits: { priced: Ledger; unpriced: Ledger };
  /** Nodes that claim their whole budget (honest results). */
  overclaimers: number;
  /** Paid results whose claim was above the job's price (each paid the price). */
  overclaims: number;
  /** The same, as counted by the requester's Reputation.overclaims. */
  overclaimsRecorded: number;
}

export function simulateMarket(o: SimulationOptions): SimulationReport {
  const kinds: Kind[] = [];
  const bad = Math.round(o.nodes * o.malicious);
  const colluders = Math.floor(bad / 2 / 2) * 2;
  for (let i = 0; i < o.nodes; i++) kinds.push(i < colluders ? 'colluder' : i < bad ? 'liar' : 'honest');
  // Shuffle so kinds are not clustered by id.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(o.random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const ids = kinds.map((_, i) => `n${i}`);
  const pairOf = new Map<number, number>();
  const colluderIdx = kinds.flatMap((k, i) => (k === 'colluder' ? [i] : []));
  for (let i = 0; i + 1 < colluderIdx.length; i += 2) {
    pairOf.set(colluderIdx[i]!, i / 2);
    pairOf.set(colluderIdx[i + 1]!, i / 2);
  }
  // Prices, speeds and overclaimers from a stream of their own, so the verification draws stay those
  // of `random` alone after its first number.
  const money = mulberry32(Math.floor(o.random() * 2 ** 32));
  const pricedShare = o.pricedShare ?? 0.6;
  const overclaiming = o.overclaimers ?? 0.05;
  // Wall time per credit of work on each node: 0.5× (fast) to 2× (slow, or busy).
  const speed = kinds.map(() => 0.5 + 1.5 * money());
  const overclaims = kinds.map((k) => k === 'honest' && money() < overclaiming);
  const reputation = new Reputation();
  const ledger = (): { priced: Ledger; unpriced: Ledger } => ({
    priced: { paid: 0, work: 0 },
    unpriced: { paid: 0, work: 0 },
  });
  const report: SimulationReport = {
    accepted: 0,
    failed: 0,
    wrongAccepted: 0,
    wrongAcceptedRate: 0,
    unchecked: 0,
    runs: 0,
    maliciousEarnings: Array<number>(o.windows).fill(0),
    honestEarnings: Array<number>(o.windows).fill(0),
    excluded: { honest: 0, liar: 0, colluder: 0 },
    counts: { honest: 0, liar: 0, colluder: 0 },
    credits: ledger(),
    overclaimerCredits: ledger(),
    overclaimers: overclaims.filter(Boolean).length,
    overclaims: 0,
    overclaimsRecorded: 0,
  };
  for (const k of kinds) report.counts[k]++;

  const pick = (exclude: ReadonlySet<string>): string | undefined => {
    for (let tries = 0; tries < 10_000; tries++) {
      const id = ids[Math.floor(o.random() * ids.length)]!;
      if (!exclude.has(id) && !reputation.excluded(id)) return id;
    }
    return undefined;
  };

  for (let job = 0; job < o.jobs; job++) {
    const float = o.random() < o.floatShare;
    const truth = job * 7.25 + 1;
    const run = (id: string): Output => {
      const i = Number(id.slice(1));
      const kind = kinds[i] === 'liar' && o.random() >= o.lieRate ? 'honest' : kinds[i]!;
      if (float) {
        // Honest GPUs differ in the last bits; a liar's answer is off by 1%.
        if (kind === 'honest') return { values: [truth * (1 + (o.random() - 0.5) * 1e-9), truth / 3] };
        const wrong = kind === 'colluder' ? truth * 1.01 + pairOf.get(i)! : truth * (1.01 + o.random());
        return { values: [wrong, truth / 3] };
      }
      if (kind === 'honest') return { hash: `ok:${job}` };
      return { hash: kind === 'colluder' ? `bad:${job}:pair${pairOf.get(i)!}` : `bad:${job}:${id}` };
    };
    const d = verifyJob(
      `job-${job}`,
      { reputation, random: o.random, pick, run },
      { tolerance: float ? o.tolerance : 0 },
    );
    report.runs += d.runs;
    if (d.state !== 'valid' || d.output === undefined) {
      report.failed++;
      continue;
    }
    report.accepted++;
    if (d.unchecked) report.unchecked++;
    const right =
      'hash' in d.output
        ? d.output.hash === `ok:${job}`
        : Math.abs(d.output.values[0]! - truth) <= o.tolerance * truth;
    if (!right) report.wrongAccepted++;
    const w = Math.min(o.windows - 1, Math.floor((job * o.windows) / o.jobs));
    for (const id of d.paid) {
      const kind = kinds[Number(id.slice(1))]!;
      if (kind === 'honest') report.honestEarnings[w]!++;
      else report.maliciousEarnings[w]!++;
    }
    // What each paid member claimed, and what the requester pays it (the market's formula).
    const work = 1 + Math.floor(money() * 200);
    const budget = work * 3;
    const price = money() < pricedShare ? work : undefined;
    const claims = new Map(
      d.paid.map((id) => {
        const i = Number(id.slice(1));
        if (overclaims[i]) return [id, budget];
        return [id, price ?? Math.min(budget, Math.ceil(work * speed[i]!))];
      }),
    );
    const pay = payQuorum(claims, price, budget);
    for (const id of pay.overclaimed.keys()) reputation.recordOverclaim(id);
    report.overclaims += pay.overclaimed.size;
    const side = price === undefined ? 'unpriced' : 'priced';
    for (const [id, credits] of pay.paid) {
      report.credits[side].paid += credits;
      report.credits[side].work += work;
      if (overclaims[Number(id.slice(1))]) {
        report.overclaimerCredits[side].paid += credits;
        report.overclaimerCredits[side].work += work;
      }
    }
  }
  for (const [i, id] of ids.entries()) if (reputation.excluded(id)) report.excluded[kinds[i]!]++;
  for (const id of ids) report.overclaimsRecorded += reputation.overclaims(id);
  report.wrongAcceptedRate = report.accepted === 0 ? 0 : report.wrongAccepted / report.accepted;
  return report;
}
