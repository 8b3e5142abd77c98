import type { WxtBrowser } from 'wxt/browser';
import { sendTo, serve, type Handlers } from '../messaging/messenger';
import { JobQueue } from '../scheduler/job-queue';
import { Scheduler } from './scheduler';
import { Wallet } from './wallet';
import { marketRequesterHandlers } from './market-requester';
import { Coordinator, LIFT_TIMER, SNOOZE_TIMER, type CoordinatorDeps } from './coordinator';
import { chromeCpuSource } from './cpu-source';
import { chromeIdleSource, OverridableIdleSource, type IdleSource } from './idle-source';
import { chromeOffscreenHost, OffscreenManager } from './offscreen-host';
import { StateStore } from './state-store';
import { WorkflowRelay } from './workflows';
import { MarketContributorBridge } from './market-contributor';
import { MAX_RESTORED } from '../trade/fork-watch';

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
  // Test builds (wxt build --mode test) wrap chrome.idle so end-to-end tests can drive it; the
  // shipped bundle never contains the override (tests/unit/architecture.test.ts checks).
  let idle: IdleSource = chromeIdleSource(api);
  let testHooks: CoordinatorDeps['testHooks'];
  if (import.meta.env.MODE === 'test') {
    const overridable = new OverridableIdleSource(idle);
    idle = overridable;
    testHooks = { setIdle: (s) => overridable.set(s) };
  }
  const wallet = new Wallet(indexedDB);
  const offscreen = new OffscreenManager(chromeOffscreenHost(api));
  const coordinator = new Coordinator({
    balance: () => wallet.balance(),
    offscreen,
    durable: new StateStore(api.storage.local),
    session: new StateStore(api.storage.session),
    toOffscreen: (type, req) => sendTo(api.runtime, 'offscreen', type, req as never),
    idle,
    cpu: chromeCpuSource(api.system?.cpu),
    timers: {
      at: (name, when) => void api.alarms.create(name, { when: Math.max(when, Date.now() + 1_000) }),
      clear: (name) => void api.alarms.clear(name),
    },
    now: Date.now,
    ...(testHooks ? { testHooks } : {}),
    log,
  });
  const workflows = new WorkflowRelay({
    ensureHost: () => offscreen.ensure(),
    toOffscreen: (type, req) => sendTo(api.runtime, 'offscreen', type, req as never),
  });
  const queue = JobQueue.open();
  // Paid mesh jobs run in the offscreen document; here they hold a worker slot and are paid.
  const market = new MarketContributorBridge({
    queue,
    receive: (bundle, work) => wallet.receive(bundle, work),
    acceptPledge: (bundle) => wallet.acceptPledge(bundle),
    redeem: (bundle, result, work) => wallet.redeem(bundle, result, work),
    pledgeResult: (payer, jobId, result, work) => wallet.pledgeResult(payer, jobId, result, work),
    redeemDue: () => wallet.redeemDue(),
    auditedHead: (requester) => wallet.auditedHead(requester),
    reportFork: (proof) => wallet.reportFork(proof),
    forkProof: (payer) => wallet.forkProof(payer),
    forkProofs: () => wallet.forkProofs(MAX_RESTORED),
    changed: () => void scheduler.tick().catch((err: unknown) => log('scheduler tick failed', err)),
    now: Date.now,
  });
  const handlers: Handlers<'background'> = {
    ...coordinator.handlers(),
    ...wallet.handlers(),
    ...workflows.handlers(),
    ...market.handlers(),
    ...marketRequesterHandlers(wallet, () => offscreen.ensure()),
    'offscreen/job-done': (done) => scheduler.onJobDone(done),
  };
  // The popup's earnings carry the paid mesh jobs too (requester, capsule, credits, why a zero).
  const earnings = handlers['earnings/get'];
  handlers['earnings/get'] = async (req, sender) => {
    const res = await earnings(req, sender);
    return { ...res, market: (await market.jobs()).jobs };
  };
  // Every heartbeat (1 s while running) is a chance to fill free worker slots.
  const heartbeat = handlers['offscreen/heartbeat'];
  handlers['offscreen/heartbeat'] = async (req, sender) => {
    const res = await heartbeat(req, sender);
    void scheduler.tick().catch((err: unknown) => log('scheduler tick failed', err));
    return res;
  };
  // A new host: the jobs its predecessor held are requeued at once and its slots filled.
  const hello = handlers['offscreen/hello'];
  handlers['offscreen/hello'] = async (req, sender) => {
    const res = await hello(req, sender);
    void scheduler
      .onHostHello(req.instanceId)
      .then((n) => n > 0 && log(`requeued ${n} job(s) of the previous host`))
      .catch((err: unknown) => log('requeue after hello failed', err));
    return res;
  };
  serve(api.runtime, 'background', handlers, () => coordinator.ready);

  api.runtime.onInstalled.addListener(() => void coordinator.reconcile('installed'));
  api.runtime.onStartup.addListener(() => void coordinator.reconcile('startup'));
  // The reconcile above already recreates the document on every start; this says why when workflows
  // wait in the journal, and makes their resumption independent of the lifecycle's bookkeeping.
  void workflows
    .resumeIfUnfinished()
    .then(
      (n) => n > 0 && log(`${n} unfinished workflow(s) in the journal: the offscreen document resumes them`),
    )
    .catch((err: unknown) => log('workflow journal unreadable', err));
  api.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === RECONCILE_ALARM) {
      void coordinator.reconcile('alarm');
      void wallet.compactIfDue().then(
        (r) =>
          r !== null &&
          r.records > 0 &&
          log(`ledger: archived ${r.records} records (${r.receipts} receipts)`),
        (err: unknown) => log('ledger compaction failed', err),
      );
      // Escrow pledges whose requester left: redeemed here, whatever became of the document.
      void market.redeemDue().then(
        (n) => n > 0 && log(`market: redeemed ${n} escrow pledge(s) of requesters that left`),
        (err: unknown) => log('redeeming escrow pledges failed', err),
      );
    } else if (alarm.name === LIFT_TIMER || alarm.name === SNOOZE_TIMER)
      void coordinator.ready.then(() => coordinator.reevaluate());
  });
  api.runtime.onConnect.addListener((port) => {
    if (port.name !== PORT_NAME) return;
    // The document went away (closed from outside, crashed): bring it back now, not at the next alarm.
    port.onDisconnect.addListener(() =>
      setTimeout(() => void coordinator.reconcile('host-port-closed'), 200),
    );
  });
  const scheduler = new Scheduler({
    queue,
    wallet,
    submit: (order) => sendTo(api.runtime, 'offscreen', 'jobs/submit', order),
    capacity: () => coordinator.capacity(),
    now: Date.now,
    log,
  });
  void api.alarms.get(RECONCILE_ALARM).then((existing) => {
    if (!existing) void api.alarms.create(RECONCILE_ALARM, { periodInMinutes: RECONCILE_PERIOD_MIN });
  });
  void coordinator.reconcile('worker-start');
  return coordinator;
}
