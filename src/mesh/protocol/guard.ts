/**
 * Per-peer abuse limits: token buckets for gossip messages (keyed by origin) and inbound streams,
 * and a cap on concurrent inbound streams. Each refusal is reported to Reputation as 'flood', so a
 * peer that keeps pushing past its limits bans itself within a few dozen refusals, while honest
 * traffic (an advert per minute, a few chunk requests per second) never touches the limits.
 * Time comes from the injected clock, so the simulator drives it virtually.
 */
import type { PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

export interface GuardLimits {
  /** Gossip messages per second per origin, sustained. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Inbound streams per second per peer, sustained. */
  streamsPerSecond: number;
  streamBurst: number;
  /** Inbound streams one peer may have open at once. */
  concurrentStreams: number;
  /** Advert solicitations per second per origin, sustained (a node solicits when it joins). */
  solicitsPerSecond: number;
  solicitBurst: number;
}

/**
 * Adverts (and solicitations, with their own bucket) are the only gossip today: a node publishes on
 * change, on a solicitation and every 60 s, through a SendBudget with these very numbers (adverts.ts),
 * so one per 10 s sustained with a burst of 5 never touches an honest origin. The burst is 5, not
 * 2, so that a node that just advertised on joining can still answer the solicits of the relay and
 * of the peers that join right after it (tests/unit/mesh/libp2p/solicit.test.ts: with 2 or 3, the
 * late joiner's answer waited 6–7 s for a token). A low burst still matters: every message an origin
 * gets accepted is forwarded to the whole network.
 */
export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  messagesPerSecond: 0.1,
  messageBurst: 5,
  streamsPerSecond: 20,
  streamBurst: 40,
  concurrentStreams: 8,
  // A node solicits once when it gains its first neighbour; a flapping link may do it a few times.
  // Every accepted solicit makes each node republish (within its own advert rate), so solicits are
  // held far below adverts: one per 30 s sustained.
  solicitsPerSecond: 1 / 30,
  solicitBurst: 2,
};

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket for our own messages, with the same rule receivers apply to us (PeerGuard), so
 * what we send is never dropped (and never counted against us) for rate.
 */
export class SendBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly now: () => number,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }

  /** Takes a token if one is there. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}

/** One decision of PeerGuard (for metrics and tests: PeerGuard.observe). */
export interface GuardDecision {
  peer: PeerIdString;
  what: 'message' | 'solicit' | 'stream';
  admitted: boolean;
}

/** Forgets idle peers' buckets beyond this many, oldest first, so memory stays bounded. */
const MAX_TRACKED = 4096;

export class PeerGuard {
  private readonly messages = new Map<PeerIdString, Bucket>();
  private readonly solicits = new Map<PeerIdString, Bucket>();
  private readonly streams = new Map<PeerIdString, Bucket>();
  private readonly open = new Map<PeerIdString, number>();
  private readonly observers = new Set<(d: GuardDecision) => void>();
  readonly limits: GuardLimits;

  constructor(
    private readonly now: () => number,
    private readonly reputation: Reputation,
    limits: Partial<GuardLimits> = {},
  ) {
    this.limits = { ...DEFAULT_GUARD_LIMITS, ...limits };
  }

  private take(map: Map<PeerIdString, Bucket>, peer: PeerIdString, rate: number, burst: number): boolean {
    const t = this.now();
    let b = map.get(peer);
    if (b === undefined) {
      if (map.size >= MAX_TRACKED) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
      b = { tokens: burst, at: t };
    } else {
      map.delete(peer); // re-insert: Map order doubles as least-recently-used order
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
      b.at = t;
    }
    map.set(peer, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Calls `fn` with every decision from now on (a failing observer is ignored); returns the disposer. */
  observe(fn: (d: GuardDecision) => void): () => void {
    this.observers.add(fn);
    return () => void this.observers.delete(fn);
  }

  private told(peer: PeerIdString, what: GuardDecision['what'], admitted: boolean): boolean {
    for (const fn of this.observers) {
      try {
        fn({ peer, what, admitted });
      } catch {
        // an observer must not change a decision
      }
    }
    return admitted;
  }

  /** A gossip message from `origin`: false means drop it (verdict 'ignore'); the origin is penalised. */
  admitMessage(origin: PeerIdString): boolean {
    if (this.take(this.messages, origin, this.limits.messagesPerSecond, this.limits.messageBurst))
      return this.told(origin, 'message', true);
    this.reputation.record(origin, 'flood');
    return this.told(origin, 'message', false);
  }

  /** An advert solicitation from `origin`: false means drop it ('ignore'); the origin is penalised. */
  admitSolicit(origin: PeerIdString): boolean {
    if (this.take(this.solicits, origin, this.limits.solicitsPerSecond, this.limits.solicitBurst))
      return this.told(origin, 'solicit', true);
    this.reputation.record(origin, 'flood');
    return this.told(origin, 'solicit', false);
  }

  /**
   * An inbound stream from `peer`: a release function to call when the stream ends, or null when
   * the peer is over its rate or concurrency limit (answer "busy"; the peer is penalised).
   */
  admitStream(peer: PeerIdString): (() => void) | null {
    const n = this.open.get(peer) ?? 0;
    if (
      n >= this.limits.concurrentStreams ||
      !this.take(this.streams, peer, this.limits.streamsPerSecond, this.limits.streamBurst)
    ) {
      this.reputation.record(peer, 'flood');
      this.told(peer, 'stream', false);
      return null;
    }
    this.told(peer, 'stream', true);
    this.open.set(peer, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(peer) ?? 1) - 1;
      if (left <= 0) this.open.delete(peer);
      else this.open.set(peer, left);
    };
  }

  openStreams(peer: PeerIdString): number {
    return this.open.get(peer) ?? 0;
  }
}
