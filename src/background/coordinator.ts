import {
  initialLifecycle,
  parseLifecycle,
  phaseOf,
  transition,
  type LifecycleEvent,
  type LifecycleState,
} from '../lifecycle';
import type { Handlers, Req, Res } from '../messaging/messenger';
import type { BatteryReport, HeartbeatReport, OffscreenProtocol } from '../messaging/protocol';
import type { Throttle } from '../scheduler/policy';
import { DEFAULT_SETTINGS, parseSettings, updateSettings, type Settings } from '../scheduler/settings';
import { OtherCpuMeter, type CpuSource } from './cpu-source';
import type { IdleSource } from './idle-source';
import type { OffscreenManager } from './offscreen-host';
import type { StateStore } from './state-store';
import { buildStatus, type HostHealth, type Status } from './status';
import {
  evaluateThrottle,
  INITIAL_THROTTLE_STATE,
  parseThrottleState,
  type ThrottleState,
} from './throttler';

export const LIFECYCLE_KEY = 'inos.lifecycle';
export const HEALTH_KEY = 'inos.health';
export const BATTERY_KEY = 'inos.battery';
export const SETTINGS_KEY = 'inos.settings';
export const THROTTLE_KEY = 'inos.throttle';
/** Timer names (chrome.alarms in the product). */
export const LIFT_TIMER = 'inos-lift';
export const SNOOZE_TIMER = 'inos-snooze';
export const SNOOZE_MAX_MIN = 24 * 60;
const ARRIVALS_KEPT = 32;

type SendToOffscreen = <K extends keyof OffscreenProtocol & string>(
  type: K,
  req: Req<'offscreen', K>,
) => Promise<Res<'offscreen', K>>;

/** Served by the wallet and the scheduler, not the coordinator. */
export type CoordinatorExcluded =
  | 'earnings/get'
  | 'identity/export'
  | 'identity/import'
  | 'ledger/history'
  | 'ledger/append'
  | 'market/balance'
  | 'market/hold'
  | 'market/pay'
  | 'market/release'
  | 'offscreen/job-done'
  | 'market/job'
  | 'market/receive'
  | 'market/pledge'
  | 'market/redeem'
  | 'market/pledge-result'
  | 'market/audited-head'
  | 'market/fork'
  | 'market/fork-proof'
  | 'market/fork-proofs'
  | 'market/jobs'
  | 'workflow/start'
  | 'workflow/status'
  | 'metrics/get';

export interface CoordinatorDeps {
  offscreen: OffscreenManager;
  /** Durable across browser restarts (chrome.storage.local). */
  durable: StateStore;
  /** Survives a service-worker restart, not a browser restart (chrome.storage.session). */
  session: StateStore;
  toOffscreen: SendToOffscreen;
  idle: IdleSource;
  /** Whole-machine CPU times (chrome.system.cpu), for "pause while the computer is busy"; absent = never. */
  cpu?: CpuSource;
  /** One-shot timers by name (chrome.alarms `when`); setting a name again replaces it. */
  timers: { at(name: string, when: number): void; clear(name: string): void };
  now: () => number;
  /** Local day/minutes for the schedule; tests pin it. */
  local?: (now: number) => { day: number; minutes: number };
  /** True only in test builds: enables the test/* messages that drive idle and power. */
  testHooks?: { setIdle(state: 'active' | 'idle' | 'locked' | null): void };
  /** The settled balance for the status line (the wallet's); zero until the ledger is open. */
  balance?: () => { credits: number; note: string };
  log?: (msg: string, err?: unknown) => void;
}

function parseHealth(v: unknown): HostHealth | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as HostHealth;
  return {
    lastHeartbeat: o.lastHeartbeat ?? null,
    lastHeartbeatAt: typeof o.lastHeartbeatAt === 'number' ? o.lastHeartbeatAt : null,
    error: typeof o.error === 'string' ? o.error : null,
  };
}

function parseBattery(v: unknown): BatteryReport | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as BatteryReport;
  return typeof o.charging === 'boolean' && typeof o.level === 'number' ? o : null;
}

/**
 * The background's single owner of lifecycle state. Everything durable is in storage, so a
 * service-worker restart reloads it in `ready` and nothing the user sees changes.
 */
export class Coordinator {
  readonly ready: Promise<void>;
  private state: LifecycleState;
  private health: HostHealth = { lastHeartbeat: null, lastHeartbeatAt: null, error: null };
  private battery: BatteryReport | null = null;
  private arrivals: number[] = [];
  private readonly startedAt: number;
  private settings: Settings = DEFAULT_SETTINGS;
  private throttleState: ThrottleState = INITIAL_THROTTLE_STATE;
  private throttle: Throttle | null = null;
  private readonly otherCpu = new OtherCpuMeter();
  /** Whether the last measurement was above the user's busy threshold (re-evaluate only on a change). */
  private overBusy: boolean | null = null;
  /** Test builds: a pinned reading instead of chrome.system.cpu (test/set-other-cpu). */
  private otherCpuOverride: number | null = null;

  constructor(private readonly deps: CoordinatorDeps) {
    this.startedAt = deps.now();
    this.state = initialLifecycle(this.startedAt);
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    const [state, health, battery, settings, throttle] = await Promise.all([
      this.deps.durable.read(LIFECYCLE_KEY, parseLifecycle),
      this.deps.session.read(HEALTH_KEY, parseHealth),
      this.deps.session.read(BATTERY_KEY, parseBattery),
      this.deps.durable.read(SETTINGS_KEY, (v) => (v === undefined ? null : parseSettings(v))),
      this.deps.session.read(THROTTLE_KEY, parseThrottleState),
    ]);
    if (state) this.state = state;
    else await this.deps.durable.write(LIFECYCLE_KEY, this.state);
    if (health) this.health = health;
    this.battery = battery;
    if (settings) this.settings = settings;
    if (throttle) this.throttleState = throttle;
    this.deps.idle.setDetectionInterval(this.settings.idleAfterSec);
    this.throttleState = {
      ...this.throttleState,
      signals: {
        ...this.throttleState.signals,
        idle: await this.deps.idle.query(this.settings.idleAfterSec),
      },
    };
    this.deps.idle.onChange((idle) => void this.signal({ idle }));
    // What the host was last told, as far as the previous worker instance knew (same inputs).
    this.throttle = evaluateThrottle(
      this.settings,
      this.throttleState,
      this.deps.now(),
      this.deps.local?.(this.deps.now()),
    ).throttle;
  }

  get currentSettings(): Settings {
    return this.settings;
  }

  /** A signal changed (idle state, battery, pressure, host size): re-evaluate the user's limits. */
  async signal(patch: Partial<ThrottleState['signals']>): Promise<void> {
    await this.ready;
    this.throttleState = { ...this.throttleState, signals: { ...this.throttleState.signals, ...patch } };
    await this.reevaluate();
  }

  /**
   * Applies the limits: policy reasons become suspensions (held against flapping), the throttle goes
   * to the host, and timers are set for the next hold to lift and for the end of a snooze.
   */
  async reevaluate(): Promise<void> {
    const now = this.deps.now();
    if (this.state.snoozeUntil !== null && this.state.snoozeUntil <= now)
      await this.apply({ type: 'snooze-over' });
    const r = evaluateThrottle(this.settings, this.throttleState, now, this.deps.local?.(now));
    this.throttleState = r.state;
    await this.deps.session.write(THROTTLE_KEY, this.throttleState);
    await this.apply({ type: 'policy', reasons: r.reasons });
    if (r.nextLiftAt !== null) this.deps.timers.at(LIFT_TIMER, r.nextLiftAt);
    else this.deps.timers.clear(LIFT_TIMER);
    if (this.state.snoozeUntil !== null) this.deps.timers.at(SNOOZE_TIMER, this.state.snoozeUntil);
    else this.deps.timers.clear(SNOOZE_TIMER);
    const t = r.throttle;
    if (
      !this.throttle ||
      t.workers !== this.throttle.workers ||
      t.dutyPercent !== this.throttle.dutyPercent ||
      t.gpu !== this.throttle.gpu
    ) {
      this.throttle = t;
      await this.pushThrottle();
    }
  }

  /**
   * With each heartbeat (1 s): how much CPU the rest of the machine used since the last one. Our workers
   * count at their cap while they hold a job and zero while suspended (then they are parked), so the
   * user's own load is never underestimated into a resume, nor our work mistaken for theirs.
   */
  private async measureOtherCpu(hb: HeartbeatReport): Promise<void> {
    // Off (threshold 0): no sampling at all, and the next reading starts afresh.
    if (!this.deps.cpu || this.settings.busy.thresholdPercent === 0) {
      this.overBusy = null;
      return;
    }
    const phase = phaseOf(this.state);
    const running = phase === 'running' || phase === 'draining';
    const measured = this.otherCpu.next(await this.deps.cpu.sample(), {
      runningWorkers: running ? Math.min(hb.busy, hb.activeWorkers) : 0,
      dutyPercent: hb.dutyPercent,
    });
    const pct = this.otherCpuOverride ?? measured;
    if (pct === null) return;
    const t = this.settings.busy.thresholdPercent;
    const over = pct > t;
    if (over === this.overBusy) return;
    this.overBusy = over;
    await this.signal({ otherCpuPercent: pct });
  }

  private async pushThrottle(): Promise<void> {
    if (!this.throttle) return;
    try {
      await this.deps.offscreen.ensure();
      await this.deps.toOffscreen('throttle/apply', this.throttle);
    } catch (err) {
      this.deps.log?.('throttle push not delivered', err);
    }
  }

  /**
   * Tells a running document the settings it acts on (opt-outs, bootstrap peers) at once, so its
   * mesh advert follows an opt-out change within the gossip rate limit instead of at the next
   * heartbeat. A document created just now pulls them with offscreen/hello instead.
   */
  private async pushSettings(): Promise<void> {
    try {
      if ((await this.deps.offscreen.ensure()) !== 'existing') return;
      await this.deps.toOffscreen('settings/apply', {
        optOut: [...this.settings.optOut],
        bootstrap: [...this.settings.mesh.bootstrap],
      });
    } catch (err) {
      this.deps.log?.('settings push not delivered', err);
    }
  }

  get lifecycle(): LifecycleState {
    return this.state;
  }

  status(): Status {
    return buildStatus(
      this.state,
      this.health,
      this.battery,
      this.deps.now(),
      this.throttle,
      this.deps.balance?.(),
    );
  }

  /** Applies a user event, then re-evaluates the limits (a resume may meet a held suspension). */
  async dispatch(event: LifecycleEvent): Promise<Status> {
    await this.ready;
    await this.apply(event);
    await this.reevaluate();
    return this.status();
  }

  /** Applies an event, persists the result before anyone is told, then tells the host. */
  private async apply(event: LifecycleEvent): Promise<void> {
    const next = transition(this.state, event, this.deps.now());
    if (next !== this.state) {
      this.state = next;
      await this.deps.durable.write(LIFECYCLE_KEY, next);
      await this.push();
    }
  }

  /** Makes sure the host exists and runs the current state. Safe to call any number of times. */
  async reconcile(why: string): Promise<void> {
    await this.ready;
    try {
      const outcome = await this.deps.offscreen.ensure();
      // A new document asks for the state itself (offscreen/hello); an existing one gets a push so a
      // missed message cannot leave it behind.
      if (outcome === 'existing') {
        await this.push();
        await this.pushThrottle();
      }
      await this.reevaluate();
    } catch (err) {
      this.deps.log?.(`reconcile (${why}) failed`, err);
      await this.recordError(`compute host could not start: ${String(err)}`);
    }
  }

  private async push(): Promise<void> {
    try {
      await this.deps.offscreen.ensure();
      await this.deps.toOffscreen('lifecycle/apply', { lifecycle: this.state });
    } catch (err) {
      // The document may still be loading; it pulls the state with offscreen/hello when it is up.
      this.deps.log?.('lifecycle push not delivered', err);
    }
  }

  private async recordError(error: string | null): Promise<void> {
    if (this.health.error === error) return;
    this.health = { ...this.health, error };
    await this.deps.session.write(HEALTH_KEY, this.health);
  }

  /** Jobs that may run now: the throttle's workers while running, none otherwise. */
  capacity(): { slots: number; optOut: readonly string[] } {
    const slots = phaseOf(this.state) === 'running' ? Math.max(0, this.throttle?.workers ?? 0) : 0;
    return { slots, optOut: this.settings.optOut };
  }

  /** The handlers this context serves (src/messaging/protocol.ts: BackgroundProtocol), less the wallet's. */
  handlers(): Omit<Handlers<'background'>, CoordinatorExcluded> {
    return {
      'status/get': () => this.status(),
      'contribute/set': ({ on }) => {
        if (typeof on !== 'boolean') throw new TypeError('contribute/set: "on" must be a boolean');
        return this.dispatch({ type: on ? 'user-contribute' : 'user-pause' });
      },
      'diagnostics/get': async () => {
        let offscreen = null;
        try {
          await this.deps.offscreen.ensure();
          offscreen = await this.deps.toOffscreen('diagnostics/get', undefined);
        } catch (err) {
          this.deps.log?.('offscreen diagnostics unavailable', err);
        }
        return {
          backgroundStartedAt: this.startedAt,
          lifecycle: this.state,
          heartbeatArrivals: [...this.arrivals],
          offscreenCreations: this.deps.offscreen.creations,
          offscreen,
          offscreenError: this.health.error,
        };
      },
      'settings/get': () => this.settings,
      'settings/set': async (patch) => {
        this.settings = updateSettings(this.settings, patch);
        await this.deps.durable.write(SETTINGS_KEY, this.settings);
        this.deps.idle.setDetectionInterval(this.settings.idleAfterSec);
        await this.pushSettings();
        await this.reevaluate();
        return this.settings;
      },
      'lifecycle/drain': () => this.dispatch({ type: 'user-drain' }),
      'lifecycle/snooze': ({ minutes }) => {
        if (!Number.isFinite(minutes) || minutes <= 0 || minutes > SNOOZE_MAX_MIN)
          throw new RangeError(`snooze minutes must be in 1..${SNOOZE_MAX_MIN}`);
        return this.dispatch({ type: 'user-snooze', until: this.deps.now() + minutes * 60_000 });
      },
      'offscreen/pressure': ({ state }) => this.signal({ pressure: state }).then(() => undefined),
      'test/set-other-cpu': async ({ percent }) => {
        if (!this.deps.testHooks) throw new Error('test hooks are not built into this extension');
        this.otherCpuOverride = percent;
        this.overBusy = null; // re-evaluate at the next heartbeat
        return this.status();
      },
      'test/set-idle': async ({ state }) => {
        if (!this.deps.testHooks) throw new Error('test hooks are not built into this extension');
        this.deps.testHooks.setIdle(state);
        await this.signal({ idle: state ?? (await this.deps.idle.query(this.settings.idleAfterSec)) });
        return this.status();
      },
      'offscreen/hello': async ({ workers }) => {
        await this.apply({ type: 'unsuspend', reason: 'host-unavailable' });
        await this.apply({ type: 'unsuspend', reason: 'not-isolated' });
        await this.recordError(null);
        await this.signal({ hostWorkers: workers });
        return {
          lifecycle: this.state,
          throttle: this.throttle,
          bootstrap: this.settings.mesh.bootstrap,
          optOut: [...this.settings.optOut],
        };
      },
      'offscreen/heartbeat': async (hb: HeartbeatReport) => {
        const now = this.deps.now();
        this.arrivals.push(now);
        if (this.arrivals.length > ARRIVALS_KEPT) this.arrivals.shift();
        this.health = { lastHeartbeat: hb, lastHeartbeatAt: now, error: null };
        await this.deps.session.write(HEALTH_KEY, this.health);
        if (phaseOf(this.state) === 'draining' && hb.busy === 0) await this.apply({ type: 'drained' });
        await this.measureOtherCpu(hb);
        return {
          lifecycle: this.state,
          throttle: this.throttle,
          bootstrap: this.settings.mesh.bootstrap,
          optOut: [...this.settings.optOut],
        };
      },
      'offscreen/battery': async (report: BatteryReport) => {
        this.battery = report;
        await this.deps.session.write(BATTERY_KEY, report);
        await this.signal({ battery: report });
        return undefined;
      },
      'offscreen/fatal': async ({ message, kind }) => {
        await this.recordError(message);
        await this.dispatch({
          type: 'suspend',
          reason: kind === 'not-isolated' ? 'not-isolated' : 'host-unavailable',
        });
        return undefined;
      },
    };
  }
}
