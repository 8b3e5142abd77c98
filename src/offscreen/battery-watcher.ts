import type { BatteryReport } from '../messaging/protocol';

/** The part of the Battery Status API we read (page contexts only: not the service worker, not Workers). */
export interface BatteryLike extends EventTarget {
  charging: boolean;
  level: number;
}

/** Safety poll in case an event is missed; events deliver changes immediately. */
export const BATTERY_POLL_MS = 30_000;

/**
 * Reports the battery state now, on every change event and every BATTERY_POLL_MS. Without the API
 * it reports once with `supported: false`. Returns a disposer.
 */
export async function watchBattery(
  getBattery: (() => Promise<BatteryLike>) | undefined,
  report: (b: BatteryReport) => void,
  now: () => number,
  signal: AbortSignal,
): Promise<void> {
  if (!getBattery) {
    report({ supported: false, charging: true, level: 1, at: now() });
    return;
  }
  const battery = await getBattery();
  const send = () => report({ supported: true, charging: battery.charging, level: battery.level, at: now() });
  battery.addEventListener('chargingchange', send, { signal });
  battery.addEventListener('levelchange', send, { signal });
  const timer = setInterval(send, BATTERY_POLL_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  send();
}
