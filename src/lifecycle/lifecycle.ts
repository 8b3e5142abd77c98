/**
 * The contribution lifecycle: what the user asked for (intent) plus what currently prevents it
 * (suspensions). The phase the user sees is derived from those two, never stored separately, so a
 * restored state can never disagree with itself.
 *
 *   intent paused                      → phase paused
 *   intent drain                       → phase draining (until the host reports it drained → paused)
 *   intent contribute, no suspensions  → phase running
 *   intent contribute, ≥1 suspension   → phase suspended (reason: the first one)
 */
export type Intent = 'contribute' | 'paused' | 'drain';
export type Phase = 'paused' | 'running' | 'draining' | 'suspended';
/** Raised by the throttling policy (src/scheduler/policy.ts), with holds against flapping. */
export type PolicyReason = 'on-battery' | 'heat' | 'schedule' | 'waiting-for-idle' | 'busy';
export type SuspendReason = PolicyReason | 'snoozed' | 'host-unavailable' | 'not-isolated';
export const POLICY_REASONS: readonly PolicyReason[] = [
  'on-battery',
  'heat',
  'schedule',
  'waiting-for-idle',
  'busy',
];

export interface LifecycleState {
  intent: Intent;
  suspensions: SuspendReason[];
  /** Increases on every change; the offscreen host applies states in epoch order. */
  epoch: number;
  /** When the derived phase last changed (ms since epoch). */
  since: number;
  /** True until the user has made a choice: the first run starts paused, and says so. */
  firstRun: boolean;
  /** While snoozed: when contribution resumes by itself (ms since epoch). */
  snoozeUntil: number | null;
}

export type LifecycleEvent =
  | { type: 'user-contribute' }
  | { type: 'user-pause' }
  | { type: 'user-drain' }
  | { type: 'drained' }
  | { type: 'user-snooze'; until: number }
  | { type: 'snooze-over' }
  | { type: 'suspend'; reason: SuspendReason }
  | { type: 'unsuspend'; reason: SuspendReason }
  /** Replaces every policy-raised reason at once with the policy's current set. */
  | { type: 'policy'; reasons: readonly PolicyReason[] };

export function initialLifecycle(now: number): LifecycleState {
  return { intent: 'paused', suspensions: [], epoch: 0, since: now, firstRun: true, snoozeUntil: null };
}

export function phaseOf(s: LifecycleState): Phase {
  if (s.intent === 'paused') return 'paused';
  if (s.intent === 'drain') return 'draining';
  return s.suspensions.length > 0 ? 'suspended' : 'running';
}

export function suspendReason(s: LifecycleState): SuspendReason | null {
  return phaseOf(s) === 'suspended' ? (s.suspensions[0] ?? null) : null;
}

/** Pure transition. Returns the same object when the event changes nothing (callers skip a write). */
export function transition(s: LifecycleState, e: LifecycleEvent, now: number): LifecycleState {
  let intent = s.intent;
  let suspensions = s.suspensions;
  let firstRun = s.firstRun;
  let snoozeUntil = s.snoozeUntil;
  const without = (r: SuspendReason) =>
    suspensions.includes(r) ? suspensions.filter((x) => x !== r) : suspensions;
  switch (e.type) {
    case 'user-contribute':
      intent = 'contribute';
      firstRun = false;
      suspensions = without('snoozed');
      snoozeUntil = null;
      break;
    case 'user-pause':
      intent = 'paused';
      firstRun = false;
      suspensions = without('snoozed');
      snoozeUntil = null;
      break;
    case 'user-snooze':
      intent = 'contribute';
      firstRun = false;
      if (!suspensions.includes('snoozed')) suspensions = [...suspensions, 'snoozed'];
      snoozeUntil = e.until;
      break;
    case 'snooze-over':
      suspensions = without('snoozed');
      snoozeUntil = null;
      break;
    case 'user-drain':
      // Draining only means something while work may be running.
      if (s.intent === 'contribute') intent = 'drain';
      firstRun = false;
      break;
    case 'drained':
      if (s.intent === 'drain') intent = 'paused';
      break;
    case 'suspend':
      if (!suspensions.includes(e.reason)) suspensions = [...suspensions, e.reason];
      break;
    case 'unsuspend':
      suspensions = without(e.reason);
      break;
    case 'policy': {
      const kept = suspensions.filter((r) => !(POLICY_REASONS as readonly string[]).includes(r));
      const next = [...kept, ...POLICY_REASONS.filter((r) => e.reasons.includes(r))];
      if (next.length !== suspensions.length || next.some((r, i) => r !== suspensions[i])) suspensions = next;
      break;
    }
  }
  if (
    intent === s.intent &&
    suspensions === s.suspensions &&
    firstRun === s.firstRun &&
    snoozeUntil === s.snoozeUntil
  )
    return s;
  const next: LifecycleState = {
    intent,
    suspensions,
    firstRun,
    snoozeUntil,
    epoch: s.epoch + 1,
    since: s.since,
  };
  if (phaseOf(next) !== phaseOf(s)) next.since = now;
  return next;
}

const INTENTS: readonly Intent[] = ['contribute', 'paused', 'drain'];
const REASONS: readonly SuspendReason[] = [...POLICY_REASONS, 'snoozed', 'host-unavailable', 'not-isolated'];

/** Validates state read back from storage; anything malformed yields null (the caller starts fresh). */
export function parseLifecycle(v: unknown): LifecycleState | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!INTENTS.includes(o.intent as Intent)) return null;
  if (!Array.isArray(o.suspensions) || !o.suspensions.every((r) => REASONS.includes(r as SuspendReason)))
    return null;
  if (!Number.isSafeInteger(o.epoch) || (o.epoch as number) < 0) return null;
  if (typeof o.since !== 'number' || !Number.isFinite(o.since)) return null;
  return {
    intent: o.intent as Intent,
    suspensions: [...new Set(o.suspensions as SuspendReason[])],
    epoch: o.epoch as number,
    since: o.since,
    firstRun: o.firstRun === true,
    snoozeUntil: typeof o.snoozeUntil === 'number' && Number.isFinite(o.snoozeUntil) ? o.snoozeUntil : null,
  };
}
