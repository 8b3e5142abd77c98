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
import type { OffscreenManager } from './offscreen-host';
import type { StateStore } from './state-store';
import { buildStatus, type HostHealth, type Status } from './status';

export const LIFECYCLE_KEY = 'inos.lifecycle';
export const HEALTH_KEY = 'inos.health';
export const BATTERY_KEY = 'inos.battery';
const ARRIVALS_KEPT = 32;

type SendToOffscreen = <K extends keyof OffscreenProtocol & string>(
  type: K,
  req: Req<'offscreen', K>,
) => Promise<Res<'offscreen', K>>;

export interface CoordinatorDeps {
  offscreen: OffscreenManager;
  /** Durable across browser restarts (chrome.storage.local). */
  durable: StateStore;
  /** Survives a service-worker restart, not a browser restart (chrome.storage.session). */
  session: StateStore;
  toOffscreen: SendToOffscreen;
  now: () => number;
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

  constructor(private readonly deps: CoordinatorDeps) {
    this.startedAt = deps.now();
    this.state = initialLifecycle(this.startedAt);
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    const [state, health, battery] = await Promise.all([
      this.deps.durable.read(LIFECYCLE_KEY, parseLifecycle),
      this.deps.session.read(HEALTH_KEY, parseHealth),
      this.deps.session.read(BATTERY_KEY, parseBattery),
    ]);
    if (state) this.state = state;
    else await this.deps.durable.write(LIFECYCLE_KEY, this.state);
    if (health) this.health = health;
    this.battery = battery;
  }

  get lifecycle(): LifecycleState {
    return this.state;
  }

  status(): Status {
    return buildStatus(this.state, this.health, this.battery, this.deps.now());
  }

  /** Applies an event, persists the result before anyone is told, then tells the host. */
  async dispatch(event: LifecycleEvent): Promise<Status> {
    await this.ready;
    const next = transition(this.state, event, this.deps.now());
    if (next !== this.state) {
      this.state = next;
      await this.deps.durable.write(LIFECYCLE_KEY, next);
      await this.push();
    }
    return this.status();
  }

  /** Makes sure the host exists and runs the current state. Safe to call any number of times. */
  async reconcile(why: string): Promise<void> {
    await this.ready;
    try {
      const outcome = await this.deps.offscreen.ensure();
      // A new document asks for the state itself (offscreen/hello); an existing one gets a push so a
      // missed message cannot leave it behind.
      if (outcome === 'existing') await this.push();
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

  /** The handlers this context serves (src/messaging/protocol.ts: BackgroundProtocol). */
  handlers(): Handlers<'background'> {
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
      'offscreen/hello': async () => {
        await this.dispatch({ type: 'unsuspend', reason: 'host-unavailable' });
        await this.dispatch({ type: 'unsuspend', reason: 'not-isolated' });
        await this.recordError(null);
        return { lifecycle: this.state };
      },
      'offscreen/heartbeat': async (hb: HeartbeatReport) => {
        const now = this.deps.now();
        this.arrivals.push(now);
        if (this.arrivals.length > ARRIVALS_KEPT) this.arrivals.shift();
        this.health = { lastHeartbeat: hb, lastHeartbeatAt: now, error: null };
        await this.deps.session.write(HEALTH_KEY, this.health);
        if (phaseOf(this.state) === 'draining' && hb.busy === 0) await this.dispatch({ type: 'drained' });
        return { lifecycle: this.state };
      },
      'offscreen/battery': async (report: BatteryReport) => {
        this.battery = report;
        await this.deps.session.write(BATTERY_KEY, report);
        const onBattery = report.supported && !report.charging;
        await this.dispatch({ type: onBattery ? 'suspend' : 'unsuspend', reason: 'on-battery' });
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
