/**
 * Capability adverts: the gossip validator for ADVERTS_TOPIC and the table of who offers what.
 *
 * A message is accepted (and so forwarded by gossipsub) only when it decodes, names its own signer
 * as peerId, is within the origin's rate limit, is fresh (timestamp within ±MAX_SKEW_MS of our clock
 * and not past its ttl), and has a higher seq than the last advert we hold from that peer. Replays
 * and duplicates are ignored (no penalty: an honest neighbour forwards duplicates); undecodable or
 * forged adverts are rejected and penalise the origin.
 */
import { ADVERTS_TOPIC } from './ids.ts';
import { decodeAdvert, encodeAdvert, LIMITS, type AdvertFrame } from './frames.ts';
import type { PeerGuard } from './guard.ts';
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
  /** Why the last non-accepted message was dropped (for tests and metrics). */
  lastDrop = '';

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
    private readonly guard: PeerGuard,
  ) {}

  /** Subscribes to the advert topic; returns the unsubscribe function. */
  start(): () => void {
    return this.port.subscribe(ADVERTS_TOPIC, (m) => this.validate(m));
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
    const expiresMs = ts + Math.min(a.ttlMs, LIMITS.advertTtlMs);
    if (expiresMs <= now) return this.drop('ignore', 'expired');
    this.table.set(a.peerId, { advert: a, receivedMs: now, expiresMs });
    return 'accept';
  }

  private drop(v: GossipVerdict, why: string): GossipVerdict {
    this.lastDrop = why;
    return v;
  }

  /** Publishes our own advert. seq = max(last + 1, now) stays increasing across restarts without storage. */
  async publish(input: AdvertInput): Promise<AdvertFrame> {
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
