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
export type SuspendReason = 'on-battery' | 'host-unavailable' | 'not-isolated';

export interface LifecycleState {
  intent: Intent;
  suspensions: SuspendReason[];
  /** Increases on every change; the offscreen host applies states in epoch order. */
  epoch: number;
  /** When the derived phase last changed (ms since epoch). */
  since: number;
  /** True until the user has made a choice: the first run starts paused, and says so. */
  firstRun: boolean;
}

export type LifecycleEvent =
  | { type: 'user-contribute' }
  | { type: 'user-pause' }
  | { type: 'user-drain' }
  | { type: 'drained' }
  | { type: 'suspend'; reason: SuspendReason }
  | { type: 'unsuspend'; reason: SuspendReason };

export function initialLifecycle(now: number): LifecycleState {
  return { intent: 'paused', suspensions: [], epoch: 0, since: now, firstRun: true };
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
  switch (e.type) {
    case 'user-contribute':
      intent = 'contribute';
      firstRun = false;
      break;
    case 'user-pause':
      intent = 'paused';
      firstRun = false;
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
      if (suspensions.includes(e.reason)) suspensions = suspensions.filter((r) => r !== e.reason);
      break;
  }
  if (intent === s.intent && suspensions === s.suspensions && firstRun === s.firstRun) return s;
  const next: LifecycleState = { intent, suspensions, firstRun, epoch: s.epoch + 1, since: s.since };
  if (phaseOf(next) !== phaseOf(s)) next.since = now;
  return next;
}

const INTENTS: readonly Intent[] = ['contribute', 'paused', 'drain'];
const REASONS: readonly SuspendReason[] = ['on-battery', 'host-unavailable', 'not-isolated'];

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
  };
}
