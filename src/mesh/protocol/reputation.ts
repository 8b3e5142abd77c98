/**
 * Reputation: one exponentially weighted moving average per peer over observed outcomes, in [0, 1].
 *
 *   s ← s + (1 − (1 − α)^w) · (x − s)        α = 0.1, x and w per outcome (OUTCOMES)
 *
 * A new peer starts at 0.5. At or below THRESHOLD (0.2) the peer is banned: the node disconnects it
 * and refuses it for a back-off of 10 min × 2^(strikes − 1), capped at 24 h; when a ban ends the
 * peer comes back on probation at 0.3, so a few more failures ban it again for twice as long.
 *
 * Timeouts escalate with the run of timeouts in a row (any answer ends the run): the n-th weighs 2n,
 * so a new peer (0.5) or one that answered a few times is banned on its 3rd timeout in a row
 * (→ 0.141), a long-trusted one (0.98) on its 4th. One lost request costs little (0.5 → 0.405,
 * which already ranks the peer below every unknown one), so on its own a dropper was rarely asked
 * again and never reached the threshold (1000-node sim, seed 9: 9 of 34 droppers banned by anyone).
 * What settles it is a liveness probe (liveness.ts): after a timeout the node asks the peer a cheap
 * question on a fresh stream, again after each probe that times out, until it answers (outcome
 * 'alive': the run ends, the score stays), is gone ('unreachable': nothing is recorded, a peer that
 * churned away is not lying), or is banned. A peer that answers nothing while connected is cut off
 * by every node that asked it, about 3 deadlines after the first; an honest peer needs 3 losses in
 * a row (2% loss: 8·10⁻⁶ per lost request) or 4 when long trusted. Same sim with probes: 32 of 34
 * droppers banned, each by every honest node that saw it time out except where one of the two
 * left, the partition came or the run ended before the probes finished (88 of 740 pairs, still
 * suspects there); 10 s from first timeout to ban at the median; 0 honest peers banned.
 * 5 flood refusals in a row cross the threshold, and so does one bad chunk (a bad chunk is proof,
 * not noise: the bytes were authenticated by the transport and hashed by us; a long-trusted peer at
 * 0.95 survives one, which leaves room for a disk error on its side).
 * "Unreachable" is deliberately not an outcome: a peer behind a partition or offline is not lying.
 *
 * The score feeds gossipsub's application-specific score (appScore, in [−10, 10]) and the order in
 * which we ask providers (order). State is persisted through ReputationStore (reputation-store.ts).
 */
import type { PeerIdString } from './port.ts';

export type Outcome =
  /** A request answered correctly. */
  | 'ok'
  /** Connected, but no answer before the deadline. */
  | 'timeout'
  /** A frame that failed to decode or broke a limit. */
  | 'bad-frame'
  /** Messages or streams beyond the rate limits. */
  | 'flood'
  /** A chunk whose bytes did not hash to its address. */
  | 'bad-chunk'
  /** A result later confirmed by verification (replica agreement, spot check). */
  | 'verified'
  /** A result later contradicted by verification. */
  | 'disputed'
  /** Answered a liveness probe after timing out: the timeout run ends, the score does not move. */
  | 'alive';

export const OUTCOMES: Readonly<Record<Outcome, { x: number; w: number }>> = {
  ok: { x: 1, w: 1 },
  timeout: { x: 0, w: 2 },
  'bad-frame': { x: 0, w: 3 },
  flood: { x: 0, w: 2 },
  'bad-chunk': { x: 0, w: 10 },
  verified: { x: 1, w: 3 },
  disputed: { x: 0, w: 5 },
  alive: { x: 1, w: 0 },
};

export const REPUTATION = {
  alpha: 0.1,
  initial: 0.5,
  threshold: 0.2,
  probation: 0.3,
  banBaseMs: 10 * 60_000,
  banMaxMs: 24 * 60 * 60_000,
} as const;

export interface PeerRecord {
  peer: PeerIdString;
  score: number;
  /** Outcomes observed, for "do we know this peer at all". */
  samples: number;
  /** Wall-clock ms until which the peer is refused; 0 when not banned. */
  bannedUntil: number;
  /** Bans so far (doubles the next back-off). */
  strikes: number;
  updatedMs: number;
  /** Timeouts in a row with no answer in between (escalates the timeout weight); absent = 0. */
  timeoutRun?: number;
  /** Whether the peer ever answered us well ('ok', 'verified'; not 'alive'); absent = no. Informational. */
  answered?: boolean;
  /** When the first outcome was recorded (ms); absent in records saved before it existed. */
  firstMs?: number;
}

export interface ReputationOptions {
  now: () => number;
  /** Called once when a peer crosses the threshold; wire it to port.ban + port.disconnect. */
  onBan?: (peer: PeerIdString, untilMs: number, record: Readonly<PeerRecord>) => void;
  /**
   * Called after a timeout that did not ban the peer (`run`: timeouts in a row so far); wire it to
   * a liveness probe (liveness.ts), whose own timeout comes back here.
   */
  onSuspect?: (peer: PeerIdString, run: number) => void;
}

export class Reputation {
  private readonly peers = new Map<PeerIdString, PeerRecord>();
  private readonly dirty = new Set<PeerIdString>();

  constructor(private readonly options: ReputationOptions) {}

  /** Replaces in-memory state with persisted records (call once at start). */
  restore(records: readonly PeerRecord[]): void {
    for (const r of records) {
      if (typeof r.peer !== 'string' || !(r.score >= 0 && r.score <= 1)) continue;
      const run = r.timeoutRun;
      this.peers.set(r.peer, { ...r, timeoutRun: Number.isInteger(run) && (run as number) >= 0 ? run : 0 });
    }
  }

  private get(peer: PeerIdString): PeerRecord {
    let r = this.peers.get(peer);
    if (r === undefined) {
      r = {
        peer,
        score: REPUTATION.initial,
        samples: 0,
        bannedUntil: 0,
        strikes: 0,
        updatedMs: this.options.now(),
      };
      this.peers.set(peer, r);
    }
    return r;
  }

  /** Ends an expired ban (probation score); returns the live record. */
  private current(peer: PeerIdString): PeerRecord {
    const r = this.get(peer);
    if (r.bannedUntil !== 0 && this.options.now() >= r.bannedUntil) {
      r.bannedUntil = 0;
      r.score = Math.max(r.score, REPUTATION.probation);
      this.dirty.add(peer);
    }
    return r;
  }

  record(peer: PeerIdString, outcome: Outcome): void {
    const r = this.current(peer);
    if (r.bannedUntil !== 0) return; // already cut off; its traffic is being refused
    const { x, w: base } = OUTCOMES[outcome];
    let w = base;
    if (outcome === 'timeout') {
      const run = (r.timeoutRun ?? 0) + 1;
      r.timeoutRun = run;
      w = base * run;
    } else if (x > 0) {
      r.timeoutRun = 0;
      if (outcome !== 'alive') r.answered = true;
    }
    const k = 1 - (1 - REPUTATION.alpha) ** w;
    r.score += k * (x - r.score);
    r.samples++;
    r.updatedMs = this.options.now();
    r.firstMs ??= r.updatedMs;
    this.dirty.add(peer);
    if (r.score <= REPUTATION.threshold) {
      r.strikes++;
      const backoff = Math.min(REPUTATION.banMaxMs, REPUTATION.banBaseMs * 2 ** (r.strikes - 1));
      r.bannedUntil = r.updatedMs + backoff;
      r.timeoutRun = 0;
      this.options.onBan?.(peer, r.bannedUntil, r);
    } else if (outcome === 'timeout') {
      this.options.onSuspect?.(peer, r.timeoutRun ?? 0);
    }
  }

  score(peer: PeerIdString): number {
    return this.current(peer).score;
  }

  isBanned(peer: PeerIdString): boolean {
    return this.current(peer).bannedUntil !== 0;
  }

  /** gossipsub `scoreParams.appSpecificScore`: 20 · (s − 0.5), so −10..10 with 0 for a new peer; −6 at the threshold. */
  appScore(peer: PeerIdString): number {
    return 20 * (this.score(peer) - 0.5);
  }

  /**
   * Whom to ask first: banned peers removed, best score first. Ties (every new peer is 0.5) are
   * broken by `tiebreak` (a random number per peer) so load spreads instead of always hitting the
   * lexically smallest id.
   */
  order(peers: readonly PeerIdString[], tiebreak: () => number = Math.random): PeerIdString[] {
    return peers
      .filter((p) => !this.isBanned(p))
      .map((p) => ({ p, s: this.score(p), t: tiebreak() }))
      .sort((a, b) => b.s - a.s || a.t - b.t)
      .map((e) => e.p);
  }

  /** A copy of one peer's record (for the popup, tests and metrics). */
  inspect(peer: PeerIdString): Readonly<PeerRecord> | undefined {
    const r = this.peers.get(peer);
    return r === undefined ? undefined : { ...r };
  }

  /** Records changed since the last call (hand them to ReputationStore.save). */
  takeDirty(): PeerRecord[] {
    const out: PeerRecord[] = [];
    for (const p of this.dirty) {
      const r = this.peers.get(p);
      if (r !== undefined) out.push({ ...r });
    }
    this.dirty.clear();
    return out;
  }

  all(): PeerRecord[] {
    return [...this.peers.values()].map((r) => ({ ...r }));
  }
}
