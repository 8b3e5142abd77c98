/**
 * Liveness probes: tell "answers nothing while connected" from "lost one message" and from "gone".
 *
 * Reputation calls `suspect(peer)` after each timeout that did not ban the peer. We then ask the
 * peer a question every node answers cheaply, a chunk `want` without the block ("which of these do
 * you hold?") for a random hash, on the path our fetches take (MeshNode passes ChunkExchange.probe:
 * the provider's /inos/chunks/2 lane, /inos/chunks/1 only for a peer without it), so a peer cannot
 * tell it from a genuine query and answer only probes, and a lane that stopped answering is what
 * gets tested. The outcome goes back to Reputation:
 *   - any answer: 'alive' (the run of timeouts ends, the score stays where the timeout left it);
 *   - timeout: 'timeout' (the run grows, its weight with it; Reputation calls suspect again, so
 *     the next probe follows at once, until the peer answers or is banned);
 *   - anything else (dial failed, peer gone or banned, stream reset): nothing is recorded. A peer
 *     that went offline or behind a partition is not lying, and the port reports it as
 *     'unreachable' (libp2p: a failed dial; the simulator: down or across the partition).
 * One probe per peer at a time, at most `maxConcurrent` in all; the deadline is the port's, as
 * everywhere in the protocol logic (no timers here).
 */
import { CHUNKS_PROTOCOL } from './ids.ts';
import { MeshError } from './errors.ts';
import { encodeChunk, LIMITS } from './frames.ts';
import type { MeshPort, PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

export interface LivenessOptions {
  /** Deadline of one probe. */
  timeoutMs: number;
  /** Probes in flight at once, over all peers (a suspect beyond it is not probed). */
  maxConcurrent: number;
}

export const DEFAULT_LIVENESS: LivenessOptions = { timeoutMs: 5000, maxConcurrent: 32 };

/** Asks `peer` whether it holds `hash` (a have-query); resolves on any answer, rejects with MeshError. */
export type ProbeAsk = (peer: PeerIdString, hash: Uint8Array, timeoutMs: number) => Promise<unknown>;

export class LivenessProbe {
  private readonly inflight = new Set<PeerIdString>();
  readonly options: LivenessOptions;
  readonly counters = { probes: 0, alive: 0, timeouts: 0, gone: 0, skipped: 0 };

  constructor(
    private readonly port: Pick<MeshPort, 'self' | 'request'>,
    private readonly reputation: Reputation,
    private readonly random: () => number = Math.random,
    options: Partial<LivenessOptions> = {},
    /** How the question goes out; one /inos/chunks/1 request when absent. */
    private readonly ask?: ProbeAsk,
  ) {
    this.options = { ...DEFAULT_LIVENESS, ...options };
  }

  #ask(peer: PeerIdString, hash: Uint8Array): Promise<unknown> {
    if (this.ask) return this.ask(peer, hash, this.options.timeoutMs);
    return this.port.request(
      peer,
      CHUNKS_PROTOCOL,
      encodeChunk({ kind: 'want', hashes: [hash], sendBlock: false }),
      {
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: LIMITS.chunkFrameBytes,
      },
    );
  }

  /** Probes `peer` unless a probe to it is already out (its outcome settles this timeout too). */
  suspect(peer: PeerIdString): void {
    if (this.inflight.has(peer) || peer === this.port.self) return;
    if (this.inflight.size >= this.options.maxConcurrent) {
      this.counters.skipped++;
      return;
    }
    this.inflight.add(peer);
    this.counters.probes++;
    const hash = new Uint8Array(32);
    for (let i = 0; i < hash.length; i++) hash[i] = Math.floor(this.random() * 256);
    this.#ask(peer, hash).then(
      () => {
        this.inflight.delete(peer);
        this.counters.alive++;
        this.reputation.record(peer, 'alive');
      },
      (err: unknown) => {
        this.inflight.delete(peer);
        if (err instanceof MeshError && err.code === 'timeout') {
          this.counters.timeouts++;
          this.reputation.record(peer, 'timeout'); // calls suspect() again unless that banned it
        } else this.counters.gone++;
      },
    );
  }
}
