import type { Condition } from './policy';

/** How often each condition is sampled (ms): battery and pressure report on change, at least every second. */
export const SAMPLE_PERIOD_MS: Record<Condition, number> = {
  'on-battery': 1_000,
  heat: 1_000,
  schedule: 30_000,
  'waiting-for-idle': 0,
};

export interface HoldState {
  /** Condition → when it was last seen raised (ms). */
  raisedAt: Partial<Record<Condition, number>>;
}

/**
 * Anti-flapping: a condition takes effect at once, but is lifted only after it has been clear for
 * its hold — at least twice its sample period, and the back-off (default 5 min) for battery and heat.
 * Returns the conditions in effect and when the next one may lift (for an alarm).
 */
export function applyHold(
  state: HoldState,
  raw: readonly Condition[],
  now: number,
  backoffMs: number,
): { effective: Condition[]; state: HoldState; nextLiftAt: number | null } {
  const raisedAt: HoldState['raisedAt'] = { ...state.raisedAt };
  for (const c of raw) raisedAt[c] = now;
  const effective: Condition[] = [];
  let nextLiftAt: number | null = null;
  for (const c of Object.keys(raisedAt) as Condition[]) {
    const since = raisedAt[c]!;
    const hold = Math.max(2 * SAMPLE_PERIOD_MS[c], c === 'on-battery' || c === 'heat' ? backoffMs : 0);
    if (raw.includes(c) || now - since < hold) {
      effective.push(c);
      if (!raw.includes(c)) nextLiftAt = Math.min(nextLiftAt ?? Infinity, since + hold);
    } else delete raisedAt[c];
  }
  return { effective: effective.sort(), state: { raisedAt }, nextLiftAt };
}
