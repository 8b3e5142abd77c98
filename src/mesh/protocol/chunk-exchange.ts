/**
 * Chunk exchange over /inos/chunks/2, falling back to /inos/chunks/1. Chunks are addressed by their BLAKE3-256 digest (the chunk
 * store's address), announced as DHT provider records, and fetched from several providers at once:
 * up to `parallel` chunks are in flight, each sent to the best-ranked provider that has the fewest
 * of our requests open. Every block is re-hashed on arrival; a mismatch penalises the sender
 * ('bad-chunk', the heaviest outcome) and the chunk is asked of the next provider. Timeouts
 * penalise lightly; unreachable providers are skipped without penalty.
 *
 * Transport: on a port with channels (libp2p), the wants to one provider share one long-lived
 * stream (a "lane"), pipelined with a requestId each and answered in any order, so a chunk costs no
 * stream open (a new WebRTC data channel) and no FIN/FIN_ACK close. A provider that refuses
 * /inos/chunks/2 is asked one stream per chunk on /inos/chunks/1 for V1_RETRY_MS. Both protocols
 * are served. Liveness probes (`probe`) go over the same lane as the wants.
 */
import { blake3Digest } from '../../capsules/crypto/hash.ts';
import { CHUNKS_PROTOCOL, CHUNKS_PROTOCOL_V2 } from './ids.ts';
import { MeshError, type MeshErrorCode } from './errors.ts';
import { decodeChunk, encodeChunk, LIMITS, type ChunkFrame, type Decoded } from './frames.ts';
import type { PeerGuard } from './guard.ts';
import type { FrameChannel, MeshPort, PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

/** What we serve from: the chunk store, or a map in tests. Returns undefined when absent. */
export interface ChunkSource {
  get(hash: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Whether it holds the chunk, without reading it (a `have` answer); `get` is used when absent. */
  has?(hash: Uint8Array): boolean | Promise<boolean>;
}

export interface FetchOptions {
  /**
   * Chunks in flight at once (default MAX_PIPELINED, 8: browser→browser 16 × 1 MiB measured 1.53
   * MB/s at 8 against 1.07 at 4 in one bench:mesh run, 0.98 against 0.77 in the one before; at 8 the
   * transfer reaches the raw data channel's rate, bench/results/mesh.json `browser.layers`).
   */
  parallel?: number;
  /** Per attempt (default 5000 ms). */
  timeoutMs?: number;
  /** Providers tried per chunk before giving up (default 8). */
  maxAttempts?: number;
  /** Providers asked of the DHT per chunk (default 8). */
  providers?: number;
  /**
   * Peers known to hold the chunks (the requester of a job, the contributor of a result): asked
   * first, and the DHT is asked only when none of them delivers.
   */
  from?: readonly PeerIdString[];
  signal?: AbortSignal;
}

export interface FetchReport {
  /** hex address → bytes, verified. */
  chunks: Map<string, Uint8Array>;
  /** hex address → why it could not be had. */
  failed: Map<string, MeshError>;
  /** Per attempt, who answered what (for tests and metrics). */
  attempts: { peer: PeerIdString; hash: string; result: 'ok' | MeshErrorCode }[];
  /**
   * DHT provider lookups made, those that found no provider not yet tried (and were repeated while
   * tries remained), and wants re-asked on a fresh lane after the provider's lane ended under them.
   */
  lookups: { made: number; empty: number; reissued: number };
}

/** Provider lookups per chunk when they come back with no provider (a timed-out DHT query does). */
export const LOOKUP_TRIES = 3;
/** Peers known to hold other chunks of the set that may decline a chunk before the DHT is asked. */
export const HOLDER_TRIES = 2;
/**
 * A lane idle this long is closed and a new one opened for the next want: the provider closes a
 * served lane after CHANNEL_IDLE_MS (60 s, libp2p-port.ts), and a want written just as it does is
 * lost with the lane ("Close called").
 */
export const LANE_REUSE_MS = 30_000;

/** What the chunks of one fetch share: who holds chunks of this set, who went away during it. */
interface FetchState {
  /** Peers that delivered a chunk of this set, or that the DHT named for one: asked first for the rest. */
  holders: PeerIdString[];
  /** Peers unreachable during this fetch: asked only when nobody else is left. */
  gone: Set<PeerIdString>;
}

const noop = (): void => {};

/** Whether a frame is a want for a block (a transfer), not a have-query or a probe. */
function isBlockWant(d: Decoded<ChunkFrame>): boolean {
  return d.ok && d.frame.kind === 'want' && d.frame.sendBlock;
}

export const toHex = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] as number).toString(16).padStart(2, '0');
  return s;
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Where the exchange's time goes, in ms summed over blocks (pipelined blocks overlap, so a sum can
 * exceed the wall time). Serving: reading the block from the source (the store: file read, decrypt,
 * decompress, re-hash), encoding the frame, writing it (until the channel accepts it: back-pressure).
 * Fetching: from the want written to the answer read (network plus the provider's work), decoding
 * the frame, and hashing the block (BLAKE3) to verify it.
 */
export interface ExchangePhases {
  served: number;
  sourceMs: number;
  encodeMs: number;
  sendMs: number;
  fetched: number;
  waitMs: number;
  decodeMs: number;
  verifyMs: number;
}

export const noPhases = (): ExchangePhases => ({
  served: 0,
  sourceMs: 0,
  encodeMs: 0,
  sendMs: 0,
  fetched: 0,
  waitMs: 0,
  decodeMs: 0,
  verifyMs: 0,
});

/** Wants a provider answers at once on one /inos/chunks/2 stream; more wait for a slot. */
export const MAX_PIPELINED = 8;
/** The longest a want waits on a lane that keeps answering others, in want timeouts. */
export const PIPELINED_TIMEOUTS = MAX_PIPELINED;
/** A provider that refused /inos/chunks/2 is asked over /inos/chunks/1 for this long. */
export const V1_RETRY_MS = 10 * 60_000;

/** One /inos/chunks/2 stream to a provider: wants written as asked, answers matched by requestId. */
class Lane {
  readonly pending = new Map<
    number,
    { resolve: (raw: Uint8Array) => void; reject: (e: MeshError) => void }
  >();
  broken: MeshError | null = null;
  /** When the last want was written (port time). */
  lastUsed: number;
  /** When the last answer arrived (performance.now(), the clock want timers run on). */
  #lastAnswer = -Infinity;

  constructor(
    readonly channel: FrameChannel,
    private readonly onEnd: (lane: Lane) => void,
    private readonly now: () => number,
  ) {
    this.lastUsed = now();
    void this.readLoop();
  }

  ask(frame: Uint8Array, id: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(this.broken);
    this.lastUsed = this.now();
    const peer = this.channel.peer;
    return new Promise<Uint8Array>((resolve, reject) => {
      // A want times out after `timeoutMs` without an answer on this lane, not after `timeoutMs` in
      // all: answers come one after another, so with MAX_PIPELINED 1 MiB wants the last one waits for
      // the seven before it (8 MiB at ~1.5 MB/s browser→browser is ~5.5 s, over the 5 s default),
      // and the provider would be penalised for a lane that was delivering all along. A lane that
      // keeps answering holds a want at most PIPELINED_TIMEOUTS × timeoutMs.
      const sentAt = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        const now = performance.now();
        const quiet = now - Math.max(sentAt, this.#lastAnswer);
        const left = Math.min(timeoutMs - quiet, sentAt + PIPELINED_TIMEOUTS * timeoutMs - now);
        if (left > 0) timer = setTimeout(check, left);
        else
          fail(
            new MeshError('timeout', `${peer} did not answer a chunk want within ${timeoutMs} ms`, { peer }),
          );
      };
      timer = setTimeout(check, timeoutMs);
      const done = () => {
        this.pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (e: MeshError) => {
        done();
        reject(e);
      };
      const onAbort = () => fail(new MeshError('aborted', 'fetch aborted', { peer }));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (raw) => {
          done();
          resolve(raw);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.channel.write(frame).catch((err: unknown) => this.end(asMeshError(err, peer)));
    });
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const raw = await this.channel.read();
        const d = decodeChunk(raw);
        // A frame that does not decode breaks the lane; askBlock's caller penalises the sender.
        if (!d.ok) throw new MeshError('bad-frame', d.error.message, { peer: this.channel.peer });
        // An answer to a want given up (timed out) is dropped.
        this.#lastAnswer = performance.now();
        this.pending.get(d.frame.requestId ?? 0)?.resolve(raw);
      }
    } catch (err) {
      this.end(asMeshError(err, this.channel.peer));
    }
  }

  end(err: MeshError): void {
    if (this.broken) return;
    this.broken = err;
    this.onEnd(this);
    if (err.code === 'bad-frame') this.channel.abort(err);
    else this.channel.close();
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}

const asMeshError = (err: unknown, peer: PeerIdString): MeshError =>
  err instanceof MeshError ? err : new MeshError('unreachable', String(err), { peer, cause: err });

export class ChunkExchange {
  private readonly inflight = new Map<PeerIdString, number>();
  private readonly lanes = new Map<PeerIdString, Promise<Lane>>();
  /** Providers that refused /inos/chunks/2, until when (port time). */
  private readonly v1Only = new Map<PeerIdString, number>();
  private nextId = 0;
  readonly phases: ExchangePhases = noPhases();
  /** Transfers in flight: `fetch` calls running, and block wants being served (read, encode, write). */
  activeTransfers = 0;
  /** Told each time `activeTransfers` changes (the offscreen document holds its filler work meanwhile). */
  onTransfers?: (active: number) => void;

  /** Counts one transfer until the returned function is called (once). */
  private beginTransfer(): () => void {
    this.activeTransfers++;
    this.onTransfers?.(this.activeTransfers);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.activeTransfers--;
      this.onTransfers?.(this.activeTransfers);
    };
  }

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
    private readonly guard: PeerGuard,
    private readonly source: ChunkSource,
    private readonly random: () => number = Math.random,
    /**
     * Verifies blocks: hash-wasm's BLAKE3 once it is ready (~680 MB/s vs noble's ~25 MB/s measured in
     * src/capsules/crypto/hash.ts; noble until then). In bench:mesh (load 33) noble's verify took
     * 16.3 s of the fetching document's thread for 6 × 1 MiB.
     */
    private readonly hash: (bytes: Uint8Array) => Uint8Array = (b) => blake3Digest(b, noop),
  ) {}

  /** Serves wants from peers on both protocols; returns the disposer. */
  serve(): () => void {
    const v1 = this.port.handle(CHUNKS_PROTOCOL, (from, frame) => this.countedAnswer(from, frame), {
      maxRequestBytes: 4096,
    });
    const v2 = this.port.handleChannel?.(
      CHUNKS_PROTOCOL_V2,
      (from, channel) => this.serveChannel(from, channel),
      { maxFrameBytes: 4096 },
    );
    return () => {
      v1();
      v2?.();
      this.close();
    };
  }

  /** Answers the wants of one /inos/chunks/2 stream, up to MAX_PIPELINED at once, until it ends. */
  private async serveChannel(from: PeerIdString, channel: FrameChannel): Promise<void> {
    const running = new Set<Promise<void>>();
    try {
      for (;;) {
        let frame: Uint8Array;
        try {
          frame = await channel.read();
        } catch {
          break; // ended, idle too long, or oversize (the port reported the abuse)
        }
        const d = decodeChunk(frame);
        const end = isBlockWant(d) ? this.beginTransfer() : noop;
        const task: Promise<void> = this.answer(from, d)
          .then(async (reply) => {
            const t0 = performance.now();
            await channel.write(reply);
            this.phases.sendMs += performance.now() - t0;
          })
          .catch((err: unknown) => channel.abort(err instanceof Error ? err : new Error(String(err))))
          .finally(() => {
            end();
            running.delete(task);
          });
        running.add(task);
        if (running.size >= MAX_PIPELINED) await Promise.race(running);
      }
      await Promise.allSettled(running);
    } finally {
      channel.close();
    }
  }

  /** `answer` of an /inos/chunks/1 want, a block want counted as a transfer while it is read. */
  private async countedAnswer(from: PeerIdString, frame: Uint8Array): Promise<Uint8Array> {
    const d = decodeChunk(frame);
    const end = isBlockWant(d) ? this.beginTransfer() : noop;
    try {
      return await this.answer(from, d);
    } finally {
      end();
    }
  }

  /** The answer to one want, decoded once by the caller (which counts block wants as transfers). */
  private async answer(from: PeerIdString, d: Decoded<ChunkFrame>): Promise<Uint8Array> {
    const zero = new Uint8Array(32);
    // Decoded before anything else so that every answer, refusals included, carries its requestId.
    const requestId = d.ok ? (d.frame.requestId ?? 0) : 0;
    const reply = (f: ChunkFrame) => encodeChunk({ ...f, requestId });
    // The port's gater refuses banned peers; this covers a ban that began while the stream opened.
    if (this.reputation.isBanned(from))
      return reply({ kind: 'error', hash: zero, code: 'busy', message: 'refused' });
    const release = this.guard.admitStream(from);
    if (release === null)
      return reply({
        kind: 'error',
        hash: zero,
        code: 'busy',
        message: 'over the stream limits; retry later',
      });
    try {
      if (!d.ok || d.frame.kind !== 'want') {
        this.reputation.record(from, 'bad-frame');
        const message = d.ok ? `expected a want, got ${d.frame.kind}` : d.error.message;
        return reply({ kind: 'error', hash: zero, code: 'badRequest', message });
      }
      const want = d.frame;
      if (want.sendBlock) {
        const h = want.hashes[0] as Uint8Array;
        const t0 = performance.now();
        const bytes = await this.source.get(h);
        const t1 = performance.now();
        this.phases.sourceMs += t1 - t0;
        if (bytes === undefined) return reply({ kind: 'error', hash: h, code: 'notFound', message: '' });
        if (bytes.length > LIMITS.chunkBytes)
          return reply({
            kind: 'error',
            hash: h,
            code: 'tooLarge',
            message: `over ${LIMITS.chunkBytes} bytes`,
          });
        const block = reply({ kind: 'block', hash: h, bytes });
        this.phases.encodeMs += performance.now() - t1;
        this.phases.served++;
        return block;
      }
      const have: Uint8Array[] = [];
      for (const h of want.hashes)
        if (this.source.has ? await this.source.has(h) : (await this.source.get(h)) !== undefined)
          have.push(h);
      return reply({ kind: 'have', hashes: have });
    } finally {
      release();
    }
  }

  /** Announces that we hold these chunks (DHT provider records). */
  async announce(hashes: readonly Uint8Array[]): Promise<void> {
    for (const h of hashes) await this.port.provide(h);
  }

  /** Fetches and verifies every chunk it can; never throws for a peer's misbehaviour. */
  async fetch(hashes: readonly Uint8Array[], options: FetchOptions = {}): Promise<FetchReport> {
    const parallel = options.parallel ?? MAX_PIPELINED;
    const report: FetchReport = {
      chunks: new Map(),
      failed: new Map(),
      attempts: [],
      lookups: { made: 0, empty: 0, reissued: 0 },
    };
    const state: FetchState = { holders: [], gone: new Set() };
    const queue = [...hashes];
    const end = hashes.length > 0 ? this.beginTransfer() : noop;
    const worker = async (): Promise<void> => {
      for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
        const key = toHex(h);
        if (report.chunks.has(key) || report.failed.has(key)) continue;
        try {
          report.chunks.set(key, await this.fetchOne(h, options, report, state));
        } catch (err) {
          report.failed.set(
            key,
            err instanceof MeshError ? err : new MeshError('declined', String(err), { cause: err }),
          );
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
    } finally {
      end();
    }
    return report;
  }

  /**
   * One chunk: asked of the peers given (`from`), then of the peers holding other chunks of this set,
   * then of the providers the DHT names; a lookup that names no provider not yet tried is repeated
   * (LOOKUP_TRIES): a lookup whose query timed out on a busy peer comes back empty, which cost
   * 4-7 of 16 chunks per round between two browsers at load 30 ("no provider found"). A want lost
   * with its lane (the provider closed it, "Close called") is asked again once on a fresh lane,
   * after every other candidate (a provider whose document closed must not hold the chunk up).
   */
  private async fetchOne(
    hash: Uint8Array,
    o: FetchOptions,
    report: FetchReport,
    state: FetchState,
  ): Promise<Uint8Array> {
    const key = toHex(hash);
    const timeoutMs = o.timeoutMs ?? 5000;
    const given: PeerIdString[] = (o.from ?? []).filter((p) => p !== this.port.self);
    const found: PeerIdString[] = [];
    let lookups = 0;
    const tried = new Set<PeerIdString>();
    const reissued = new Set<PeerIdString>();
    const maxAttempts = o.maxAttempts ?? 8;
    let last: MeshError = new MeshError('declined', `no provider found for chunk ${key}`);
    let holderMisses = 0;
    const untried = (list: readonly PeerIdString[]) => list.filter((p) => !tried.has(p));
    /** The next peer to ask; peers gone during this fetch only when `gone` is set. */
    const next = (gone: boolean): PeerIdString | undefined => {
      const lists = holderMisses < HOLDER_TRIES ? [given, state.holders, found] : [given, found];
      for (const list of lists) {
        const peer = this.pick(untried(list).filter((p) => !state.gone.has(p)));
        if (peer !== undefined) return peer;
      }
      return gone ? this.pick(untried([...given, ...state.holders, ...found])) : undefined;
    };
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (o.signal?.aborted) throw new MeshError('aborted', 'fetch aborted');
      let peer = next(false);
      while (peer === undefined && lookups < LOOKUP_TRIES) {
        lookups++;
        report.lookups.made++;
        const named = await this.port.findProviders(hash, {
          limit: o.providers ?? 8,
          timeoutMs: timeoutMs * 2,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        for (const p of named) {
          if (p === this.port.self) continue;
          if (!found.includes(p)) found.push(p);
          if (!state.holders.includes(p)) state.holders.push(p);
        }
        peer = next(false);
        if (peer === undefined) report.lookups.empty++;
        if (o.signal?.aborted) throw new MeshError('aborted', 'fetch aborted');
      }
      peer ??= next(true);
      if (peer === undefined) break;
      tried.add(peer);
      this.inflight.set(peer, (this.inflight.get(peer) ?? 0) + 1);
      try {
        const bytes = await this.askBlock(peer, hash, timeoutMs, o.signal);
        report.attempts.push({ peer, hash: key, result: 'ok' });
        state.gone.delete(peer);
        if (!state.holders.includes(peer)) state.holders.push(peer);
        return bytes;
      } catch (err) {
        last = err instanceof MeshError ? err : new MeshError('declined', String(err), { cause: err });
        report.attempts.push({ peer, hash: key, result: last.code });
        if (last.code === 'aborted') throw last;
        if (last.code === 'declined' && !given.includes(peer) && !found.includes(peer)) holderMisses++;
        if (last.code === 'unreachable') {
          // Gone for this fetch: others are asked first. When nobody else is left, it is asked once
          // more on a fresh lane (its lane may have ended under the want while it stays up).
          state.gone.add(peer);
          if (!reissued.has(peer)) {
            reissued.add(peer);
            tried.delete(peer);
            report.lookups.reissued++;
          }
        }
      } finally {
        const n = (this.inflight.get(peer) ?? 1) - 1;
        if (n <= 0) this.inflight.delete(peer);
        else this.inflight.set(peer, n);
      }
    }
    throw last;
  }

  /**
   * A liveness probe (liveness.ts): a have-query for `hash` on the path a fetch takes, the peer's
   * /inos/chunks/2 lane (opened if need be), or an /inos/chunks/1 stream for a peer without it.
   * Resolves on any answer; rejects with the MeshError of the path ('timeout': connected, no answer).
   */
  async probe(peer: PeerIdString, hash: Uint8Array, timeoutMs: number): Promise<void> {
    const lane = await this.lane(peer, timeoutMs);
    if (lane !== null) {
      this.nextId = (this.nextId % 0xffff_ffff) + 1;
      const id = this.nextId;
      await lane.ask(
        encodeChunk({ kind: 'want', hashes: [hash], sendBlock: false, requestId: id }),
        id,
        timeoutMs,
      );
      return;
    }
    await this.port.request(
      peer,
      CHUNKS_PROTOCOL,
      encodeChunk({ kind: 'want', hashes: [hash], sendBlock: false }),
      {
        timeoutMs,
        maxResponseBytes: LIMITS.chunkFrameBytes,
      },
    );
  }

  /** One want for a block: on the provider's lane (/inos/chunks/2), else its own /inos/chunks/1 stream. */
  private async send(
    peer: PeerIdString,
    hash: Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const lane = await this.lane(peer, timeoutMs, signal);
    if (lane !== null) {
      this.nextId = (this.nextId % 0xffff_ffff) + 1;
      const id = this.nextId;
      return lane.ask(
        encodeChunk({ kind: 'want', hashes: [hash], sendBlock: true, requestId: id }),
        id,
        timeoutMs,
        signal,
      );
    }
    return this.port.request(
      peer,
      CHUNKS_PROTOCOL,
      encodeChunk({ kind: 'want', hashes: [hash], sendBlock: true }),
      {
        timeoutMs,
        maxResponseBytes: LIMITS.chunkFrameBytes,
        ...(signal ? { signal } : {}),
      },
    );
  }

  /** The open lane to `peer` (opened once, shared by every want), or null: ask over /inos/chunks/1. */
  private async lane(peer: PeerIdString, timeoutMs: number, signal?: AbortSignal): Promise<Lane | null> {
    const open = this.port.openChannel?.bind(this.port);
    if (open === undefined || (this.v1Only.get(peer) ?? 0) > this.port.now()) return null;
    let lane = this.lanes.get(peer);
    if (lane !== undefined) {
      // Idle near the provider's own idle close: a fresh lane, so no want races that close.
      const open = await lane.catch(() => null);
      if (open !== null && open.pending.size === 0 && this.port.now() - open.lastUsed > LANE_REUSE_MS) {
        open.end(new MeshError('aborted', 'lane idle; reopened'));
        lane = this.lanes.get(peer);
      }
    }
    if (lane === undefined) {
      lane = open(peer, CHUNKS_PROTOCOL_V2, {
        maxFrameBytes: LIMITS.chunkFrameBytes,
        timeoutMs,
        ...(signal ? { signal } : {}),
      }).then(
        (channel) =>
          new Lane(
            channel,
            (ended) => {
              if (this.lanes.get(peer) === mine) this.lanes.delete(peer);
              void ended;
            },
            () => this.port.now(),
          ),
      );
      const mine = lane;
      this.lanes.set(peer, lane);
      lane.catch(() => {
        if (this.lanes.get(peer) === mine) this.lanes.delete(peer);
      });
    }
    try {
      const l = await lane;
      return l.broken ? null : l;
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (!(cause instanceof Error && cause.name === 'UnsupportedProtocolError')) throw err;
      // An older peer without /inos/chunks/2: one stream per want instead.
      this.v1Only.set(peer, this.port.now() + V1_RETRY_MS);
      return null;
    }
  }

  /** Closes every lane (the node stops). */
  close(): void {
    for (const lane of this.lanes.values())
      void lane.then(
        (l) => l.end(new MeshError('aborted', 'the chunk exchange closed')),
        () => undefined,
      );
    this.lanes.clear();
  }

  /** Best reputation first, then fewest of our requests already open to it. */
  private pick(candidates: PeerIdString[]): PeerIdString | undefined {
    const ordered = this.reputation.order(candidates, this.random);
    let best: PeerIdString | undefined;
    let bestLoad = Infinity;
    const top = this.reputation.score(ordered[0] ?? '') - 0.05;
    for (const p of ordered) {
      if (this.reputation.score(p) < top) break; // only spread across near-equal peers
      const load = this.inflight.get(p) ?? 0;
      if (load < bestLoad) {
        best = p;
        bestLoad = load;
      }
    }
    return best;
  }

  private async askBlock(
    peer: PeerIdString,
    hash: Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    let raw: Uint8Array;
    const t0 = performance.now();
    try {
      raw = await this.send(peer, hash, timeoutMs, signal);
    } catch (err) {
      const e =
        err instanceof MeshError ? err : new MeshError('unreachable', String(err), { peer, cause: err });
      if (e.code === 'timeout') this.reputation.record(peer, 'timeout');
      if (e.code === 'oversize' || e.code === 'bad-frame') this.reputation.record(peer, 'bad-frame');
      throw e;
    }
    const t1 = performance.now();
    this.phases.waitMs += t1 - t0;
    const d = decodeChunk(raw);
    const t2 = performance.now();
    this.phases.decodeMs += t2 - t1;
    if (!d.ok) {
      this.reputation.record(peer, 'bad-frame');
      throw new MeshError(d.error.code, d.error.message, { peer });
    }
    const f = d.frame;
    if (f.kind === 'error') {
      throw new MeshError('declined', `${peer} answered ${f.code}${f.message ? `: ${f.message}` : ''}`, {
        peer,
      });
    }
    if (f.kind !== 'block' || !sameBytes(f.hash, hash)) {
      this.reputation.record(peer, 'bad-frame');
      throw new MeshError('bad-frame', `${peer} answered a ${f.kind} for another chunk`, { peer });
    }
    const good = sameBytes(this.hash(f.bytes), hash);
    this.phases.verifyMs += performance.now() - t2;
    if (!good) {
      this.reputation.record(peer, 'bad-chunk');
      throw new MeshError('bad-chunk', `${peer} sent bytes that do not hash to ${toHex(hash)}`, { peer });
    }
    this.reputation.record(peer, 'ok');
    this.phases.fetched++;
    return f.bytes;
  }
}
