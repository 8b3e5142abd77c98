import { phaseOf, suspendReason, type LifecycleState, type Phase } from '../lifecycle';
import { sendTo, type Handlers, type RuntimeEndpoint } from '../messaging/messenger';
import type {
  BackgroundProtocol,
  BatteryReport,
  MeshReport,
  OffscreenDiagnostics,
} from '../messaging/protocol';
import type { Throttle } from '../scheduler/policy';
import { startEngineHost } from '../pool/engine-host';
import { defaultWorkerCount, type PoolWorker, type WorkerPool } from '../pool/worker-pool';
import {
  computeLayout,
  LAYOUT_VERSION,
  LIFECYCLE_CODE,
  MAX_WORKERS,
  type Layout,
  type Tier,
} from '../sab/layout';
import { watchBattery, type BatteryLike } from './battery-watcher';
import { watchPressure, type PressureObserverCtor } from './pressure-watcher';
import { JobRunner } from './job-runner';
import { builtinCapsules } from '../capsules/builtin';
import type { JobEngine } from '../engine/job-engine';
import { ChunkStoreOwner } from '../capsules/storage/store-owner';
import { testInputBytes } from './test-input';
import type { LocalStoreCore } from '../capsules/storage/chunk-store';

/** The chunk store's quota in the extension (OPFS files, nonce/header/tag included). */
export const STORE_QUOTA_BYTES = 512 * 1024 * 1024;
import type { WorkflowHost } from './workflow-host';
import type { MeshCapabilities } from './mesh-host';
import { NO_MESH_TEST_HANDLERS, type MeshTestHandlers } from './mesh-test-hooks';
import type { IntakeLimits } from './market-intake';
import { PAUSED_REASON } from '../trade/contributor';
import { TransferHold } from './transfer-hold';

export const HEARTBEAT_MS = 1_000;
/** Whether a chunk transfer stops running proof-of-work slices, not only holds new ones. */
export const PREEMPT_FOR_TRANSFERS = true;

export interface HostRuntime extends RuntimeEndpoint {
  connect(info: { name: string }): { onDisconnect: { addListener(cb: () => void): void } };
}

export interface ComputeHostDeps {
  runtime: HostRuntime;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number | undefined;
  spawnWorker: (index: number) => PoolWorker;
  getBattery: (() => Promise<BatteryLike>) | undefined;
  now: () => number;
  tier?: Tier;
  /** Test builds only: lets end-to-end tests pretend the machine went on battery. */
  testHooks?: boolean;
  /** The Compute Pressure API's observer constructor, where the browser has it. */
  pressureObserver?: PressureObserverCtor;
  log?: (msg: string, err?: unknown) => void;
  /** The mesh node (mesh-host.ts); absent in unit tests of the compute side alone. */
  mesh?: {
    setBootstrap(list: readonly string[]): Promise<void>;
    report(): MeshReport;
    /** What we offer changed: the advert follows the throttle and the user's opt-outs. */
    setCapabilities?(caps: MeshCapabilities): void;
    /** Told the number of chunk transfers in flight on each change (mesh-host.ts). */
    onTransfers?(cb: (active: number) => void): void;
  };
  /** Test builds: the mesh node's `test/mesh-*` handlers (mesh-test-hooks.ts). */
  meshTestHandlers?: MeshTestHandlers;
  /**
   * Opens the chunk store this document owns (OPFS + IndexedDB: openBrowserStoreCore); workers reach
   * it through a port each. Absent: storage.put/get/has/delete answer that there is no store here.
   */
  openStore?: () => Promise<{ core: LocalStoreCore; key: Uint8Array }>;
  /** Test builds only: the pool size instead of cores − 1 (tests of work spread over workers). */
  workers?: number;
  /** Workflows and metrics (workflow-host.ts); absent in unit tests of the compute side alone. */
  workflows?: WorkflowHost;
  /** Paid mesh jobs (market-intake.ts): the test build's tamper switch reaches it. */
  market?: { setTamper(on: boolean): boolean };
}

export class NotIsolatedError extends Error {
  constructor() {
    super(
      'The offscreen document is not cross-origin isolated (crossOriginIsolated === false): SharedArrayBuffer ' +
        'is unavailable. The manifest must set cross_origin_opener_policy same-origin and ' +
        'cross_origin_embedder_policy require-corp.',
    );
    this.name = 'NotIsolatedError';
  }
}

const CODE: Record<Phase, number> = {
  paused: LIFECYCLE_CODE.paused,
  running: LIFECYCLE_CODE.running,
  draining: LIFECYCLE_CODE.draining,
  suspended: LIFECYCLE_CODE.suspended,
};

/**
 * The offscreen document's compute host: owns the SharedArrayBuffer and the worker pool, applies the
 * lifecycle the background decides, reports heartbeats and battery state.
 */
export class ComputeHost {
  readonly instanceId = crypto.randomUUID();
  private layout: Layout | null = null;
  private pool: WorkerPool | null = null;
  private engine: JobEngine | null = null;
  private store: ChunkStoreOwner | null = null;
  private lifecycle: LifecycleState | null = null;
  private battery: BatteryReport | null = null;
  private powerOverride: { charging: boolean; level: number } | null = null;
  private port: unknown = null;
  private readonly startedAt: number;
  private helloAt: number | null = null;
  private firstJobAt: number | null = null;
  private readonly abort = new AbortController();
  private readonly jobs = new JobRunner(
    () => this.engine,
    (done) => this.send('offscreen/job-done', done),
    (msg, err) => this.deps.log?.(msg, err),
    (order, o) =>
      this.deps.workflows?.observeJob({
        library: order.library,
        method: order.method,
        ms: o.ms,
        status: o.status,
        costUsed: o.costUsed,
        budget: order.budget,
        bytesCopied: o.bytesCopied,
        bytesIn: 0,
      }),
  );

  /**
   * Holds local proof-of-work while chunk transfers are in flight. Running slices are stopped
   * (PREEMPT_FOR_TRANSFERS): a slice runs ~SLICE_TARGET_MS (10 s), longer than most transfers.
   */
  readonly transferHold: TransferHold;

  constructor(private readonly deps: ComputeHostDeps) {
    this.startedAt = deps.now();
    this.transferHold = new TransferHold({
      hold: () => this.engine?.holdPreemptible({ preempt: PREEMPT_FOR_TRANSFERS }) ?? null,
      now: deps.now,
    });
  }

  private send = <K extends keyof BackgroundProtocol & `offscreen/${string}`>(
    type: K,
    req: Parameters<typeof sendTo<'background', K>>[3],
  ) => sendTo(this.deps.runtime, 'background', type, req as never);

  /** Throws NotIsolatedError (after telling the background) when shared memory is unavailable. */
  async start(): Promise<void> {
    if (!this.deps.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') {
      const err = new NotIsolatedError();
      await this.send('offscreen/fatal', {
        instanceId: this.instanceId,
        kind: 'not-isolated',
        message: err.message,
      });
      throw err;
    }
    const workers = this.deps.workers ?? defaultWorkerCount(this.deps.hardwareConcurrency, MAX_WORKERS);
    this.layout = computeLayout({ tier: this.deps.tier ?? 'light', workers });
    const store = this.startStore();
    const host = startEngineHost({
      layout: this.layout,
      spawn: this.deps.spawnWorker,
      capsules: builtinCapsules,
      lifecycle: LIFECYCLE_CODE.paused,
      ...(store
        ? {
            initExtra: (index: number) => {
              const storePort = store.connect(index);
              return { fields: { storePort }, transfer: [storePort] };
            },
          }
        : {}),
    });
    this.sab = host.sab;
    this.pool = host.pool;
    this.engine = host.engine;
    // No local proof-of-work while the mesh moves chunks (transfer-hold.ts); paid jobs are not held.
    this.deps.mesh?.onTransfers?.((active) => this.transferHold.update(active));
    // Finishes what the journal holds (its jobs run once the lifecycle lets the pool work).
    void this.deps.workflows
      ?.attach(host.engine, host.registry)
      .catch((err: unknown) => this.deps.log?.('workflows unavailable', err));
    this.connectPort();
    const { lifecycle, throttle, bootstrap, optOut } = await this.send('offscreen/hello', {
      instanceId: this.instanceId,
      workers,
    });
    this.helloAt = this.deps.now();
    // Not awaited: the node dials (and retries) in the background; heartbeats report its state.
    void this.deps.mesh?.setBootstrap(bootstrap).catch((err) => this.deps.log?.('mesh failed', err));
    this.optOut = optOut;
    if (throttle) this.applyThrottle(throttle);
    this.advertise();
    this.apply(lifecycle);
    const beat = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.abort.signal.addEventListener('abort', () => clearInterval(beat), { once: true });
    void watchBattery(
      this.deps.getBattery,
      (b) => this.reportBattery(b, false),
      this.deps.now,
      this.abort.signal,
    ).catch((err) => this.deps.log?.('battery unavailable', err));
    watchPressure(
      this.deps.pressureObserver,
      (state) =>
        void this.send('offscreen/pressure', { state }).catch((err) =>
          this.deps.log?.('pressure report not delivered', err),
        ),
      this.abort.signal,
    );
  }

  private sab: SharedArrayBuffer | null = null;

  /** The one chunk store of this document (workers, mesh, market); null without a store. */
  get chunkOwner(): ChunkStoreOwner | null {
    return this.store;
  }

  /** The chunk store owner; its helpers are `storage.put` jobs of single pieces on idle workers. */
  private startStore(): ChunkStoreOwner | null {
    if (!this.deps.openStore) return null;
    this.store = new ChunkStoreOwner({
      open: this.deps.openStore,
      helpers: {
        sab: () => this.sab,
        idle: () => {
          const { pool, engine } = this;
          if (!pool || !engine || pool.lifecycleCode() !== LIFECYCLE_CODE.running) return 0;
          const active = Math.min(pool.size, pool.throttle().workers || pool.size);
          return active - engine.inFlight - engine.queued;
        },
        submit: async (input, params, signal) => {
          if (!this.engine) throw new Error('compute host not started');
          return this.engine.submit({ library: 'storage', method: 'put', params, input, signal });
        },
        // No `read`: served chunks are decrypted on this document's thread. A storage.get job per
        // served chunk on the (duty-cycled) pool measured slower in bench:mesh (2026-11-28, load 21:
        // browser→browser 0.02× a raw WebSocket, transfers incomplete) than reading here.
      },
      log: (msg, err) => this.deps.log?.(msg, err),
    });
    return this.store;
  }

  /** Applies the user's limits to the pool; a no-op when they are already in effect. */
  applyThrottle(t: Throttle): { workers: number; dutyPercent: number; gpu: boolean } {
    if (!this.pool) throw new Error('compute host not started');
    const current = this.pool.throttle();
    const workers = Math.max(1, Math.min(this.pool.size, t.workers));
    if (current.workers !== workers || current.dutyPercent !== t.dutyPercent || current.gpu !== t.gpu) {
      this.pool.setThrottle(workers, t.dutyPercent, t.gpu);
      this.engine?.pump();
      this.advertise();
    }
    return this.pool.throttle();
  }

  private optOut: readonly string[] = [];

  /** The engine jobs run on (paid mesh jobs too); null before start. */
  get jobEngine(): JobEngine | null {
    return this.engine;
  }

  /**
   * What paid mesh jobs may take now: none while not running (the reason goes back to the
   * requester in the declined claim), the user's opt-outs, and the throttle's workers.
   */
  marketLimits(): IntakeLimits {
    const state = this.lifecycle;
    const phase = state ? phaseOf(state) : 'paused';
    const decline =
      phase === 'running'
        ? null
        : phase === 'paused'
          ? PAUSED_REASON
          : phase === 'suspended'
            ? `the contributor is suspended (${(state && suspendReason(state)) ?? 'unknown reason'})`
            : 'the contributor is finishing its jobs before pausing';
    return { decline, optOut: this.optOut, workers: this.pool?.throttle().workers ?? 0 };
  }

  /** Tells the mesh node what we offer now (it republishes its advert only when that changed). */
  private advertise(): void {
    if (!this.pool || !this.deps.mesh?.setCapabilities) return;
    const t = this.pool.throttle();
    this.deps.mesh.setCapabilities({
      capsules: builtinCapsules,
      optOut: this.optOut,
      workers: t.workers,
      dutyPercent: t.dutyPercent,
      gpu: t.gpu,
    });
  }

  private reportBattery(b: BatteryReport, fromOverride: boolean): void {
    if (this.powerOverride && !fromOverride) return;
    this.battery = b;
    this.send('offscreen/battery', b).catch((err) => this.deps.log?.('battery report not delivered', err));
  }

  /** Applies a state if it is newer than the one we run; returns the epoch now applied. */
  apply(next: LifecycleState): number {
    if (!this.pool) throw new Error('compute host not started');
    if (this.lifecycle && next.epoch < this.lifecycle.epoch) return this.lifecycle.epoch;
    const changed = !this.lifecycle || phaseOf(this.lifecycle) !== phaseOf(next);
    this.lifecycle = next;
    if (changed) {
      this.pool.setLifecycle(CODE[phaseOf(next)]);
      this.engine?.pump();
    }
    return next.epoch;
  }

  /** A port lets the background notice at once when this document goes away (it recreates it). */
  private connectPort(): void {
    const port = this.deps.runtime.connect({ name: 'inos-offscreen' });
    this.port = port;
    port.onDisconnect.addListener(() => {
      if (this.port === port) this.port = null;
    });
  }

  private async heartbeat(): Promise<void> {
    if (!this.pool || !this.lifecycle) return;
    const phase = phaseOf(this.lifecycle);
    // Also while waiting out a busy computer: the background samples the machine's CPU with each beat,
    // and only that sampling can lift the suspension.
    const waitingOutBusy = phase === 'suspended' && suspendReason(this.lifecycle) === 'busy';
    if (phase !== 'running' && phase !== 'draining' && !waitingOutBusy) return;
    // The service worker may have been stopped since: reconnect so it hears if we go away.
    if (!this.port) this.connectPort();
    const now = this.deps.now();
    const load = this.sampleLoad(now);
    try {
      const { lifecycle, throttle, bootstrap, optOut } = await this.send('offscreen/heartbeat', {
        instanceId: this.instanceId,
        epoch: this.lifecycle.epoch,
        workers: this.pool.size,
        workersAlive: this.pool.aliveCount(),
        activeWorkers: this.pool.throttle().workers,
        dutyPercent: this.pool.throttle().dutyPercent,
        jobsDone: this.pool.jobsDone(),
        busy: this.engine?.inFlight ?? 0,
        load,
        sentAt: now,
        ...(this.deps.mesh ? { mesh: this.deps.mesh.report() } : {}),
        powHeldMs: this.transferHold.heldForMs(),
      });
      if (bootstrap)
        void this.deps.mesh?.setBootstrap(bootstrap).catch((err) => this.deps.log?.('mesh failed', err));
      this.optOut = optOut;
      if (throttle) this.applyThrottle(throttle);
      this.advertise();
      this.apply(lifecycle);
    } catch (err) {
      this.deps.log?.('heartbeat not delivered', err);
    }
  }

  private lastLoad: { at: number; busyMs: number } | null = null;

  /**
   * Share of the pool's worker time spent running jobs since the previous sample, 0..1 (from the
   * workers' LOAD words: milliseconds inside jobs, parked time excluded).
   */
  sampleLoad(now: number): number {
    if (!this.pool) return 0;
    const busyMs = this.pool.busyMs();
    const prev = this.lastLoad;
    this.lastLoad = { at: now, busyMs };
    if (!prev || now <= prev.at) return 0;
    const share = ((busyMs - prev.busyMs) | 0) / ((now - prev.at) * this.pool.size);
    return Math.max(0, Math.min(1, share));
  }

  diagnostics(): OffscreenDiagnostics {
    return {
      instanceId: this.instanceId,
      crossOriginIsolated: this.deps.crossOriginIsolated,
      sharedBufferBytes: this.layout?.byteLength ?? 0,
      layoutVersion: LAYOUT_VERSION,
      lifecycleCode: this.pool?.lifecycleCode() ?? -1,
      workers:
        this.pool?.snapshot().map(({ index, ready, expectedReady, heartbeat }) => ({
          index,
          ready,
          expectedReady,
          heartbeat,
        })) ?? [],
      battery: this.battery,
      startedAt: this.startedAt,
      helloAt: this.helloAt,
      firstJobAt: this.firstJobAt,
    };
  }

  handlers(): Handlers<'offscreen'> {
    return {
      'lifecycle/apply': ({ lifecycle }) => ({ applied: this.apply(lifecycle) }),
      'diagnostics/get': () => this.diagnostics(),
      'throttle/apply': (t) => this.applyThrottle(t),
      'settings/apply': ({ optOut, bootstrap }) => {
        this.optOut = optOut;
        this.advertise();
        void this.deps.mesh?.setBootstrap(bootstrap).catch((err) => this.deps.log?.('mesh failed', err));
        return { applied: true };
      },
      'jobs/submit': (order) => {
        const r = this.jobs.submit(order);
        if (r.accepted) this.firstJobAt ??= this.deps.now();
        return { ...r, hostId: this.instanceId };
      },
      'test/market-tamper': ({ on }) => {
        if (import.meta.env.MODE !== 'test' || !this.deps.testHooks || !this.deps.market)
          throw new Error('test hooks are not built into this extension');
        console.info('[inos test build] paid mesh jobs: outputs corrupted', on);
        return { on: this.deps.market.setTamper(on === true) };
      },
      'workflow/start': (req) => this.workflowHost().start(req),
      'metrics/get': () => this.workflowHost().metricsExport(),
      ...(import.meta.env.MODE === 'test' && this.deps.testHooks && this.deps.meshTestHandlers
        ? this.deps.meshTestHandlers
        : NO_MESH_TEST_HANDLERS),
      'test/set-power': (power) => {
        if (import.meta.env.MODE !== 'test' || !this.deps.testHooks)
          throw new Error('test hooks are not built into this extension');
        console.info('[inos test build] power overridden', power);
        this.powerOverride = power;
        if (power) this.reportBattery({ supported: true, ...power, at: this.deps.now() }, true);
        return undefined;
      },
      'test/storage-job': async ({ library = 'storage', method, params, inputB64, generated }) => {
        if (import.meta.env.MODE !== 'test' || !this.deps.testHooks)
          throw new Error('test hooks are not built into this extension');
        if (!this.engine) throw new Error('compute host not started');
        if (this.store) this.store.lastFanout = null;
        const input = generated
          ? testInputBytes(generated.seed, generated.bytes)
          : Uint8Array.from(atob(inputB64), (c) => c.charCodeAt(0));
        if (library !== 'storage' && library !== 'ml')
          throw new Error(`test/storage-job runs storage or ml jobs, not ${String(library)}`);
        const r = await this.engine.submit({ library, method, params, input });
        let bin = '';
        if (r.output.length <= 1 << 20)
          for (let i = 0; i < r.output.length; i += 0x8000)
            bin += String.fromCharCode(...r.output.subarray(i, i + 0x8000));
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', r.output.slice()));
        return {
          status: r.status,
          error: r.error,
          outputB64: btoa(bin),
          outputSha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
          worker: r.worker,
          ms: r.ms,
          fanout: this.store?.lastFanout ?? null,
        };
      },
    };
  }

  private workflowHost(): WorkflowHost {
    if (!this.deps.workflows) throw new Error('this compute host runs no workflows');
    return this.deps.workflows;
  }

  dispose(): void {
    this.abort.abort();
    this.transferHold.dispose();
    this.deps.workflows?.close();
    this.engine?.close();
    void this.pool?.dispose(LIFECYCLE_CODE.stopped);
    void this.store?.close();
  }
}
