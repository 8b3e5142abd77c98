import type { Settings } from './settings';
import type { BatteryReport, IdleState, Pressure } from './signals';

export type { IdleState, Pressure } from './signals';

/** Conditions the policy can raise; the coordinator turns them into lifecycle suspensions. */
export type Condition = 'on-battery' | 'heat' | 'schedule' | 'waiting-for-idle' | 'busy';

export interface Signals {
  idle: IdleState;
  battery: BatteryReport | null;
  /** Latest Compute Pressure record, or null where the API is absent or silent. */
  pressure: Pressure | null;
  /** Local day of week (0 = Sunday) and minutes since local midnight. */
  local: { day: number; minutes: number };
  /** Workers the host has (cores − 1, ≥ 1). */
  hostWorkers: number;
  /** Whether a battery condition is currently held (for the resume hysteresis). */
  batteryHeld: boolean;
  /**
   * CPU the rest of the machine uses, percent of all cores (chrome.system.cpu minus our own workers'
   * share); null where it cannot be measured.
   */
  otherCpuPercent: number | null;
}

export interface Throttle {
  profile: 'active' | 'idle';
  workers: number;
  dutyPercent: number;
  gpu: boolean;
}

export interface Decision {
  conditions: Condition[];
  throttle: Throttle;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function withinSchedule(s: Settings['schedule'], local: Signals['local']): boolean {
  if (!s.enabled) return true;
  const from = minutesOf(s.from);
  const to = minutesOf(s.to);
  if (from === to) return s.days.includes(local.day);
  if (from < to) return s.days.includes(local.day) && local.minutes >= from && local.minutes < to;
  // Wraps past midnight: the early-morning part belongs to the previous day's window.
  if (local.minutes >= from) return s.days.includes(local.day);
  return local.minutes < to && s.days.includes((local.day + 6) % 7);
}

/**
 * What the user's settings allow right now. Pure: the coordinator feeds it signals and applies the
 * result, with holds against flapping (src/scheduler/hold.ts).
 */
export function decide(settings: Settings, sig: Signals): Decision {
  const conditions: Condition[] = [];
  const b = sig.battery;
  if (b && b.supported && !b.charging) {
    const level = b.level * 100;
    const floor =
      settings.battery.minLevelPercent + (sig.batteryHeld ? settings.battery.hysteresisPercent : 0);
    if (!settings.battery.runOnBattery || level < floor) conditions.push('on-battery');
  }
  if (settings.respectPressure && (sig.pressure === 'serious' || sig.pressure === 'critical'))
    conditions.push('heat');
  if (!withinSchedule(settings.schedule, sig.local)) conditions.push('schedule');
  // BOINC's "suspend while non-BOINC CPU usage is above N%": the user's own programs come first.
  const t = settings.busy.thresholdPercent;
  if (t > 0 && sig.otherCpuPercent !== null && sig.otherCpuPercent > t) conditions.push('busy');

  const idle = sig.idle !== 'active';
  const profile = idle ? settings.idle : settings.active;
  let workers = profile.workers === 0 && idle ? sig.hostWorkers : Math.min(profile.workers, sig.hostWorkers);
  let dutyPercent = profile.dutyPercent;
  if (!idle && settings.active.workers === 0) {
    conditions.push('waiting-for-idle');
    workers = 0;
  }
  // "fair" pressure: keep going at half the duty cycle rather than stopping.
  if (settings.respectPressure && sig.pressure === 'fair')
    dutyPercent = Math.max(10, Math.round(dutyPercent / 2));
  return {
    conditions,
    throttle: {
      profile: idle ? 'idle' : 'active',
      workers,
      dutyPercent,
      gpu: idle || !settings.gpuOnlyWhenIdle,
    },
  };
}
