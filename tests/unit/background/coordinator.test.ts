import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { Coordinator, LIFECYCLE_KEY } from '../../../src/background/coordinator';
import { OffscreenManager } from '../../../src/background/offscreen-host';
import { StateStore } from '../../../src/background/state-store';
import { OverridableIdleSource } from '../../../src/background/idle-source';
import type { LifecycleState } from '../../../src/lifecycle';
import type { HeartbeatReport } from '../../../src/messaging/protocol';
import type { CpuSource, CpuTimes } from '../../../src/background/cpu-source';

let clock = 1_700_000_000_000;
let sent: Array<{ type: string; req: unknown }>;
let docExists: boolean;
let idle: OverridableIdleSource;
let timers: Map<string, number>;

function newCoordinator(opts: { offscreenDown?: boolean; cpu?: CpuSource } = {}) {
  return new Coordinator({
    ...(opts.cpu ? { cpu: opts.cpu } : {}),
    offscreen: new OffscreenManager({
      hasDocument: async () => docExists,
      createDocument: async () => {
        docExists = true;
      },
    }),
    durable: new StateStore(fakeBrowser.storage.local),
    session: new StateStore(fakeBrowser.storage.session),
    toOffscreen: async (type, req) => {
      if (opts.offscreenDown) throw new Error('Receiving end does not exist');
      sent.push({ type, req });
      return { applied: (req as { lifecycle: LifecycleState }).lifecycle.epoch } as never;
    },
    idle,
    timers: { at: (n, w) => void timers.set(n, w), clear: (n) => void timers.delete(n) },
    now: () => clock,
    local: () => ({ day: 2, minutes: 12 * 60 }),
  });
}

const beat = (over: Partial<HeartbeatReport> = {}): HeartbeatReport => ({
  instanceId: 'host-1',
  epoch: 1,
  workers: 3,
  workersAlive: 3,
  activeWorkers: 3,
  dutyPercent: 100,
  jobsDone: 0,
  busy: 0,
  load: 0,
  sentAt: clock,
  ...over,
});

beforeEach(() => {
  fakeBrowser.reset();
  sent = [];
  docExists = true;
  timers = new Map();
  idle = new OverridableIdleSource({
    setDetectionInterval() {},
    query: async () => 'active',
    onChange() {},
  });
  clock += 60_000;
});

describe('Coordinator', () => {
  it('starts paused on the first run, and persists that', async () => {
    const c = newCoordinator();
    await c.ready;
    const s = c.status();
    expect(s).toMatchObject({ phase: 'paused', contribute: false, firstRun: true });
    expect(s.text).toBe('Paused — turn on to contribute');
    expect(s.balance).toEqual({ credits: 0, note: 'No earnings yet' });
    expect((await fakeBrowser.storage.local.get(LIFECYCLE_KEY))[LIFECYCLE_KEY]).toMatchObject({
      intent: 'paused',
    });
  });

  it('turns on: persists before telling the host, and the host gets the new state', async () => {
    const c = newCoordinator();
    const s = await c.handlers()['contribute/set']({ on: true }, null);
    expect(s.phase).toBe('running');
    expect(s.text).toBe('Starting the compute host…');
    expect(sent[0]).toEqual({ type: 'lifecycle/apply', req: { lifecycle: c.lifecycle } });
    // A host that starts gets the in-use limits with its state: 1 worker at 50% while the user is active.
    const hello = await c.handlers()['offscreen/hello']({ instanceId: 'h', workers: 3 }, null);
    expect(hello.throttle).toEqual({ profile: 'active', workers: 1, dutyPercent: 50, gpu: false });
    expect((await fakeBrowser.storage.local.get(LIFECYCLE_KEY))[LIFECYCLE_KEY]).toEqual(c.lifecycle);
  });

  it('says how many workers run once heartbeats arrive, and notices when they stop', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 1 }), null);
    expect(c.status().text).toBe('Running: 1 worker');
    await c.handlers()['offscreen/heartbeat'](beat({ activeWorkers: 1, dutyPercent: 50 }), null);
    expect(c.status().text).toBe('Running: 1 worker at 50%');
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 3 }), null);
    expect(c.status().text).toBe('Running: 3 workers');
    // Proof-of-work held for a chunk transfer: said only once it lasts over SHOW_HELD_AFTER_MS.
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 3, powHeldMs: 800 }), null);
    expect(c.status().text).toBe('Running: 3 workers');
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 3, powHeldMs: 2_500 }), null);
    expect(c.status().text).toBe('Running: 3 workers — moving data for a job, proof-of-work paused');
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 3, powHeldMs: 0 }), null);
    expect(c.status().text).toBe('Running: 3 workers');
    clock += 10_000;
    expect(c.status().text).toBe('Starting the compute host…');
  });

  it('restores everything the user sees after a service-worker restart', async () => {
    const first = newCoordinator();
    await first.dispatch({ type: 'user-contribute' });
    await first.handlers()['offscreen/heartbeat'](beat(), null);
    const before = first.status();
    const second = newCoordinator(); // same storage, new worker instance
    await second.ready;
    expect(second.status()).toEqual(before);
  });

  it('ignores malformed stored state and starts fresh and paused', async () => {
    await fakeBrowser.storage.local.set({ [LIFECYCLE_KEY]: { intent: 'turbo', epoch: 'x' } });
    const c = newCoordinator();
    await c.ready;
    expect(c.status().phase).toBe('paused');
  });

  it('suspends on battery at once, and resumes on AC only after the back-off', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    const h = c.handlers();
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.8, at: clock }, null);
    expect(c.status()).toMatchObject({
      phase: 'suspended',
      reason: 'on-battery',
      text: 'On battery',
      contribute: true,
    });
    await h['offscreen/battery']({ supported: true, charging: true, level: 0.8, at: clock }, null);
    expect(c.status().phase).toBe('suspended'); // held: no flapping
    expect(timers.get('inos-lift')).toBe(clock + 5 * 60_000);
    clock += 5 * 60_000;
    await c.reevaluate();
    expect(c.status().phase).toBe('running');
    expect(timers.has('inos-lift')).toBe(false);
    // No Battery API: never a reason to suspend.
    await h['offscreen/battery']({ supported: false, charging: false, level: 0, at: clock }, null);
    expect(c.status().phase).toBe('running');
  });

  it('runs on battery above the level the user allows, with hysteresis', async () => {
    const c = newCoordinator();
    const h = c.handlers();
    await h['settings/set'](
      { battery: { runOnBattery: true, minLevelPercent: 50, hysteresisPercent: 10 }, backoffMinutes: 0 },
      null,
    );
    await c.dispatch({ type: 'user-contribute' });
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.55, at: clock }, null);
    expect(c.status().phase).toBe('running');
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.45, at: clock }, null);
    expect(c.status().reason).toBe('on-battery');
    clock += 10_000;
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.55, at: clock }, null);
    expect(c.status().reason).toBe('on-battery'); // needs 60% to resume
    clock += 10_000;
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.61, at: clock }, null);
    clock += 10_000;
    await c.reevaluate();
    expect(c.status().phase).toBe('running');
  });

  it('uses the idle limits when the user goes idle, and waits for idle if told to', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    await c.handlers()['offscreen/hello']({ instanceId: 'h', workers: 3 }, null);
    expect(c.status().throttle).toEqual({ profile: 'active', workers: 1, dutyPercent: 50, gpu: false });
    idle.set('idle');
    await new Promise((r) => setTimeout(r, 0));
    expect(c.status().throttle).toEqual({ profile: 'idle', workers: 3, dutyPercent: 100, gpu: true });
    await c.handlers()['settings/set']({ active: { workers: 0, dutyPercent: 50 } }, null);
    idle.set('active');
    await new Promise((r) => setTimeout(r, 0));
    expect(c.status()).toMatchObject({ reason: 'waiting-for-idle', text: 'Waiting for idle' });
  });

  it('pushes an opt-out change to a running document at once (its advert follows), not with the next heartbeat', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    sent = [];
    await c.handlers()['settings/set']({ optOut: ['pow'] }, null);
    expect(sent.filter((m) => m.type === 'settings/apply')).toEqual([
      { type: 'settings/apply', req: { optOut: ['pow'], bootstrap: c.currentSettings.mesh.bootstrap } },
    ]);
    // No document: the one created now pulls the settings with offscreen/hello; nothing is pushed.
    docExists = false;
    sent = [];
    await c.handlers()['settings/set']({ optOut: [] }, null);
    expect(sent.filter((m) => m.type === 'settings/apply')).toEqual([]);
  });

  it('snoozes for an hour and resumes by itself', async () => {
    const c = newCoordinator();
    const s = await c.handlers()['lifecycle/snooze']({ minutes: 60 }, null);
    expect(s.reason).toBe('snoozed');
    expect(s.text).toMatch(/^Snoozed until \d\d:\d\d/);
    expect(timers.get('inos-snooze')).toBe(clock + 3_600_000);
    clock += 3_600_000;
    await c.reevaluate();
    expect(c.status().phase).toBe('running');
    await expect(
      Promise.resolve().then(() => c.handlers()['lifecycle/snooze']({ minutes: -5 }, null)),
    ).rejects.toThrow('snooze minutes');
  });

  it('refuses bad settings with a message naming the field', async () => {
    const c = newCoordinator();
    await expect(c.handlers()['settings/set']({ idleAfterSec: 1 } as never, null)).rejects.toThrow(
      'idleAfterSec',
    );
    expect(c.currentSettings.idleAfterSec).toBe(180);
  });

  it('completes a drain when the host reports no slice in flight', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    await c.dispatch({ type: 'user-drain' });
    await c.handlers()['offscreen/heartbeat'](beat({ busy: 1 }), null);
    expect(c.status().phase).toBe('draining');
    await c.handlers()['offscreen/heartbeat'](beat({ busy: 0 }), null);
    expect(c.status().text).toBe('Paused by you');
  });

  it('reports a host that is not isolated, and clears it when a healthy host says hello', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    const h = c.handlers();
    await h['offscreen/fatal']({ instanceId: 'x', kind: 'not-isolated', message: 'not isolated' }, null);
    expect(c.status()).toMatchObject({ phase: 'suspended', reason: 'not-isolated' });
    expect(c.status().host.error).toBe('not isolated');
    const { lifecycle } = await h['offscreen/hello']({ instanceId: 'y', workers: 1 }, null);
    expect(lifecycle.suspensions).toEqual([]);
    expect(c.status()).toMatchObject({ phase: 'running', host: { error: null } });
  });

  it('recreates a missing host on reconcile, and survives a host that cannot be reached', async () => {
    docExists = false;
    const c = newCoordinator({ offscreenDown: true });
    await c.reconcile('alarm');
    expect(docExists).toBe(true);
    await expect(c.dispatch({ type: 'user-contribute' })).resolves.toMatchObject({ phase: 'running' });
  });

  it('rejects a hostile payload with a clear error', async () => {
    const c = newCoordinator();
    await expect(
      Promise.resolve().then(() => c.handlers()['contribute/set']({ on: 'yes' as unknown as boolean }, null)),
    ).rejects.toThrow('"on" must be a boolean');
    expect(c.status().phase).toBe('paused');
  });

  it('waits while the computer is busy with the user’s own programs, and resumes once quiet for the hold', async () => {
    // Two cores; each heartbeat (1 s) advances them by 1000 ms with the busy share the test sets.
    let t: CpuTimes = { busy: [0, 0], total: [0, 0] };
    let busyPerCore = [0, 0];
    const cpu: CpuSource = { sample: async () => t };
    const tick = async (c: Coordinator, over: Partial<HeartbeatReport> = {}) => {
      clock += 1_000;
      t = { busy: t.busy.map((b, i) => b + busyPerCore[i]!), total: t.total.map((x) => x + 1_000) };
      await c
        .handlers()
        ['offscreen/heartbeat'](beat({ activeWorkers: 1, dutyPercent: 50, busy: 1, ...over }), null);
    };
    const c = newCoordinator({ cpu });
    await c.handlers()['contribute/set']({ on: true }, null);
    await c.handlers()['offscreen/hello']({ instanceId: 'h', workers: 1 }, null);
    // Our own worker at its 50% cap on core 0: 25% of the machine, all ours — keeps running.
    busyPerCore = [500, 30];
    for (let i = 0; i < 3; i++) await tick(c);
    expect(c.status().phase).toBe('running');
    // The user's tab takes core 1: 50% of the machine is someone else's → "busy" (threshold 25%).
    busyPerCore = [500, 1_000];
    await tick(c);
    await tick(c);
    expect(c.status()).toMatchObject({
      phase: 'suspended',
      reason: 'busy',
      text: 'Waiting: your computer is busy',
    });
    // Suspended, our worker is parked: all of the load is the user's, still busy.
    busyPerCore = [100, 900];
    await tick(c);
    expect(c.status().reason).toBe('busy');
    // Quiet again: the condition clears, but the hold (15 s by default) keeps us waiting until it lifts.
    busyPerCore = [40, 40];
    await tick(c);
    await tick(c);
    expect(c.status().phase).toBe('suspended');
    expect(timers.get('inos-lift')).toBeGreaterThan(clock);
    clock = timers.get('inos-lift')!;
    await c.reevaluate();
    expect(c.status().phase).toBe('running');
  });

  it('never suspends for "busy" when the threshold is 0, or without a CPU source', async () => {
    let t: CpuTimes = { busy: [0, 0], total: [0, 0] };
    const c = newCoordinator({ cpu: { sample: async () => t } });
    await c.handlers()['contribute/set']({ on: true }, null);
    await c.handlers()['settings/set']({ busy: { thresholdPercent: 0, resumeAfterSec: 15 } }, null);
    for (let i = 0; i < 3; i++) {
      clock += 1_000;
      t = { busy: t.busy.map((b) => b + 1_000), total: t.total.map((x) => x + 1_000) };
      await c.handlers()['offscreen/heartbeat'](beat(), null);
    }
    expect(c.status().phase).toBe('running');
  });
});
