import type { Condition } from './policy';

/** How often each condition is sampled (ms): battery and pressure report on change, at least every second. */
export const SAMPLE_PERIOD_MS: Record<Condition, number> = {
  'on-battery': 1_000,
  heat: 1_000,
  schedule: 30_000,
  'waiting-for-idle': 0,
  /** Sampled with each host heartbeat (1 s). */
  busy: 1_000,
};

export interface HoldState {
  /** Conditions in effect → when each was first seen clear again (null while still raised). */
  clearedAt: Partial<Record<Condition, number | null>>;
}

export function holdMs(c: Condition, backoffMs: number, busyHoldMs = 0): number {
  const extra = c === 'on-battery' || c === 'heat' ? backoffMs : c === 'busy' ? busyHoldMs : 0;
  return Math.max(2 * SAMPLE_PERIOD_MS[c], extra);
}

/**
 * Anti-flapping: a condition takes effect at once, but is lifted only after it has stayed clear for
 * its hold — at least twice its sample period, and the back-off (default 5 min) for battery and
 * heat. A condition raised again while held restarts its hold. Returns the conditions in effect and
 * when the next one may lift (for a timer).
 */
export function applyHold(
  state: HoldState,
  raw: readonly Condition[],
  now: number,
  backoffMs: number,
  busyHoldMs = 0,
): { effective: Condition[]; state: HoldState; nextLiftAt: number | null } {
  const clearedAt: HoldState['clearedAt'] = { ...state.clearedAt };
  for (const c of raw) clearedAt[c] = null;
  const effective: Condition[] = [];
  let nextLiftAt: number | null = null;
  for (const c of Object.keys(clearedAt) as Condition[]) {
    if (raw.includes(c)) {
      effective.push(c);
      continue;
    }
    const since = clearedAt[c] ?? now;
    clearedAt[c] = since;
    const liftAt = since + holdMs(c, backoffMs, busyHoldMs);
    if (now < liftAt) {
      effective.push(c);
      nextLiftAt = Math.min(nextLiftAt ?? Infinity, liftAt);
    } else delete clearedAt[c];
  }
  return { effective: effective.sort(), state: { clearedAt }, nextLiftAt };
}
