/**
 * What a requester pays each contributor of an agreeing quorum, in credits (docs/CREDITS.md "Work-based
 * prices"): for a method with a work-based price (src/capsules/price.ts) min(its claim, the price,
 * the budget), a claim above the price recorded as an overclaim; for a method without one, the
 * quorum's lowest claim (at most the budget) to each, so no single member can raise what is paid.
 * The one formula: src/trade/requester.ts pays by it and the market simulation (simulation.ts) models it.
 */
export interface PayDecision {
  /** Credits for each contributor of the quorum. */
  paid: Map<string, number>;
  /** Contributors whose claim was above the price, with their claim and the price. */
  overclaimed: Map<string, { claimed: number; price: number }>;
}

/** `claims`: each agreeing contributor's claimed cost; `price`: the job's price, or undefined when its method has none. */
export function payQuorum(
  claims: ReadonlyMap<string, number>,
  price: number | undefined,
  budget: number,
): PayDecision {
  const paid = new Map<string, number>();
  const overclaimed = new Map<string, { claimed: number; price: number }>();
  const lowest = Math.min(...claims.values());
  for (const [contributor, claimed] of claims) {
    if (price === undefined) {
      paid.set(contributor, Math.min(lowest, budget));
      continue;
    }
    paid.set(contributor, Math.min(claimed, price, budget));
    if (claimed > price) overclaimed.set(contributor, { claimed, price });
  }
  return { paid, overclaimed };
}
