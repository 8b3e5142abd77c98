/**
 * MeshPort (src/mesh/protocol/port.ts) on a js-libp2p node: gossip is gossipsub with the handler as
 * the topic validator, request/response is one yamux stream per request carrying one length-prefixed
 * frame each way, provider records are kad-dht provider records keyed by `dhtCid`, bans are the
 * connection gater (createMeshNode's `denyPeer`, fed from `BanList`).
 *
 * Limits are enforced here before anything is buffered: a request frame over `maxRequestBytes` is
 * refused by the length-prefix decoder (it reads the varint, not the body), the stream is reset and
 * the peer reported through onAbuse; reputation and rate limits are the protocol layer's.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { MeshError } from '../protocol/errors.ts';
import { KEY_BYTES, type ChannelProtocol, type StreamProtocol } from '../protocol/ids.ts';
import type {
  AbuseKind,
  ChannelOptions,
  FindProvidersOptions,
  FrameChannel,
  GossipMessage,
  GossipVerdict,
  MeshPort,
  PeerIdString,
  RequestFrame,
  RequestOptions,
  StreamHandler,
} from '../protocol/port.ts';
import { frameBytes } from '../protocol/port.ts';
import type { MeshLibp2p } from './create-node.ts';

/** Peers refused until a wall-clock time; createMeshNode's `denyPeer` reads it. */
export class BanList {
  readonly #until = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  set(peer: string, untilMs: number): void {
    if (untilMs <= 0) this.#until.delete(peer);
    else this.#until.set(peer, untilMs);
  }
  has = (peer: string): boolean => {
    const until = this.#until.get(peer);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#until.delete(peer);
    return false;
  };
}

const VERDICT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};
const RANK: Record<GossipVerdict, number> = { accept: 0, ignore: 1, reject: 2 };

/** Most inbound streams of one protocol a single connection may hold open at once. */
export const MAX_INBOUND_STREAMS_PER_CONNECTION = 16;
/** Most long-lived channels (MeshPort.openChannel) of one protocol per connection and direction. */
export const MAX_CHANNELS_PER_CONNECTION = 4;
/** A served channel on which the peer sends nothing for this long is closed. */
export const CHANNEL_IDLE_MS = 60_000;

/**
 * The kad-dht CID under which provider records for a 32-byte key live: CIDv1(raw, sha2-256(key)).
 *
 * Why sha2-256 of the key and not the key itself as a BLAKE3 multihash: js
 * kad-dht sends only the multihash on the wire, and its ADD_PROVIDER / GET_PROVIDERS handlers
 * parse that with `CID.decode`, which only succeeds when the multihash happens to look like a CIDv0
 * (sha2-256, 32 bytes). A BLAKE3 multihash is refused as "Invalid CID version 30" by every remote
 * node, so `provide` stored the record only locally and `findProviders` never found anyone
 * (measured: 0 of 50 lookups on a 50-node memory mesh before, all after). Hashing the key keeps the
 * record keyed by exactly our 32-byte address and is an honest sha2-256 multihash.
 */
export async function dhtCid(key: Uint8Array): Promise<CID> {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES)
    throw new RangeError(`provider key: expected ${KEY_BYTES} bytes, got ${key?.length ?? typeof key}`);
  return CID.createV1(raw.code, await sha256.digest(key));
}

const errName = (err: unknown): string => (err instanceof Error ? err.name : '');

/** Time spent in each phase of the requests this port made (ms, summed), for benchmarks and metrics. */
export interface RequestTimings {
  requests: number;
  /** Opening the stream: a new data channel (WebRTC) or yamux stream, then multistream-select. */
  openMs: number;
  writeMs: number;
  /** From the request written to the whole reply read: the remote's work plus the transfer. */
  readMs: number;
  /** Closing our end after the reply was read (a FIN/FIN_ACK round trip on WebRTC). */
  closeMs: number;
}

export class Libp2pPort implements MeshPort {
  readonly self: PeerIdString;
  readonly #node: MeshLibp2p;
  readonly #bans: BanList;
  readonly #topics = new Map<string, Set<(msg: GossipMessage) => GossipVerdict>>();
  readonly #abuse = new Set<(peer: PeerIdString, what: AbuseKind) => void>();
  readonly timings: RequestTimings = { requests: 0, openMs: 0, writeMs: 0, readMs: 0, closeMs: 0 };
  /** Requests this port answered: time in the handler (e.g. a store read), writing the reply, closing. */
  readonly served = { requests: 0, handlerMs: 0, writeMs: 0, closeMs: 0 };

  constructor(node: MeshLibp2p, bans: BanList) {
    this.#node = node;
    this.#bans = bans;
    this.self = node.peerId.toString();
  }

  now(): number {
    return Date.now();
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    await this.#node.services.pubsub.publish(topic, data);
  }

  subscribe(topic: string, handler: (msg: GossipMessage) => GossipVerdict): () => void {
    const pubsub = this.#node.services.pubsub;
    let handlers = this.#topics.get(topic);
    if (handlers === undefined) {
      const set = new Set<(msg: GossipMessage) => GossipVerdict>();
      handlers = set;
      this.#topics.set(topic, set);
      pubsub.topicValidators.set(topic, (via, message) => {
        if (message.type !== 'signed') return TopicValidatorResult.Reject;
        const msg: GossipMessage = {
          topic,
          from: message.from.toString(),
          via: via.toString(),
          data: message.data,
        };
        let worst: GossipVerdict = 'accept';
        for (const h of set) {
          let v: GossipVerdict;
          try {
            v = h(msg);
          } catch {
            v = 'reject';
          }
          if (RANK[v] > RANK[worst]) worst = v;
        }
        return VERDICT[worst];
      });
      pubsub.subscribe(topic);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#topics.get(topic) === handlers) {
        this.#topics.delete(topic);
        pubsub.topicValidators.delete(topic);
        pubsub.unsubscribe(topic);
      }
    };
  }

  /** An outgoing request's or channel's peer (not banned here, a valid PeerId) and its deadline. */
  #target(
    peer: PeerIdString,
    options: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): { id: PeerId; signal: AbortSignal } {
    if (this.#bans.has(peer)) throw new MeshError('refused', `peer ${peer} is banned locally`, { peer });
    let id: PeerId;
    try {
      id = peerIdFromString(peer);
    } catch (cause) {
      throw new MeshError('unreachable', `${JSON.stringify(peer)} is not a PeerId`, { peer, cause });
    }
    const timeout = AbortSignal.timeout(options.timeoutMs);
    return { id, signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout };
  }

  async request(
    peer: PeerIdString,
    protocol: StreamProtocol,
    frame: RequestFrame,
    options: RequestOptions,
  ): Promise<Uint8Array> {
    if (options.signal?.aborted)
      throw new MeshError('aborted', 'request aborted before it started', { peer });
    const { id, signal } = this.#target(peer, options);
    let stream: Stream;
    const t = this.timings;
    let t0 = performance.now();
    try {
      stream = await this.#node.dialProtocol(id, protocol, { signal });
      t.openMs += performance.now() - t0;
    } catch (cause) {
      if (options.signal?.aborted) throw new MeshError('aborted', 'request aborted', { peer, cause });
      throw new MeshError('unreachable', `could not open ${protocol} to ${peer}: ${String(cause)}`, {
        peer,
        cause,
      });
    }
    try {
      const lp = lpStream(stream, { maxDataLength: options.maxResponseBytes });
      t0 = performance.now();
      await lp.write(frameBytes(frame), { signal });
      t.writeMs += performance.now() - t0;
      t0 = performance.now();
      const reply = await lp.read({ signal });
      t.readMs += performance.now() - t0;
      // On WebRTC a close is a FIN/FIN_ACK round trip (0.4-0.6 s per 1 MiB chunk at load 23). Not
      // awaiting it left streams closing in the background, and an e2e run then failed its fetch.
      t0 = performance.now();
      await stream.close({ signal }).catch(() => undefined);
      t.closeMs += performance.now() - t0;
      t.requests++;
      return reply.subarray();
    } catch (cause) {
      stream.abort(cause instanceof Error ? cause : new Error(String(cause)));
      if (options.signal?.aborted) throw new MeshError('aborted', 'request aborted', { peer, cause });
      // options.signal was not aborted, so the timeout was.
      if (signal.aborted)
        throw new MeshError('timeout', `${peer} did not answer ${protocol} within ${options.timeoutMs} ms`, {
          peer,
          cause,
        });
      if (errName(cause) === 'InvalidDataLengthError' || errName(cause) === 'InvalidDataLengthLengthError')
        throw new MeshError(
          'oversize',
          `${peer} answered more than ${options.maxResponseBytes} bytes on ${protocol}`,
          {
            peer,
            cause,
          },
        );
      throw new MeshError('unreachable', `${protocol} stream to ${peer} failed: ${String(cause)}`, {
        peer,
        cause,
      });
    }
  }

  handle(protocol: StreamProtocol, handler: StreamHandler, options: { maxRequestBytes: number }): () => void {
    this.#node.handle(
      protocol,
      async (stream, connection) => {
        const from = connection.remotePeer.toString();
        const ac = new AbortController();
        const onClose = (): void => ac.abort();
        stream.addEventListener('close', onClose);
        try {
          const lp = lpStream(stream, { maxDataLength: options.maxRequestBytes });
          let request: Uint8Array;
          try {
            request = (await lp.read({ signal: AbortSignal.timeout(30_000) })).subarray();
          } catch (err) {
            const name = errName(err);
            const kind: AbuseKind | null =
              name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError'
                ? 'oversize-frame'
                : name === 'InvalidMessageLengthError' || name === 'UnexpectedEOFError'
                  ? 'malformed-stream'
                  : null;
            stream.abort(err instanceof Error ? err : new Error(String(err)));
            if (kind !== null) this.#reportAbuse(from, kind);
            return;
          }
          const sv = this.served;
          let t0 = performance.now();
          const reply = await handler(from, request, ac.signal);
          sv.handlerMs += performance.now() - t0;
          t0 = performance.now();
          await lp.write(reply, { signal: AbortSignal.timeout(30_000) });
          sv.writeMs += performance.now() - t0;
          t0 = performance.now();
          await stream.close().catch(() => undefined);
          sv.closeMs += performance.now() - t0;
          sv.requests++;
        } catch (err) {
          stream.abort(err instanceof Error ? err : new Error(String(err)));
        } finally {
          stream.removeEventListener('close', onClose);
        }
      },
      {
        maxInboundStreams: MAX_INBOUND_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_INBOUND_STREAMS_PER_CONNECTION,
      },
    );
    return () => void this.#node.unhandle(protocol);
  }

  async openChannel(
    peer: PeerIdString,
    protocol: ChannelProtocol,
    options: ChannelOptions,
  ): Promise<FrameChannel> {
    const { id, signal } = this.#target(peer, options);
    const t0 = performance.now();
    try {
      const stream = await this.#node.dialProtocol(id, protocol, { signal });
      this.timings.openMs += performance.now() - t0;
      return frameChannel(peer, stream, options.maxFrameBytes, 0);
    } catch (cause) {
      if (options.signal?.aborted) throw new MeshError('aborted', 'channel open aborted', { peer, cause });
      // options.signal was not aborted, so the timeout was.
      if (signal.aborted)
        throw new MeshError('timeout', `${peer} did not open ${protocol} within ${options.timeoutMs} ms`, {
          peer,
          cause,
        });
      throw new MeshError('unreachable', `could not open ${protocol} to ${peer}: ${String(cause)}`, {
        peer,
        cause,
      });
    }
  }

  handleChannel(
    protocol: ChannelProtocol,
    handler: (from: PeerIdString, channel: FrameChannel) => Promise<void>,
    options: { maxFrameBytes: number },
  ): () => void {
    void this.#node.handle(
      protocol,
      async (stream, connection) => {
        const from = connection.remotePeer.toString();
        const channel = frameChannel(from, stream, options.maxFrameBytes, CHANNEL_IDLE_MS, (kind) =>
          this.#reportAbuse(from, kind),
        );
        try {
          await handler(from, channel);
        } catch (err) {
          channel.abort(err instanceof Error ? err : new Error(String(err)));
        }
      },
      {
        maxInboundStreams: MAX_CHANNELS_PER_CONNECTION,
        maxOutboundStreams: MAX_CHANNELS_PER_CONNECTION,
      },
    );
    return () => void this.#node.unhandle(protocol);
  }

  async provide(key: Uint8Array): Promise<void> {
    const cid = await dhtCid(key);
    for await (const _ of this.#node.services.dht.provide(cid)) void _;
  }

  async findProviders(key: Uint8Array, options: FindProvidersOptions): Promise<PeerIdString[]> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const cid = await dhtCid(key);
    const found: PeerIdString[] = [];
    try {
      for await (const ev of this.#node.services.dht.findProviders(cid, { signal })) {
        if (ev.name !== 'PROVIDER') continue;
        for (const p of ev.providers) {
          const id = p.id.toString();
          if (id !== this.self && !found.includes(id)) found.push(id);
          if (found.length >= options.limit) return found;
        }
      }
    } catch (err) {
      if (options.signal?.aborted) throw new MeshError('aborted', 'provider lookup aborted', { cause: err });
      // A lookup that ran out of time returns what it found so far: "no more providers" is an answer.
      if (!timeout.aborted) throw err;
    }
    return found;
  }

  peers(): PeerIdString[] {
    return this.#node.getPeers().map(String);
  }

  async disconnect(peer: PeerIdString): Promise<void> {
    await this.#node.hangUp(peerIdFromString(peer));
  }

  ban(peer: PeerIdString, untilMs: number): void {
    this.#bans.set(peer, untilMs);
    if (untilMs > this.now()) void this.disconnect(peer).catch(() => undefined);
  }

  onAbuse(handler: (peer: PeerIdString, what: AbuseKind) => void): () => void {
    this.#abuse.add(handler);
    return () => void this.#abuse.delete(handler);
  }

  #reportAbuse(peer: PeerIdString, what: AbuseKind): void {
    for (const h of this.#abuse) {
      try {
        h(peer, what);
      } catch {
        // A failing observer must not stop the others or the stream handler.
      }
    }
  }
}

/** A FrameChannel over one libp2p stream: length-prefixed frames, writes queued one after another. */
function frameChannel(
  peer: PeerIdString,
  stream: Stream,
  maxFrameBytes: number,
  /** Reads given no signal give up after this long (served channels); 0: they wait. */
  idleMs: number,
  onAbuse?: (kind: AbuseKind) => void,
): FrameChannel {
  const lp = lpStream(stream, { maxDataLength: maxFrameBytes });
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    peer,
    async read(given) {
      const signal = given ?? (idleMs > 0 ? AbortSignal.timeout(idleMs) : undefined);
      try {
        return (await lp.read(signal ? { signal } : {})).subarray();
      } catch (cause) {
        const name = errName(cause);
        if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
          onAbuse?.('oversize-frame');
          stream.abort(cause instanceof Error ? cause : new Error(String(cause)));
          throw new MeshError('oversize', `${peer} sent a frame over ${maxFrameBytes} bytes`, {
            peer,
            cause,
          });
        }
        if (name === 'InvalidMessageLengthError') onAbuse?.('malformed-stream');
        if (signal?.aborted) throw new MeshError('aborted', 'channel read aborted', { peer, cause });
        throw new MeshError('unreachable', `the channel to ${peer} ended: ${String(cause)}`, { peer, cause });
      }
    },
    write(frame) {
      const next = writing.then(() => lp.write(frame, { signal: AbortSignal.timeout(30_000) }));
      writing = next.catch(() => undefined);
      return next.catch((cause: unknown) => {
        throw new MeshError('unreachable', `writing to ${peer} failed: ${String(cause)}`, { peer, cause });
      });
    },
    close() {
      if (closed) return;
      closed = true;
      void writing.then(() => stream.close().catch(() => undefined));
    },
    abort(reason) {
      closed = true;
      stream.abort(reason);
    },
  };
}
