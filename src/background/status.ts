import { phaseOf, suspendReason, type LifecycleState, type SuspendReason } from '../lifecycle';
import type { BatteryReport, HeartbeatReport, Status } from '../messaging/protocol';

export type { Status } from '../messaging/protocol';

/** A heartbeat older than this means the host is not (yet) delivering: say so rather than "Running". */
export const HEARTBEAT_STALE_MS = 3_000;

export interface HostHealth {
  lastHeartbeat: HeartbeatReport | null;
  lastHeartbeatAt: number | null;
  error: string | null;
}

const REASON_TEXT: Record<SuspendReason, string> = {
  'on-battery': 'Suspended: on battery',
  'host-unavailable': 'Suspended: the compute host could not start',
  'not-isolated': 'Suspended: the compute host is not cross-origin isolated',
};

export function statusText(s: LifecycleState, health: HostHealth, now: number): string {
  const phase = phaseOf(s);
  if (phase === 'paused') return s.firstRun ? 'Paused — turn on to contribute' : 'Paused by you';
  if (phase === 'draining') return 'Finishing current work, then pausing';
  const reason = suspendReason(s);
  if (reason) return REASON_TEXT[reason];
  const hb = health.lastHeartbeat;
  if (!hb || health.lastHeartbeatAt === null || now - health.lastHeartbeatAt > HEARTBEAT_STALE_MS)
    return 'Starting the compute host…';
  const n = hb.workersAlive;
  return `Running: ${n} worker${n === 1 ? '' : 's'}`;
}

export function buildStatus(
  s: LifecycleState,
  health: HostHealth,
  battery: BatteryReport | null,
  now: number,
): Status {
  const hb = health.lastHeartbeat;
  return {
    phase: phaseOf(s),
    contribute: s.intent === 'contribute',
    firstRun: s.firstRun,
    reason: suspendReason(s),
    text: statusText(s, health, now),
    since: s.since,
    host: {
      workers: hb?.workers ?? 0,
      workersAlive: hb?.workersAlive ?? 0,
      lastHeartbeatAt: health.lastHeartbeatAt,
      error: health.error,
    },
    battery,
    // The ledger does not exist yet: the balance is honestly zero.
    balance: { credits: 0, note: 'No earnings yet' },
    now,
  };
}
