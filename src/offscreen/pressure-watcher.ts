import type { Pressure } from '../scheduler/policy';

/** The slice of the Compute Pressure API (Chrome 125+) we use. */
export interface PressureRecordLike {
  source: string;
  state: string;
}
export interface PressureObserverLike {
  observe(source: 'cpu', options?: { sampleInterval?: number }): Promise<void>;
  disconnect(): void;
}
export type PressureObserverCtor = new (cb: (records: PressureRecordLike[]) => void) => PressureObserverLike;

const STATES: readonly Pressure[] = ['nominal', 'fair', 'serious', 'critical'];
/** Sample once a second: the policy's heat hold is twice that. */
export const PRESSURE_SAMPLE_MS = 1_000;

/**
 * Reports CPU pressure changes where the API exists and delivers records. Headless Chromium here
 * exposes the observer but delivered no records under full load (PLATFORM.md), so silence is normal
 * and the policy treats "no record" as no information, never as "nominal".
 */
export function watchPressure(
  ctor: PressureObserverCtor | undefined,
  report: (state: Pressure) => void,
  signal: AbortSignal,
): void {
  if (!ctor) return;
  let last: Pressure | null = null;
  const observer = new ctor((records) => {
    const rec = records.at(-1);
    const state = rec && (STATES as readonly string[]).includes(rec.state) ? (rec.state as Pressure) : null;
    if (state && state !== last) {
      last = state;
      report(state);
    }
  });
  observer.observe('cpu', { sampleInterval: PRESSURE_SAMPLE_MS }).catch(() => {
    // Not permitted or not supported here: stay silent.
  });
  signal.addEventListener('abort', () => observer.disconnect(), { once: true });
}
