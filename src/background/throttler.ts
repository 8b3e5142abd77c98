import type { PolicyReason } from '../lifecycle';
import type { BatteryReport } from '../messaging/protocol';
import { applyHold, type HoldState } from '../scheduler/hold';
import { decide, type IdleState, type Pressure, type Throttle } from '../scheduler/policy';
import type { Settings } from '../scheduler/settings';

export interface ThrottleSignals {
  idle: IdleState;
  battery: BatteryReport | null;
  pressure: Pressure | null;
  /** Workers the host has; 1 until it says hello. */
  hostWorkers: number;
  /** The rest of the machine's CPU use, percent of all cores; null until measured. */
  otherCpuPercent: number | null;
}

export interface ThrottleState {
  signals: ThrottleSignals;
  hold: HoldState;
}

export const INITIAL_THROTTLE_STATE: ThrottleState = {
  signals: { idle: 'active', battery: null, pressure: null, hostWorkers: 1, otherCpuPercent: null },
  hold: { clearedAt: {} },
};

export function localParts(now: number): { day: number; minutes: number } {
  const d = new Date(now);
  return { day: d.getDay(), minutes: d.getHours() * 60 + d.getMinutes() };
}

/**
 * One evaluation of the user's limits against the current signals, with holds against flapping.
 * Returns the reasons to suspend for, the throttle to apply, the new state and when to look again.
 */
export function evaluateThrottle(
  settings: Settings,
  state: ThrottleState,
  now: number,
  local = localParts(now),
): { reasons: PolicyReason[]; throttle: Throttle; state: ThrottleState; nextLiftAt: number | null } {
  const decision = decide(settings, {
    ...state.signals,
    local,
    batteryHeld: 'on-battery' in state.hold.clearedAt,
  });
  const held = applyHold(
    state.hold,
    decision.conditions,
    now,
    settings.backoffMinutes * 60_000,
    settings.busy.resumeAfterSec * 1_000,
  );
  return {
    reasons: held.effective,
    throttle: decision.throttle,
    state: { signals: state.signals, hold: held.state },
    nextLiftAt: held.nextLiftAt,
  };
}

export function parseThrottleState(v: unknown): ThrottleState | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as ThrottleState;
  if (typeof o.signals !== 'object' || typeof o.hold !== 'object' || o.signals === null || o.hold === null)
    return null;
  const idle: IdleState[] = ['active', 'idle', 'locked'];
  return {
    signals: {
      idle: idle.includes(o.signals.idle) ? o.signals.idle : 'active',
      battery: o.signals.battery ?? null,
      pressure: o.signals.pressure ?? null,
      hostWorkers:
        Number.isInteger(o.signals.hostWorkers) && o.signals.hostWorkers > 0 ? o.signals.hostWorkers : 1,
      otherCpuPercent: typeof o.signals.otherCpuPercent === 'number' ? o.signals.otherCpuPercent : null,
    },
    hold: { clearedAt: { ...(o.hold.clearedAt ?? {}) } },
  };
}
