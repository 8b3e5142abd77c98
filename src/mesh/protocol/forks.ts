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
  private readonly owed: ForkProof[] = [];
  private readonly guard: PeerGuard;
  private readonly budget: SendBudget;
  /** Called (outside the validator) with each new valid proof from another node. */
  onFork: ((proof: ForkProof) => void) | null = null;
  /** Called when a proof had to wait for our send budget, with the wait in ms: call `flushOwed()` then. */
  onOwed: ((waitMs: number) => void) | null = null;
  lastDrop = '';
  readonly counters = { published: 0, accepted: 0, rejected: 0, deferred: 0 };

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
      if (this.owed.length < MAX_OWED) this.owed.push(check.proof);
      this.counters.deferred++;
      this.onOwed?.(this.budget.waitMs());
      return false;
    }
    await this.send(check.proof);
    return true;
  }

  /** Sends owed proofs while the budget allows; tells `onOwed` when the rest can go. */
  async flushOwed(): Promise<void> {
    while (this.owed.length > 0) {
      if (!this.budget.take()) {
        this.onOwed?.(this.budget.waitMs());
        return;
      }
      await this.send(this.owed.shift() as ForkProof);
    }
  }

  /** A proof that could not go out (no topic peers yet…) is forgotten, so the next refusal retries it. */
  private async send(proof: ForkProof): Promise<void> {
    try {
      await this.port.publish(FORKS_TOPIC, encodeForkFrame(proof));
    } catch (err) {
      if (this.known.get(proof.ledger) === proof) this.known.delete(proof.ledger);
      throw err;
    }
    this.counters.published++;
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
