/**
 * Fork-proof gossip (FORKS_TOPIC): a payer who signs two records at one seq of its chain (a double
 * spend, src/ledger/fork.ts) is caught by the first peer that sees both; that peer publishes the
 * proof here, and every node that checks it refuses that payer's payments from then on (`onFork`,
 * wired by the market host to its wallet's `Payments.reportFork`).
 *
 * A frame is the proof's JSON `{v: 1, proof: {ledger, seq, a, b}}`, at most MAX_FORK_FRAME_BYTES.
 * The proof is self-verifying (both records carry the payer's signature), so the validator needs no
 * context: a message is accepted (and so forwarded) only when it decodes and `verifyForkProof`
 * passes. An undecodable or bogus proof is rejected and penalises its origin ('bad-frame'); a proof
 * of a payer we already know is ignored without penalty (several peers may catch one fork). Rates
 * mirror adverts': receivers admit FORK_LIMITS per origin (their own PeerGuard bucket, so forks
 * never spend an origin's advert tokens), and our publishes go through a SendBudget with the same
 * numbers; a proof that must wait is owed and `onOwed` says when to `flushOwed()`.
 *
 * Old forks reach newcomers (gossip keeps no history): proofs a node knew before it started (its
 * wallet's, `restore`) are republished when it joins (`joined`, on its advert solicitation), after
 * JOIN_GRACE_MS and only those not on the wire meanwhile (sent to us, or by us in an answer), so a
 * restart into a mesh that knows them republishes nothing; and every node answers a newcomer's advert solicitation with the proofs
 * it knows (`answerSolicit`). Both go through the one send budget (burst 3, then one a minute), as
 * advert answers do; receivers that know a proof ignore it, so an answer goes one hop past them.
 */
import { verifyForkProof, type ForkProof } from '../../ledger/fork.ts';
import { FORKS_TOPIC } from './ids.ts';
import { PeerGuard, SendBudget } from './guard.ts';
import type { GossipMessage, GossipVerdict, MeshPort } from './port.ts';
import type { Reputation } from './reputation.ts';

/** Two signed records with their proofs of work fit in a few KiB; anything past this is refused. */
export const MAX_FORK_FRAME_BYTES = 64 * 1024;
/** Fork proofs are rare: a burst of 3 per origin, then one a minute. */
export const FORK_LIMITS = { perSecond: 1 / 60, burst: 3 } as const;
/** Payers remembered as known forkers (the wallet keeps them for good; this only dedupes gossip). */
const MAX_KNOWN = 4096;
const MAX_OWED = 64;
/**
 * After joining, restored proofs wait this long for the answers to our solicitation: one the mesh
 * sends us meanwhile is not republished by us.
 */
export const JOIN_GRACE_MS = 5_000;

interface Owed {
  proof: ForkProof;
  /** Why it goes: caught here, republished on joining, or an answer to a newcomer's solicitation. */
  why: 'caught' | 'join' | 'answer';
  /** Not sent before this time (port clock). */
  notBefore: number;
  /** Dropped instead of sent when the proof came in from the mesh after this time. */
  unlessHeardAfter: number | null;
}

export type ForkDecode = { ok: true; proof: ForkProof } | { ok: false; reason: string };

export function encodeForkFrame(proof: ForkProof): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify({ v: 1, proof }));
  if (bytes.length > MAX_FORK_FRAME_BYTES)
    throw new RangeError(`fork frame: ${bytes.length} bytes, at most ${MAX_FORK_FRAME_BYTES} allowed`);
  return bytes;
}

/** Decodes and verifies untrusted bytes: a fork proof that holds, or why not. */
export function decodeForkFrame(data: Uint8Array): ForkDecode {
  if (data.length > MAX_FORK_FRAME_BYTES)
    return { ok: false, reason: `fork frame: ${data.length} bytes, at most ${MAX_FORK_FRAME_BYTES} allowed` };
  let frame: unknown;
  try {
    frame = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return { ok: false, reason: 'fork frame: not UTF-8 JSON {v: 1, proof}' };
  }
  if (typeof frame !== 'object' || frame === null || (frame as { v?: unknown }).v !== 1)
    return { ok: false, reason: 'fork frame: expected {v: 1, proof}' };
  const check = verifyForkProof((frame as { proof?: unknown }).proof);
  return check.ok ? check : { ok: false, reason: check.reason };
}

export class ForkGossip {
  /** Payer id → its proof, for every valid proof seen or published (insertion order; bounded). */
  private readonly known = new Map<string, ForkProof>();
  private readonly owed: Owed[] = [];
  /** Payer id → when a valid proof against it last came in from the mesh (bounded with `known`). */
  private readonly heardAt = new Map<string, number>();
  /** Payer id → when we last sent a proof against it (bounded likewise). */
  private readonly sentAt = new Map<string, number>();
  /** Proofs known before start (`restore`), republished when we join. */
  private readonly restored = new Set<string>();
  private hasJoined = false;
  private readonly guard: PeerGuard;
  private readonly budget: SendBudget;
  /** Called (outside the validator) with each new valid proof from another node. */
  onFork: ((proof: ForkProof) => void) | null = null;
  /** Called when a proof had to wait for our send budget, with the wait in ms: call `flushOwed()` then. */
  onOwed: ((waitMs: number) => void) | null = null;
  lastDrop = '';
  readonly counters = {
    published: 0,
    accepted: 0,
    rejected: 0,
    deferred: 0,
    republished: 0,
    answered: 0,
    skipped: 0,
  };

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
  ) {
    const now = (): number => port.now();
    this.guard = new PeerGuard(now, reputation, {
      messagesPerSecond: FORK_LIMITS.perSecond,
      messageBurst: FORK_LIMITS.burst,
    });
    this.budget = new SendBudget(now, FORK_LIMITS.perSecond, FORK_LIMITS.burst);
  }

  start(): () => void {
    return this.port.subscribe(FORKS_TOPIC, (m) => this.validate(m));
  }

  /** The proof against `payer`, when one was seen or published. */
  proof(payer: string): ForkProof | undefined {
    return this.known.get(payer);
  }

  validate(msg: GossipMessage): GossipVerdict {
    if (this.reputation.isBanned(msg.from)) return this.drop('ignore', 'origin is banned');
    const d = decodeForkFrame(msg.data);
    if (!d.ok) {
      this.counters.rejected++;
      this.reputation.record(msg.from, 'bad-frame');
      return this.drop('reject', d.reason);
    }
    if (msg.from !== this.port.self) this.heard(d.proof.ledger);
    if (this.known.has(d.proof.ledger)) return this.drop('ignore', 'a proof against this payer is known');
    if (!this.guard.admitMessage(msg.from)) return this.drop('ignore', 'origin over its fork-proof rate');
    this.remember(d.proof);
    this.counters.accepted++;
    const proof = d.proof;
    // Not from inside the gossip validator: the hook may publish or touch storage.
    if (msg.from !== this.port.self)
      void Promise.resolve()
        .then(() => this.onFork?.(proof))
        .catch(() => undefined);
    return 'accept';
  }

  /**
   * Publishes a proof this node caught (checked again first). False when it is not valid, was
   * already known (seen in gossip or published), or must wait for the send budget (owed).
   */
  async publish(input: unknown): Promise<boolean> {
    const check = verifyForkProof(input);
    if (!check.ok) throw new RangeError(check.reason);
    if (this.known.has(check.proof.ledger)) return false;
    this.remember(check.proof);
    if (!this.budget.take()) {
      this.owe(check.proof, 'caught', this.port.now(), null);
      this.onOwed?.(this.budget.waitMs());
      return false;
    }
    await this.send(check.proof);
    return true;
  }

  /**
   * Proofs known before this node started (its wallet's): checked, known from now on (no `onFork`),
   * and republished when we join (at once when we already have). Returns how many were valid.
   */
  restore(proofs: readonly unknown[]): number {
    let valid = 0;
    for (const input of proofs) {
      const check = verifyForkProof(input);
      if (!check.ok) continue;
      valid++;
      if (this.known.has(check.proof.ledger)) continue;
      this.remember(check.proof);
      this.restored.add(check.proof.ledger);
      if (this.hasJoined) this.owe(check.proof, 'join', this.port.now() + JOIN_GRACE_MS, this.port.now());
    }
    if (this.hasJoined) this.onOwed?.(JOIN_GRACE_MS);
    return valid;
  }

  /**
   * We gained our first gossip neighbour (and solicited adverts): restored proofs are owed after
   * JOIN_GRACE_MS unless the mesh sends them to us first. Once per join.
   */
  joined(): void {
    this.hasJoined = true;
    const now = this.port.now();
    let any = false;
    for (const id of this.restored) {
      const proof = this.known.get(id);
      if (proof !== undefined) any = this.owe(proof, 'join', now + JOIN_GRACE_MS, now) || any;
    }
    if (any) this.onOwed?.(JOIN_GRACE_MS);
  }

  /** A newcomer solicited adverts: it gets the proofs we know (through the send budget). */
  answerSolicit(): void {
    const now = this.port.now();
    let any = false;
    for (const proof of this.known.values()) any = this.owe(proof, 'answer', now, null) || any;
    // Not from inside the gossip validator that called us; a node without a market host (no
    // `onOwed`, e.g. `inos node`) answers too, as far as its budget goes now.
    if (any)
      void Promise.resolve()
        .then(() => this.flushOwed())
        .catch(() => undefined);
  }

  /** Sends owed proofs that are due while the budget allows; tells `onOwed` when the rest can go. */
  async flushOwed(): Promise<void> {
    const now = this.port.now();
    for (let i = 0; i < this.owed.length;) {
      const o = this.owed[i] as Owed;
      if (o.unlessHeardAfter !== null && this.onWireSince(o.proof.ledger, o.unlessHeardAfter)) {
        this.owed.splice(i, 1);
        this.counters.skipped++;
        continue;
      }
      if (o.notBefore > now) {
        i++;
        continue;
      }
      if (!this.budget.take()) {
        this.onOwed?.(this.budget.waitMs());
        return;
      }
      this.owed.splice(i, 1);
      await this.send(o.proof, o.why);
    }
    const next = this.owed.reduce((t, o) => Math.min(t, o.notBefore), Number.POSITIVE_INFINITY);
    if (Number.isFinite(next)) this.onOwed?.(Math.max(0, next - now));
  }

  /** Queues a proof (once: a later request keeps the earlier, sooner entry). */
  private owe(
    proof: ForkProof,
    why: Owed['why'],
    notBefore: number,
    unlessHeardAfter: number | null,
  ): boolean {
    // A join entry (dropped once the proof is on the wire) and a sure one are kept apart.
    const i = this.owed.findIndex(
      (o) => o.proof.ledger === proof.ledger && (o.unlessHeardAfter === null) === (unlessHeardAfter === null),
    );
    if (i >= 0) {
      const o = this.owed[i] as Owed;
      o.notBefore = Math.min(o.notBefore, notBefore);
      return true;
    }
    if (this.owed.length >= MAX_OWED) return false;
    this.owed.push({ proof, why, notBefore, unlessHeardAfter });
    this.counters.deferred++;
    return true;
  }

  /** The proof came in from the mesh, or we sent it, after `since`. */
  private onWireSince(payer: string, since: number): boolean {
    return (this.heardAt.get(payer) ?? -Infinity) > since || (this.sentAt.get(payer) ?? -Infinity) > since;
  }

  private heard(payer: string, map = this.heardAt): void {
    map.delete(payer);
    map.set(payer, this.port.now());
    if (map.size > MAX_KNOWN) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }

  /**
   * A proof caught here that could not go out (no topic peers yet…) is forgotten, so the next
   * refusal retries it; a restored one stays known (the next join or solicitation sends it).
   */
  private async send(proof: ForkProof, why: Owed['why'] = 'caught'): Promise<void> {
    try {
      await this.port.publish(FORKS_TOPIC, encodeForkFrame(proof));
    } catch (err) {
      if (this.known.get(proof.ledger) === proof && !this.restored.has(proof.ledger))
        this.known.delete(proof.ledger);
      throw err;
    }
    this.counters.published++;
    this.heard(proof.ledger, this.sentAt);
    if (why === 'join') this.counters.republished++;
    if (why === 'answer') this.counters.answered++;
  }

  private remember(proof: ForkProof): void {
    if (this.known.size >= MAX_KNOWN) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(proof.ledger, proof);
  }

  private drop(v: GossipVerdict, why: string): GossipVerdict {
    this.lastDrop = why;
    return v;
  }
}
