/**
 * payQuorum (src/market/pay.ts): the one formula for what a requester pays each agreeing contributor,
 * used by src/trade/requester.ts and the market simulation.
 */
import { describe, expect, it } from 'vitest';
import { payQuorum } from '../../../src/market/index.ts';

describe('payQuorum', () => {
  it('pays a priced job min(claim, price, budget) to each and names the claims above the price', () => {
    const claims = new Map([
      ['a', 5],
      ['b', 100],
      ['c', 7],
    ]);
    const d = payQuorum(claims, 7, 100);
    expect(Object.fromEntries(d.paid)).toEqual({ a: 5, b: 7, c: 7 });
    expect(Object.fromEntries(d.overclaimed)).toEqual({ b: { claimed: 100, price: 7 } });
    // A price above the budget is paid the budget; a claim at the price is no overclaim.
    const capped = payQuorum(new Map([['a', 50]]), 50, 30);
    expect(Object.fromEntries(capped.paid)).toEqual({ a: 30 });
    expect(capped.overclaimed.size).toBe(0);
  });

  it('pays an unpriced job the lowest claim of the quorum to each, at most the budget, and counts no overclaim', () => {
    const d = payQuorum(
      new Map([
        ['a', 40],
        ['b', 7],
      ]),
      undefined,
      50,
    );
    expect(Object.fromEntries(d.paid)).toEqual({ a: 7, b: 7 });
    expect(d.overclaimed.size).toBe(0);
    expect(Object.fromEntries(payQuorum(new Map([['a', 80]]), undefined, 50).paid)).toEqual({ a: 50 });
  });
});
