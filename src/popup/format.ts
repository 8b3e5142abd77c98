/**
 * Pure formatting for the popup: credits, durations, energy, days and times, error texts.
 *
 * Credits arrive as integer micro-credits (src/ledger/receipt.ts: 1 credit = 1 000 000), so they
 * are formatted with integer arithmetic: no float ever rounds 0.000001 away or prints 0.30000000004.
 * Day and weekday names are English on purpose: the popup's text is English (`<html lang="en">`),
 * and a bar label should not mix languages.
 */
import type { ReceiptState } from '../ledger/receipt';

export const MICRO_PER_CREDIT = 1_000_000;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const groupThousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const trimZeros = (fixed: string) => (fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed);

/** 12345678 → "12.345678", 1200 → "0.0012", 1e9 → "1,000": up to 6 decimals, trailing zeros trimmed. */
export function formatCredits(micro: number): string {
  if (!Number.isFinite(micro)) return '—';
  const m = Math.round(micro);
  const abs = Math.abs(m);
  const whole = Math.floor(abs / MICRO_PER_CREDIT);
  const frac = String(abs % MICRO_PER_CREDIT)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${m < 0 ? '-' : ''}${groupThousands(whole)}${frac ? `.${frac}` : ''}`;
}

/** "credit" for exactly one credit, else "credits". */
export function creditUnit(micro: number): string {
  return Math.round(micro) === MICRO_PER_CREDIT ? 'credit' : 'credits';
}

/** "0 credits", "1 credit", "0.5 credits". */
export function creditsText(micro: number): string {
  return `${formatCredits(micro)} ${creditUnit(micro)}`;
}

/** CPU time as a person reads it: "45 s", "3 min 12 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 s';
  if (ms < 1_000) return '< 1 s';
  const s = Math.floor(ms / 1_000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 ? `${min} min ${s % 60} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** An energy estimate with no false precision: "0.32 Wh", "0.004 Wh", "14 Wh", "1.25 kWh". */
export function formatEnergy(wh: number): string {
  if (!Number.isFinite(wh) || wh <= 0) return '0 Wh';
  if (wh < 0.001) return '< 0.001 Wh';
  if (wh < 0.01) return `${Number(wh.toPrecision(1))} Wh`;
  if (wh < 9.995) return `${trimZeros(wh.toFixed(2))} Wh`;
  if (wh < 999.5) return `${Math.round(wh)} Wh`;
  return `${trimZeros((wh / 1_000).toFixed(2))} kWh`;
}

/** The popup's CPU and energy line: "CPU 3 min 12 s · ≈ 0.32 Wh". */
export function cpuEnergyText(cpuMs: number, energyWh: number): string {
  return `CPU ${formatDuration(cpuMs)} · ≈ ${formatEnergy(energyWh)}`;
}

/** A ledger day ("2025-11-24", already local) → "Mon 24 Nov"; anything else is returned as is. */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return `${WEEKDAYS[date.getUTCDay()] ?? ''} ${d} ${MONTHS[mo - 1] ?? ''}`;
}

/** A bar's accessible label: "Mon 24 Nov: 0.0012 credits" (+ ", 0.0003 pending" when there is some). */
export function barLabel(day: string, credits: number, pending: number): string {
  const base = `${dayLabel(day)}: ${creditsText(credits)}`;
  return pending > 0 ? `${base}, ${formatCredits(pending)} pending` : base;
}

/** The local calendar days ("YYYY-MM-DD") of the 7 days ending today, oldest first. */
export function lastSevenDays(now: number): string[] {
  const out: string[] = [];
  const d = new Date(now);
  for (let i = 6; i >= 0; i--) {
    const day = new Date(d.getFullYear(), d.getMonth(), d.getDate() - i);
    const mm = String(day.getMonth() + 1).padStart(2, '0');
    const dd = String(day.getDate()).padStart(2, '0');
    out.push(`${day.getFullYear()}-${mm}-${dd}`);
  }
  return out;
}

/** "14:05" in the given locale (the same style as the status line's "Snoozed until 14:05"). */
export function clockTime(ms: number, locale?: string): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** When a job ran, relative to `now` (local time): "14:05" today, "Mon 14:05" this week, else "24 Nov". */
export function jobTime(ms: number, now: number, locale?: string): string {
  const t = new Date(ms);
  const n = new Date(now);
  const dayStart = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const daysAgo = Math.round((dayStart(n) - dayStart(t)) / 86_400_000);
  if (daysAgo <= 0) return clockTime(ms, locale);
  if (daysAgo < 7) return `${WEEKDAYS[t.getDay()] ?? ''} ${clockTime(ms, locale)}`;
  return `${t.getDate()} ${MONTHS[t.getMonth()] ?? ''}`;
}

const STATE_LABEL: Readonly<Record<ReceiptState, string>> = {
  estimated: 'Estimated',
  verified: 'Verified',
  settled: 'Settled',
  rejected: 'Rejected',
};

/** The verification badge: "Estimated" / "Verified" / "Settled" / "Rejected". */
export function stateLabel(state: ReceiptState): string {
  return STATE_LABEL[state] ?? state;
}

const CAPSULE_NAMES: Readonly<Record<string, string>> = {
  pow: 'Proof-of-work',
  crypto: 'Crypto',
  storage: 'Storage',
  image: 'Image',
  physics: 'Physics',
  shader: 'GPU shader',
  ml: 'Machine learning',
};

/** A capsule library's display name; unknown ones (and "pow.search"-style ids) keep their own spelling. */
export function capsuleName(id: string): string {
  if (id === '') return 'Unknown job';
  return CAPSULE_NAMES[id] ?? id;
}

/** "a1b2c3d4…e5f6a7b8" for a long hex id; short ids are returned whole. */
export function shortId(id: string, keep = 8): string {
  return id.length > 2 * keep + 1 ? `${id.slice(0, keep)}…${id.slice(-keep)}` : id;
}

/**
 * The message of an error, for a person. Errors from the background arrive as
 * "background:settings/set: invalid settings: …" (src/messaging/errors.ts); the routing prefix
 * means nothing to the user, so it goes.
 */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const type = (e as { messageType?: unknown }).messageType;
  const prefix = typeof type === 'string' ? `${type}: ` : '';
  return prefix && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/**
 * The settings RangeError ("invalid settings: active.dutyPercent: Too big: …; idleAfterSec: …")
 * with each field path replaced by the label the user sees next to that field.
 */
export function settingsErrorText(message: string, labels: Readonly<Record<string, string>>): string {
  const body = message.replace(/^invalid settings: /, '');
  if (body === message) return `Not saved: ${message}`;
  const parts = body.split('; ').map((part) => {
    const i = part.indexOf(': ');
    if (i < 0) return part;
    const path = part.slice(0, i);
    const label = labels[path] ?? labels[path.replace(/\.\d+$/, '')];
    return label ? `${label}: ${part.slice(i + 2)}` : part;
  });
  return `Not saved. ${parts.join('; ')}`;
}
