import { describe, expect, it, vi } from 'vitest';
import { initialLifecycle, transition, type LifecycleState } from '../../../src/lifecycle';
import { sendTo, serve, type Handlers } from '../../../src/messaging';
import { ComputeHost, NotIsolatedError, type HostRuntime } from '../../../src/offscreen/compute-host';
import type { PoolWorker, WorkerInit } from '../../../src/pool/worker-pool';
import {
  assertLayout,
  checkCapsuleTable,
  CONTROL_WORDS,
  CTRL,
  LIFECYCLE_CODE,
  WORKER_SLOT,
  workerReadyValue,
  workerSlot,
} from '../../../src/sab/layout';
import { runtimeBus } from '../messaging/_runtime';

/** Stands in for a browser Worker: on init it does what pool-worker.ts does first (mark itself ready). */
function fakeWorker(inits: WorkerInit[]): PoolWorker {
  return {
    postMessage(m) {
      const init = m as WorkerInit;
      inits.push(init);
      const layout = assertLayout(init.sab);
      Atomics.store(
        workerSlot(init.sab, layout, init.index),
        WORKER_SLOT.READY,
        workerReadyValue(init.index),
      );
    },
    terminate() {},
  };
}

function setup(
  opts: {
    isolated?: boolean;
    cores?: number;
    lifecycle?: LifecycleState;
    mesh?: ConstructorParameters<typeof ComputeHost>[0]['mesh'];
  } = {},
) {
  const bus = runtimeBus();
  const calls: Array<{ type: string; req: unknown }> = [];
  let lifecycle = opts.lifecycle ?? initialLifecycle(0);
  const background: Partial<Handlers<'background'>> = {
    'offscreen/hello': (req) => (
      calls.push({ type: 'hello', req }),
      { lifecycle, throttle: null, bootstrap: [], optOut: [] }
    ),
    'offscreen/heartbeat': (req) => (
      calls.push({ type: 'heartbeat', req }),
      { lifecycle, throttle: null, bootstrap: [], optOut: [] }
    ),
    'offscreen/battery': (req) => (calls.push({ type: 'battery', req }), undefined),
    'offscreen/fatal': (req) => (calls.push({ type: 'fatal', req }), undefined),
  };
  serve(bus.endpoint(), 'background', background as Handlers<'background'>);
  const ep = bus.endpoint();
  const runtime: HostRuntime = { ...ep, connect: () => ({ onDisconnect: { addListener() {} } }) };
  const inits: WorkerInit[] = [];
  const host = new ComputeHost({
    runtime,
    crossOriginIsolated: opts.isolated ?? true,
    hardwareConcurrency: opts.cores ?? 4,
    spawnWorker: () => fakeWorker(inits),
    getBattery: undefined,
    now: Date.now,
    ...(opts.mesh ? { mesh: opts.mesh } : {}),
  });
  serve(ep, 'offscreen', host.handlers());
  return { host, calls, inits, caller: bus.endpoint(), setLifecycle: (l: LifecycleState) => (lifecycle = l) };
}

/** What a mesh with no network reports. */
const offlineReport = () => ({
  peerId: null,
  peers: 0,
  relay: false,
  addrs: [],
  lastError: null,
  retryInS: null,
  adverts: 0,
});

describe('ComputeHost', () => {
  it('refuses to start without cross-origin isolation, and tells the background why', async () => {
    const { host, calls, inits } = setup({ isolated: false });
    await expect(host.start()).rejects.toBeInstanceOf(NotIsolatedError);
    expect(calls).toEqual([
      {
        type: 'fatal',
        req: expect.objectContaining({
          kind: 'not-isolated',
          message: expect.stringContaining('crossOriginIsolated'),
        }),
      },
    ]);
    expect(inits).toHaveLength(0);
    host.dispose();
  });

  it('starts cores − 1 workers over one shared buffer and asks the background what to do', async () => {
    const { host, calls, inits } = setup({ cores: 4 });
    await host.start();
    expect(inits.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(new Set(inits.map((i) => i.sab)).size).toBe(1);
    expect(calls[0]).toEqual({ type: 'hello', req: { instanceId: host.instanceId, workers: 3 } });
    const d = host.diagnostics();
    expect(d.workers.every((w) => w.ready === w.expectedReady)).toBe(true);
    expect(d.battery).toMatchObject({ supported: false });
    host.dispose();
  });

  it('applies pushed settings at once: a new opt-out reaches the mesh advert without a heartbeat', async () => {
    const caps: string[][] = [];
    const boots: string[][] = [];
    const { host, caller, calls } = setup({
      mesh: {
        setBootstrap: async (l) => void boots.push([...l]),
        report: offlineReport,
        setCapabilities: (c) => void caps.push([...c.optOut]),
      },
    });
    await host.start();
    const beats = calls.filter((c) => c.type === 'heartbeat').length;
    const res = await sendTo(caller, 'offscreen', 'settings/apply', {
      optOut: ['pow'],
      bootstrap: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'],
    });
    expect(res).toEqual({ applied: true });
    expect(caps.at(-1)).toEqual(['pow']);
    expect(boots.at(-1)).toEqual(['/ip4/127.0.0.1/tcp/1/ws/p2p/x']);
    expect(calls.filter((c) => c.type === 'heartbeat').length).toBe(beats);
    host.dispose();
  });

  it('holds preemptible jobs while the mesh reports chunk transfers, releases after the linger and on dispose', async () => {
    let tell: ((active: number) => void) | null = null;
    const { host } = setup({
      mesh: {
        setBootstrap: async () => undefined,
        report: offlineReport,
        onTransfers: (cb) => void (tell = cb),
      },
    });
    await host.start();
    expect(tell).not.toBeNull();
    const engine = host.jobEngine!;
    expect(engine.preemptibleHeld).toBe(false);
    tell!(2);
    expect([engine.preemptibleHeld, host.transferHold.held]).toEqual([true, true]);
    tell!(0);
    expect(engine.preemptibleHeld).toBe(true); // lingering
    await vi.waitFor(() => expect(engine.preemptibleHeld).toBe(false), { timeout: 10_000, interval: 50 });
    tell!(1);
    expect(engine.preemptibleHeld).toBe(true);
    host.dispose();
    expect([engine.preemptibleHeld, host.transferHold.held]).toEqual([false, false]);
    tell!(3); // a late count after the document closed takes no hold
    expect(engine.preemptibleHeld).toBe(false);
  });

  it('runs at least one worker on a single-core machine', async () => {
    const { host, inits } = setup({ cores: 1 });
    await host.start();
    expect(inits).toHaveLength(1);
    host.dispose();
  });

  it('publishes the lifecycle into shared memory, in epoch order', async () => {
    const { host, inits, caller } = setup();
    await host.start();
    const sab = inits[0]!.sab;
    const ctrl = new Int32Array(sab, assertLayout(sab).controlOffset, CONTROL_WORDS);
    expect(Atomics.load(ctrl, CTRL.LIFECYCLE)).toBe(LIFECYCLE_CODE.paused);
    const on = transition(initialLifecycle(0), { type: 'user-contribute' }, 1);
    const epochBefore = Atomics.load(ctrl, CTRL.LIFECYCLE_EPOCH);
    await expect(sendTo(caller, 'offscreen', 'lifecycle/apply', { lifecycle: on })).resolves.toEqual({
      applied: on.epoch,
    });
    expect(Atomics.load(ctrl, CTRL.LIFECYCLE)).toBe(LIFECYCLE_CODE.running);
    expect(Atomics.load(ctrl, CTRL.LIFECYCLE_EPOCH)).toBe(epochBefore + 1);
    // A late, older state is ignored.
    await sendTo(caller, 'offscreen', 'lifecycle/apply', { lifecycle: initialLifecycle(0) });
    expect(Atomics.load(ctrl, CTRL.LIFECYCLE)).toBe(LIFECYCLE_CODE.running);
    host.dispose();
    expect(Atomics.load(ctrl, CTRL.LIFECYCLE)).toBe(LIFECYCLE_CODE.stopped);
  });

  it('keeps beating while suspended for a busy computer (the beats carry the CPU sampling), not for battery', async () => {
    const on = transition(initialLifecycle(0), { type: 'user-contribute' }, 1);
    const busy = transition(on, { type: 'policy', reasons: ['busy'] }, 2);
    const battery = transition(on, { type: 'policy', reasons: ['on-battery'] }, 2);
    for (const [lifecycle, beats] of [
      [busy, true],
      [battery, false],
    ] as const) {
      const { host, calls } = setup({ lifecycle });
      await host.start();
      // Three heartbeat periods (1 s each): generous for a loaded machine, and only a lower bound matters.
      await new Promise((r) => setTimeout(r, 3_200));
      expect(
        calls.some((c) => c.type === 'heartbeat'),
        `${lifecycle.suspensions.join()}`,
      ).toBe(beats);
      host.dispose();
    }
  });

  it("reports as load the share of worker time spent in jobs, from the workers' LOAD words", async () => {
    let now = 1_000_000;
    const { host, inits } = setup({ cores: 3 }); // two workers
    (host as unknown as { deps: { now: () => number } }).deps.now = () => now;
    await host.start();
    const sab = inits[0]!.sab;
    const layout = assertLayout(sab);
    expect(host.sampleLoad(now)).toBe(0); // first sample: nothing to compare with
    now += 1_000;
    // Worker 0 ran jobs for 800 ms of that second, worker 1 for 200 ms: 1,000 of 2,000 worker-ms.
    Atomics.add(workerSlot(sab, layout, 0), WORKER_SLOT.LOAD, 800);
    Atomics.add(workerSlot(sab, layout, 1), WORKER_SLOT.LOAD, 200);
    expect(host.sampleLoad(now)).toBeCloseTo(0.5, 6);
    now += 1_000;
    expect(host.sampleLoad(now)).toBe(0);
    // The counter wraps around Int32 without a bogus reading.
    Atomics.store(workerSlot(sab, layout, 0), WORKER_SLOT.LOAD, 0x7fffffff);
    host.sampleLoad(now);
    now += 500;
    Atomics.add(workerSlot(sab, layout, 0), WORKER_SLOT.LOAD, 500);
    expect(host.sampleLoad(now)).toBeCloseTo(0.5, 6);
    host.dispose();
  });

  it('publishes its capsule table in shared memory before any worker starts', async () => {
    const { host, inits } = setup();
    await host.start();
    const sab = inits[0]!.sab;
    const layout = assertLayout(sab);
    const { builtinCapsules } = await import('../../../src/capsules/builtin');
    const index = checkCapsuleTable(sab, layout, builtinCapsules);
    expect([...index.keys()].sort()).toEqual(builtinCapsules.map((c) => c.library).sort());
    expect(() => checkCapsuleTable(sab, layout, builtinCapsules.slice(1))).toThrow(/serves \d+ capsules/);
    expect(() =>
      checkCapsuleTable(sab, layout, [
        { ...builtinCapsules[0]!, version: '0.0.0-other' },
        ...builtinCapsules.slice(1),
      ]),
    ).toThrow(/differs from the host's version/);
    host.dispose();
  });
});
