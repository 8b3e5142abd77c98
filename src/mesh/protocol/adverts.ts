/**
 * Capability adverts: the gossip validator for ADVERTS_TOPIC and the table of who offers what.
 *
 * A message is accepted (and so forwarded by gossipsub) only when it decodes, names its own signer
 * as peerId, is within the origin's rate limit, is fresh (timestamp within ±MAX_SKEW_MS of our clock),
 * and has a higher seq than the last advert we hold from that peer. It is kept for its ttl from when
 * we received it: counted from its timestamp, an advert from a node whose clock ran a minute behind
 * ours expired on arrival (with the 60 s ttl), and that node was never offered a job. Replays
 * and duplicates are ignored (no penalty: an honest neighbour forwards duplicates); undecodable or
 * forged adverts are rejected and penalise the origin.
 *
 * Solicitations (SOLICIT_TOPIC): gossip keeps no history, so a node that just joined would learn
 * each advert only at its publisher's periodic refresh (1–2 min). Instead it publishes a signed
 * AdvertSolicit when it gains its first neighbour (`solicit()`, driven by src/mesh/libp2p/live-mesh.ts),
 * and every node that accepts one republishes its latest advert. Both directions are rate-limited:
 * receivers admit a few solicits per origin (PeerGuard.admitSolicit), and our own adverts go
 * through a SendBudget with the receivers' message limits, so an answer is never dropped for rate
 * and a solicit flood costs each node at most its normal advert rate. An answer that must wait for
 * the budget is "owed" and sent when a token is there (`onOwed` schedules it).
 */
import { ADVERTS_TOPIC, SOLICIT_TOPIC } from './ids.ts';
import {
  decodeAdvert,
  decodeSolicit,
  encodeAdvert,
  encodeSolicit,
  LIMITS,
  type AdvertFrame,
} from './frames.ts';
import { SendBudget, type PeerGuard } from './guard.ts';
import type { GossipMessage, GossipVerdict, MeshPort, PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

export const MAX_SKEW_MS = 5 * 60_000;

export interface AdvertEntry {
  advert: AdvertFrame;
  receivedMs: number;
  expiresMs: number;
}

export type AdvertInput = Omit<AdvertFrame, 'peerId' | 'seq' | 'timestampMs'>;

export class AdvertTable {
  private readonly table = new Map<PeerIdString, AdvertEntry>();
  private lastSeq = 0n;
  /** What we advertise now (the last input given to publish); answers to solicitations repeat it. */
  private latest: AdvertInput | null = null;
  private owed = false;
  private readonly advertBudget: SendBudget;
  private readonly solicitBudget: SendBudget;
  /** Why the last non-accepted message was dropped (for tests and metrics). */
  lastDrop = '';
  readonly counters = { solicitsSent: 0, solicitsAccepted: 0, answers: 0, deferred: 0 };
  /**
   * Called when an advert had to wait for our send budget, with the wait in ms: the owner (who may
   * start timers) calls `flushOwed()` then. Without one, the next `publish` carries the latest.
   */
  onOwed: ((waitMs: number) => void) | null = null;
  /**
   * A solicitation went out (`own`: we joined) or a newcomer's was accepted; MeshNode sends fork
   * proofs then (forks.ts). Called from inside the gossip validator for others' solicits.
   */
  onSolicit: ((own: boolean) => void) | null = null;

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
    private readonly guard: PeerGuard,
  ) {
    const now = (): number => port.now();
    this.advertBudget = new SendBudget(now, guard.limits.messagesPerSecond, guard.limits.messageBurst);
    this.solicitBudget = new SendBudget(now, guard.limits.solicitsPerSecond, guard.limits.solicitBurst);
  }

  /** Subscribes to the advert and solicitation topics; returns the unsubscribe function. */
  start(): () => void {
    const offAdverts = this.port.subscribe(ADVERTS_TOPIC, (m) => this.validate(m));
    const offSolicits = this.port.subscribe(SOLICIT_TOPIC, (m) => this.validateSolicit(m));
    return () => {
      offAdverts();
      offSolicits();
    };
  }

  validateSolicit(msg: GossipMessage): GossipVerdict {
    if (this.reputation.isBanned(msg.from)) return this.drop('ignore', 'origin is banned');
    const d = decodeSolicit(msg.data);
    if (!d.ok) {
      this.reputation.record(msg.from, 'bad-frame');
      return this.drop('reject', d.error.message);
    }
    if (d.frame.peerId !== msg.from) {
      this.reputation.record(msg.from, 'bad-frame');
      return this.drop('reject', `solicit names ${d.frame.peerId} but was signed by ${msg.from}`);
    }
    if (msg.from === this.port.self) return this.drop('ignore', 'our own solicit');
    if (Math.abs(Number(d.frame.timestampMs) - this.port.now()) > MAX_SKEW_MS)
      return this.drop('ignore', 'timestamp too far from our clock');
    if (!this.guard.admitSolicit(msg.from)) return this.drop('ignore', 'origin over its solicit rate');
    this.counters.solicitsAccepted++;
    this.onSolicit?.(false);
    if (this.latest !== null) {
      this.owed = true;
      this.flushOwed();
    }
    return 'accept';
  }

  /**
   * Asks every node to republish its advert (we just joined). False when our own solicit budget is
   * spent (receivers would drop it) or the publish failed.
   */
  async solicit(): Promise<boolean> {
    if (!this.solicitBudget.take()) return false;
    const frame = encodeSolicit({ peerId: this.port.self, timestampMs: BigInt(Math.floor(this.port.now())) });
    await this.port.publish(SOLICIT_TOPIC, frame);
    this.counters.solicitsSent++;
    this.onSolicit?.(true);
    return true;
  }

  /** Sends the latest advert if one is owed and the budget allows; else tells `onOwed` how long to wait. */
  flushOwed(): void {
    if (!this.owed || this.latest === null) return;
    const wait = this.advertBudget.waitMs();
    if (wait > 0) {
      this.counters.deferred++;
      this.onOwed?.(wait);
      return;
    }
    this.counters.answers++;
    const input = this.latest;
    // Not from inside the gossip validator that called us: publish after it returned.
    void Promise.resolve()
      .then(() => this.publish(input))
      .catch(() => undefined);
  }

  validate(msg: GossipMessage): GossipVerdict {
    const now = this.port.now();
    if (this.reputation.isBanned(msg.from)) return this.drop('ignore', 'origin is banned');
    const d = decodeAdvert(msg.data);
    if (!d.ok) {
      this.reputation.record(msg.from, 'bad-frame');
      return this.drop('reject', d.error.message);
    }
    const a = d.frame;
    if (a.peerId !== msg.from) {
      this.reputation.record(msg.from, 'bad-frame');
      return this.drop('reject', `advert names ${a.peerId} but was signed by ${msg.from}`);
    }
    const known = this.table.get(a.peerId);
    if (known !== undefined && a.seq <= known.advert.seq)
      return this.drop('ignore', 'duplicate or older seq');
    if (!this.guard.admitMessage(msg.from)) return this.drop('ignore', 'origin over its message rate');
    const ts = Number(a.timestampMs);
    if (Math.abs(ts - now) > MAX_SKEW_MS) return this.drop('ignore', 'timestamp too far from our clock');
    // Gossip delivers in well under a second; the sender's clock may be minutes off ours.
    const expiresMs = now + Math.min(a.ttlMs, LIMITS.advertTtlMs);
    if (a.ttlMs === 0) return this.drop('ignore', 'expired');
    this.table.set(a.peerId, { advert: a, receivedMs: now, expiresMs });
    return 'accept';
  }

  private drop(v: GossipVerdict, why: string): GossipVerdict {
    this.lastDrop = why;
    return v;
  }

  /**
   * Publishes our own advert. seq = max(last + 1, now) stays increasing across restarts without
   * storage. Null when our send budget is spent: the input is kept and owed (see onOwed).
   */
  async publish(input: AdvertInput): Promise<AdvertFrame | null> {
    this.latest = input;
    if (!this.advertBudget.take()) {
      this.owed = true;
      this.counters.deferred++;
      this.onOwed?.(this.advertBudget.waitMs());
      return null;
    }
    this.owed = false;
    const now = BigInt(Math.floor(this.port.now()));
    this.lastSeq = now > this.lastSeq ? now : this.lastSeq + 1n;
    const advert: AdvertFrame = { ...input, peerId: this.port.self, seq: this.lastSeq, timestampMs: now };
    await this.port.publish(ADVERTS_TOPIC, encodeAdvert(advert));
    return advert;
  }

  get(peer: PeerIdString): AdvertFrame | undefined {
    const e = this.table.get(peer);
    return e !== undefined && e.expiresMs > this.port.now() ? e.advert : undefined;
  }

  /** Fresh adverts of unbanned peers offering `capsule`, best reputation first. */
  offering(capsule: string, tiebreak?: () => number): AdvertFrame[] {
    const now = this.port.now();
    const peers: PeerIdString[] = [];
    for (const [p, e] of this.table) {
      if (e.expiresMs > now && e.advert.capsules.some((c) => c.name === capsule)) peers.push(p);
    }
    return this.reputation.order(peers, tiebreak).map((p) => (this.table.get(p) as AdvertEntry).advert);
  }

  /** Peers whose advert is fresh now. */
  known(): PeerIdString[] {
    const now = this.port.now();
    return [...this.table].filter(([, e]) => e.expiresMs > now).map(([p]) => p);
  }

  /** Drops expired entries; returns how many are left. */
  sweep(): number {
    const now = this.port.now();
    for (const [p, e] of this.table) if (e.expiresMs <= now) this.table.delete(p);
    return this.table.size;
  }

  get size(): number {
    return this.table.size;
  }
}
