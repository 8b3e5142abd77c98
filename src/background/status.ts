import { phaseOf, suspendReason, type LifecycleState, type SuspendReason } from '../lifecycle';
import type { BatteryReport, HeartbeatReport, Status } from '../messaging/protocol';
import type { Throttle } from '../scheduler/policy';

export type { Status } from '../messaging/protocol';

/** A heartbeat older than this means the host is not (yet) delivering: say so rather than "Running". */
export const HEARTBEAT_STALE_MS = 3_000;
/** The status says proof-of-work is paused for a transfer only once the hold has lasted this long. */
export const SHOW_HELD_AFTER_MS = 1_000;

export interface HostHealth {
  lastHeartbeat: HeartbeatReport | null;
  lastHeartbeatAt: number | null;
  error: string | null;
}

/** "14:05" in the user's locale, 24-hour where the locale uses it. */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function reasonText(reason: SuspendReason, s: LifecycleState): string {
  switch (reason) {
    case 'on-battery':
      return 'On battery';
    case 'heat':
      return 'Cooling down: the CPU is under pressure';
    case 'schedule':
      return 'Outside your schedule';
    case 'waiting-for-idle':
      return 'Waiting for idle';
    case 'busy':
      return 'Waiting: your computer is busy';
    case 'snoozed':
      return s.snoozeUntil ? `Snoozed until ${clockTime(s.snoozeUntil)}` : 'Snoozed';
    case 'host-unavailable':
      return 'Suspended: the compute host could not start';
    case 'not-isolated':
      return 'Suspended: the compute host is not cross-origin isolated';
  }
}

export function statusText(s: LifecycleState, health: HostHealth, now: number): string {
  const phase = phaseOf(s);
  if (phase === 'paused') return s.firstRun ? 'Paused — turn on to contribute' : 'Paused by you';
  if (phase === 'draining') return 'Finishing current work, then pausing';
  const reason = suspendReason(s);
  if (reason) return reasonText(reason, s);
  const hb = health.lastHeartbeat;
  if (!hb || health.lastHeartbeatAt === null || now - health.lastHeartbeatAt > HEARTBEAT_STALE_MS)
    return 'Starting the compute host…';
  const n = Math.min(hb.workersAlive, hb.activeWorkers || hb.workersAlive);
  const duty = hb.dutyPercent > 0 && hb.dutyPercent < 100 ? ` at ${hb.dutyPercent}%` : '';
  // Held for a transfer only briefly (a pipelined set of wants) is not worth a word.
  const held =
    (hb.powHeldMs ?? 0) > SHOW_HELD_AFTER_MS ? ' — moving data for a job, proof-of-work paused' : '';
  return `Running: ${n} worker${n === 1 ? '' : 's'}${duty}${held}`;
}

/** The popup's "Network" line, from the mesh report of a fresh heartbeat. */
export function networkStatus(health: HostHealth, now: number): Status['network'] {
  const mesh = health.lastHeartbeat?.mesh;
  const fresh = health.lastHeartbeatAt !== null && now - health.lastHeartbeatAt <= HEARTBEAT_STALE_MS;
  if (!mesh || !fresh) return { text: 'Network: offline', ok: false, peerId: mesh?.peerId ?? null, peers: 0 };
  if (mesh.peers > 0) {
    const relay = mesh.relay ? 'relay ok' : 'no relay yet';
    return {
      text: `Connected to ${mesh.peers} peer${mesh.peers === 1 ? '' : 's'} · ${relay}`,
      ok: true,
      peerId: mesh.peerId,
      peers: mesh.peers,
    };
  }
  const retry = mesh.retryInS !== null ? `retrying in ${mesh.retryInS} s` : 'retrying';
  return {
    text: `Can't reach the network — ${retry}, check Settings → Network`,
    ok: false,
    peerId: mesh.peerId,
    peers: 0,
    ...(mesh.lastError ? { error: mesh.lastError.slice(0, 300) } : {}),
  };
}

export function buildStatus(
  s: LifecycleState,
  health: HostHealth,
  battery: BatteryReport | null,
  now: number,
  throttle: Throttle | null = null,
  balance: { credits: number; note: string } = { credits: 0, note: 'No earnings yet' },
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
    throttle,
    snoozeUntil: s.snoozeUntil,
    balance,
    network: networkStatus(health, now),
    now,
  };
}
