/**
 * The number and time fields of the settings form: label, unit and range of each, mirroring
 * SettingsSchema (src/scheduler/settings.ts). The popup does not import the schema itself, because
 * that would ship zod in the popup bundle; tests/unit/popup/limits.test.ts checks every range here
 * against the schema, so the two cannot drift apart.
 */

export interface NumberLimit {
  /** Dotted settings path, as the background names it in a RangeError ("active.dutyPercent"). */
  path: string;
  label: string;
  min: number;
  max: number;
  unit: string;
}

const limit = (path: string, label: string, min: number, max: number, unit: string): NumberLimit => ({
  path,
  label,
  min,
  max,
  unit,
});

export const LIMITS = {
  idleAfterSec: limit('idleAfterSec', 'Idle after', 15, 3600, 's'),
  activeWorkers: limit('active.workers', 'Active workers', 0, 32, ''),
  activeDuty: limit('active.dutyPercent', 'Active workers duty cycle', 10, 100, '%'),
  idleWorkers: limit('idle.workers', 'Idle workers', 0, 32, ''),
  idleDuty: limit('idle.dutyPercent', 'Idle workers duty cycle', 10, 100, '%'),
  batteryMin: limit('battery.minLevelPercent', 'Run on battery above', 5, 100, '%'),
  batteryHysteresis: limit('battery.hysteresisPercent', 'Resume margin', 0, 50, '%'),
  backoff: limit('backoffMinutes', 'Back-off after battery or heat', 0, 120, 'min'),
  busyThreshold: limit('busy.thresholdPercent', 'Pause while other CPU use is above', 0, 100, '%'),
  busyResume: limit('busy.resumeAfterSec', 'Resume after quiet for', 2, 600, 's'),
} as const satisfies Record<string, NumberLimit>;

/** Labels of every field by settings path, for turning the background's errors into the form's words. */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.values(LIMITS).map((l) => [l.path, l.label])),
  gpuOnlyWhenIdle: 'GPU only when idle',
  'battery.runOnBattery': 'Run on battery',
  respectPressure: 'Respect CPU pressure',
  'schedule.enabled': 'Only run on a schedule',
  'schedule.from': 'From',
  'schedule.to': 'To',
  'schedule.days': 'Days',
  optOut: 'Jobs',
  'mesh.bootstrap': 'Bootstrap peers',
};

/** `message` names the field (for the form's status line); `detail` is what the field itself shows. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string; detail: string };

const fail = (label: string, detail: string) => ({
  ok: false as const,
  message: `${label}: ${detail}`,
  detail,
});

/** Validates what was typed into a number field: a whole number within the field's range. */
export function checkNumber(text: string, l: NumberLimit): Checked<number> {
  const t = text.trim();
  const range = `${l.min}–${l.max}${l.unit ? ` ${l.unit}` : ''}`;
  if (t === '') return fail(l.label, `enter a whole number, ${range}`);
  const n = Number(t);
  if (!Number.isInteger(n)) return fail(l.label, `must be a whole number, ${range}`);
  if (n < l.min || n > l.max) return fail(l.label, `must be ${range} (you entered ${t})`);
  return { ok: true, value: n };
}

/** Validates a time field: "HH:MM", 24 h (what `<input type="time">` gives, or "" when incomplete). */
export function checkTime(text: string, label: string): Checked<string> {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text)
    ? { ok: true, value: text }
    : fail(label, 'enter a time, hours and minutes');
}
