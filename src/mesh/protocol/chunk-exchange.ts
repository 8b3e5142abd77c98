/**
 * Chunk exchange over /inos/chunks/1. Chunks are addressed by their BLAKE3-256 digest (the chunk
 * store's address), announced as DHT provider records, and fetched from several providers at once:
 * up to `parallel` chunks are in flight, each sent to the best-ranked provider that has the fewest
 * of our requests open. Every block is re-hashed on arrival; a mismatch penalises the sender
 * ('bad-chunk', the heaviest outcome) and the chunk is asked of the next provider. Timeouts
 * penalise lightly; unreachable providers are skipped without penalty.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { CHUNKS_PROTOCOL } from './ids.ts';
import { MeshError, type MeshErrorCode } from './errors.ts';
import { decodeChunk, encodeChunk, LIMITS } from './frames.ts';
import type { PeerGuard } from './guard.ts';
import type { MeshPort, PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

/** What we serve from: the chunk store, or a map in tests. Returns undefined when absent. */
export interface ChunkSource {
  get(hash: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Whether it holds the chunk, without reading it (a `have` answer); `get` is used when absent. */
  has?(hash: Uint8Array): boolean | Promise<boolean>;
}

export interface FetchOptions {
  /** Chunks in flight at once (default 4). */
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

export class ChunkExchange {
  private readonly inflight = new Map<PeerIdString, number>();

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
    private readonly guard: PeerGuard,
    private readonly source: ChunkSource,
    private readonly random: () => number = Math.random,
    private readonly hash: (bytes: Uint8Array) => Uint8Array = (b) => blake3(b),
  ) {}

  /** Serves wants from peers; returns the disposer. */
  serve(): () => void {
    return this.port.handle(CHUNKS_PROTOCOL, (from, frame) => this.answer(from, frame), {
      maxRequestBytes: 4096,
    });
  }

  private async answer(from: PeerIdString, frame: Uint8Array): Promise<Uint8Array> {
    const zero = new Uint8Array(32);
    // The port's gater refuses banned peers; this covers a ban that began while the stream opened.
    if (this.reputation.isBanned(from))
      return encodeChunk({ kind: 'error', hash: zero, code: 'busy', message: 'refused' });
    const release = this.guard.admitStream(from);
    if (release === null)
      return encodeChunk({
        kind: 'error',
        hash: zero,
        code: 'busy',
        message: 'over the stream limits; retry later',
      });
    try {
      const d = decodeChunk(frame);
      if (!d.ok || d.frame.kind !== 'want') {
        this.reputation.record(from, 'bad-frame');
        const message = d.ok ? `expected a want, got ${d.frame.kind}` : d.error.message;
        return encodeChunk({ kind: 'error', hash: zero, code: 'badRequest', message });
      }
      const want = d.frame;
      if (want.sendBlock) {
        const h = want.hashes[0] as Uint8Array;
        const bytes = await this.source.get(h);
        if (bytes === undefined)
          return encodeChunk({ kind: 'error', hash: h, code: 'notFound', message: '' });
        if (bytes.length > LIMITS.chunkBytes)
          return encodeChunk({
            kind: 'error',
            hash: h,
            code: 'tooLarge',
            message: `over ${LIMITS.chunkBytes} bytes`,
          });
        return encodeChunk({ kind: 'block', hash: h, bytes });
      }
      const have: Uint8Array[] = [];
      for (const h of want.hashes)
        if (this.source.has ? await this.source.has(h) : (await this.source.get(h)) !== undefined)
          have.push(h);
      return encodeChunk({ kind: 'have', hashes: have });
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
    const parallel = options.parallel ?? 4;
    const report: FetchReport = { chunks: new Map(), failed: new Map(), attempts: [] };
    const queue = [...hashes];
    const worker = async (): Promise<void> => {
      for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
        const key = toHex(h);
        if (report.chunks.has(key) || report.failed.has(key)) continue;
        try {
          report.chunks.set(key, await this.fetchOne(h, options, report));
        } catch (err) {
          report.failed.set(
            key,
            err instanceof MeshError ? err : new MeshError('declined', String(err), { cause: err }),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
    return report;
  }

  private async fetchOne(hash: Uint8Array, o: FetchOptions, report: FetchReport): Promise<Uint8Array> {
    const key = toHex(hash);
    const timeoutMs = o.timeoutMs ?? 5000;
    const found: PeerIdString[] = (o.from ?? []).filter((p) => p !== this.port.self);
    let looked = false;
    const tried = new Set<PeerIdString>();
    const maxAttempts = o.maxAttempts ?? 8;
    let last: MeshError = new MeshError('declined', `no provider found for chunk ${key}`);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (o.signal?.aborted) throw new MeshError('aborted', 'fetch aborted');
      let peer = this.pick(found.filter((p) => !tried.has(p)));
      if (peer === undefined && !looked) {
        looked = true;
        for (const p of await this.port.findProviders(hash, {
          limit: o.providers ?? 8,
          timeoutMs: timeoutMs * 2,
          ...(o.signal ? { signal: o.signal } : {}),
        }))
          if (!found.includes(p)) found.push(p);
        peer = this.pick(found.filter((p) => !tried.has(p)));
      }
      if (peer === undefined) break;
      tried.add(peer);
      this.inflight.set(peer, (this.inflight.get(peer) ?? 0) + 1);
      try {
        const bytes = await this.askBlock(peer, hash, timeoutMs, o.signal);
        report.attempts.push({ peer, hash: key, result: 'ok' });
        return bytes;
      } catch (err) {
        last = err instanceof MeshError ? err : new MeshError('declined', String(err), { cause: err });
        report.attempts.push({ peer, hash: key, result: last.code });
        if (last.code === 'aborted') throw last;
      } finally {
        const n = (this.inflight.get(peer) ?? 1) - 1;
        if (n <= 0) this.inflight.delete(peer);
        else this.inflight.set(peer, n);
      }
    }
    throw last;
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
    try {
      raw = await this.port.request(
        peer,
        CHUNKS_PROTOCOL,
        encodeChunk({ kind: 'want', hashes: [hash], sendBlock: true }),
        {
          timeoutMs,
          maxResponseBytes: LIMITS.chunkFrameBytes,
          ...(signal ? { signal } : {}),
        },
      );
    } catch (err) {
      const e =
        err instanceof MeshError ? err : new MeshError('unreachable', String(err), { peer, cause: err });
      if (e.code === 'timeout') this.reputation.record(peer, 'timeout');
      if (e.code === 'oversize') this.reputation.record(peer, 'bad-frame');
      throw e;
    }
    const d = decodeChunk(raw);
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
    if (!sameBytes(this.hash(f.bytes), hash)) {
      this.reputation.record(peer, 'bad-chunk');
      throw new MeshError('bad-chunk', `${peer} sent bytes that do not hash to ${toHex(hash)}`, { peer });
    }
    this.reputation.record(peer, 'ok');
    return f.bytes;
  }
}
