import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { Coordinator, LIFECYCLE_KEY } from '../../../src/background/coordinator';
import { OffscreenManager } from '../../../src/background/offscreen-host';
import { StateStore } from '../../../src/background/state-store';
import type { LifecycleState } from '../../../src/lifecycle';
import type { HeartbeatReport } from '../../../src/messaging/protocol';

let clock = 1_700_000_000_000;
let sent: Array<{ type: string; req: unknown }>;
let docExists: boolean;

function newCoordinator(opts: { offscreenDown?: boolean } = {}) {
  return new Coordinator({
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
    now: () => clock,
  });
}

const beat = (over: Partial<HeartbeatReport> = {}): HeartbeatReport => ({
  instanceId: 'host-1',
  epoch: 1,
  workers: 3,
  workersAlive: 3,
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
    expect(sent).toEqual([{ type: 'lifecycle/apply', req: { lifecycle: c.lifecycle } }]);
    expect((await fakeBrowser.storage.local.get(LIFECYCLE_KEY))[LIFECYCLE_KEY]).toEqual(c.lifecycle);
  });

  it('says how many workers run once heartbeats arrive, and notices when they stop', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 1 }), null);
    expect(c.status().text).toBe('Running: 1 worker');
    await c.handlers()['offscreen/heartbeat'](beat({ workersAlive: 3 }), null);
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

  it('suspends on battery and resumes on AC', async () => {
    const c = newCoordinator();
    await c.dispatch({ type: 'user-contribute' });
    const h = c.handlers();
    await h['offscreen/battery']({ supported: true, charging: false, level: 0.8, at: clock }, null);
    expect(c.status()).toMatchObject({
      phase: 'suspended',
      reason: 'on-battery',
      text: 'Suspended: on battery',
    });
    expect(c.status().contribute).toBe(true);
    await h['offscreen/battery']({ supported: true, charging: true, level: 0.8, at: clock }, null);
    expect(c.status().phase).toBe('running');
    // No Battery API: never a reason to suspend.
    await h['offscreen/battery']({ supported: false, charging: false, level: 0, at: clock }, null);
    expect(c.status().phase).toBe('running');
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
});
