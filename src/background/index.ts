import type { WxtBrowser } from 'wxt/browser';
import { sendTo, serve } from '../messaging/messenger';
import { Coordinator } from './coordinator';
import { chromeOffscreenHost, OffscreenManager } from './offscreen-host';
import { StateStore } from './state-store';

export { Coordinator } from './coordinator';
export * from './status';
export * from './offscreen-host';

export const RECONCILE_ALARM = 'inos-reconcile';
/** Chrome's minimum for packed extensions (30 s); the host is also recreated at once via its port. */
export const RECONCILE_PERIOD_MIN = 0.5;
const PORT_NAME = 'inos-offscreen';

/**
 * Wires the coordinator to the browser. Everything here runs synchronously in the worker's first
 * turn, so events that woke the worker reach their listeners; handlers await `coordinator.ready`.
 */
export function startBackground(api: WxtBrowser): Coordinator {
  const log = (msg: string, err?: unknown) => console.warn(`[inos] ${msg}`, err ?? '');
  const coordinator = new Coordinator({
    offscreen: new OffscreenManager(chromeOffscreenHost(api)),
    durable: new StateStore(api.storage.local),
    session: new StateStore(api.storage.session),
    toOffscreen: (type, req) => sendTo(api.runtime, 'offscreen', type, req as never),
    now: Date.now,
    log,
  });
  serve(api.runtime, 'background', coordinator.handlers(), () => coordinator.ready);

  api.runtime.onInstalled.addListener(() => void coordinator.reconcile('installed'));
  api.runtime.onStartup.addListener(() => void coordinator.reconcile('startup'));
  api.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === RECONCILE_ALARM) void coordinator.reconcile('alarm');
  });
  api.runtime.onConnect.addListener((port) => {
    if (port.name !== PORT_NAME) return;
    // The document went away (closed from outside, crashed): bring it back now, not at the next alarm.
    port.onDisconnect.addListener(() =>
      setTimeout(() => void coordinator.reconcile('host-port-closed'), 200),
    );
  });
  void api.alarms.get(RECONCILE_ALARM).then((existing) => {
    if (!existing) void api.alarms.create(RECONCILE_ALARM, { periodInMinutes: RECONCILE_PERIOD_MIN });
  });
  void coordinator.reconcile('worker-start');
  return coordinator;
}
