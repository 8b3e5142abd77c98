/**
 * MeshNode: the protocol logic on one MeshPort. Wires reputation to the port (a ban disconnects
 * and refuses the peer), port-level abuse to reputation, and starts the advert, chunk and RPC
 * services. The libp2p adapter and the simulator both run exactly this.
 */
import { AdvertTable } from './adverts.ts';
import { ChunkExchange, type ChunkSource } from './chunk-exchange.ts';
import { ForkGossip } from './forks.ts';
import { PeerGuard, type GuardLimits } from './guard.ts';
import { LivenessProbe, type LivenessOptions } from './liveness.ts';
import type { MeshPort } from './port.ts';
import { Reputation, type PeerRecord } from './reputation.ts';
import type { ReputationStore } from './reputation-store.ts';
import { RpcService } from './rpc.ts';

export interface MeshNodeOptions {
  source: ChunkSource;
  limits?: Partial<GuardLimits>;
  liveness?: Partial<LivenessOptions>;
  /** Seeded in tests and the simulator; Math.random otherwise. */
  random?: () => number;
  /** Called when we ban a peer (after port.ban and port.disconnect were asked). */
  onBan?: (peer: string, untilMs: number, record: Readonly<PeerRecord>) => void;
}

export class MeshNode {
  readonly reputation: Reputation;
  readonly guard: PeerGuard;
  readonly liveness: LivenessProbe;
  readonly adverts: AdvertTable;
  /** Fork-proof gossip: the market host sets `forks.onFork` to its wallet's reportFork. */
  readonly forks: ForkGossip;
  readonly chunks: ChunkExchange;
  readonly rpc: RpcService;
  private readonly disposers: (() => void)[] = [];

  constructor(
    readonly port: MeshPort,
    options: MeshNodeOptions,
  ) {
    this.reputation = new Reputation({
      now: () => port.now(),
      onBan: (peer, until, record) => {
        port.ban(peer, until);
        void port.disconnect(peer).catch(() => undefined);
        options.onBan?.(peer, until, record);
      },
      // A timeout is settled by probing the peer (liveness.ts); only a started node probes.
      onSuspect: (peer) => {
        if (this.disposers.length > 0) this.liveness.suspect(peer);
      },
    });
    // Probes take the fetches' path (the /inos/chunks/2 lane), so they test what a fetch uses.
    this.liveness = new LivenessProbe(port, this.reputation, options.random, options.liveness, (p, h, t) =>
      this.chunks.probe(p, h, t),
    );
    this.guard = new PeerGuard(() => port.now(), this.reputation, options.limits);
    this.adverts = new AdvertTable(port, this.reputation, this.guard);
    this.forks = new ForkGossip(port, this.reputation);
    // Gossip keeps no history: a joining node republishes the fork proofs it knew before, and a
    // newcomer's solicitation is answered with the ones we know.
    this.adverts.onSolicit = (own) => (own ? this.forks.joined() : this.forks.answerSolicit());
    this.chunks = new ChunkExchange(port, this.reputation, this.guard, options.source, options.random);
    this.rpc = new RpcService(port, this.reputation, this.guard);
  }

  /** Loads persisted reputation (re-applying live bans to the port) and starts serving. */
  async start(store?: ReputationStore): Promise<void> {
    if (store !== undefined) {
      this.reputation.restore(await store.load());
      for (const r of this.reputation.all())
        if (r.bannedUntil > this.port.now()) this.port.ban(r.peer, r.bannedUntil);
    }
    this.disposers.push(
      this.adverts.start(),
      this.forks.start(),
      this.chunks.serve(),
      this.rpc.serve(),
      this.port.onAbuse((peer) => this.reputation.record(peer, 'bad-frame')),
    );
  }

  /** Persists reputation changes since the last flush. */
  async flush(store: ReputationStore): Promise<void> {
    const dirty = this.reputation.takeDirty();
    if (dirty.length > 0) await store.save(dirty);
  }

  stop(): void {
    for (const d of this.disposers.splice(0)) d();
  }
}
