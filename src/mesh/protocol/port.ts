/**
 * MeshPort: everything the mesh logic (adverts, chunk exchange, reputation, the job market) needs
 * from a network, and nothing more. `src/mesh/libp2p` implements it on js-libp2p (gossipsub,
 * kad-dht, yamux streams); `src/mesh/sim` implements it in memory with virtual time, so the same
 * logic runs at 1000 nodes in a unit test. The logic never starts a timer: deadlines are passed to
 * the port (`timeoutMs`), which enforces them with real or virtual time.
 *
 * Peer ids are libp2p PeerId strings (base58btc of the Ed25519 identity). Frames are opaque bytes
 * here; frames.ts gives them meaning.
 */
import type { ChannelProtocol, StreamProtocol } from './ids.ts';

export type PeerIdString = string;

export interface GossipMessage {
  topic: string;
  /** The signer (gossipsub StrictSign): the origin, not the neighbour that forwarded it. */
  from: PeerIdString;
  /** The neighbour we received it from (gossipsub's propagationSource). */
  via: PeerIdString;
  data: Uint8Array;
}

/** Mirrors gossipsub's TopicValidatorResult: accept forwards; ignore drops; reject drops and penalises `via`. */
export type GossipVerdict = 'accept' | 'ignore' | 'reject';

/** A request's bytes, or a function giving them once the stream is open (see MeshPort.request). */
export type RequestFrame = Uint8Array | (() => Uint8Array);
/** The bytes of a RequestFrame (calls it if it is a function). */
export const frameBytes = (frame: RequestFrame): Uint8Array =>
  typeof frame === 'function' ? frame() : frame;

export interface RequestOptions {
  /** The port fails the request with MeshError('timeout') after this long; required, no infinite waits. */
  timeoutMs: number;
  /** Largest response the caller accepts; bigger fails with MeshError('oversize') before buffering it. */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

/** Serves one inbound stream: one request frame in, one response frame out. */
export type StreamHandler = (
  from: PeerIdString,
  frame: Uint8Array,
  signal: AbortSignal,
) => Promise<Uint8Array>;

/**
 * One stream carrying many length-prefixed frames each way (a pipelined protocol). Writes are
 * serialised by the channel; one reader at a time.
 */
export interface FrameChannel {
  readonly peer: PeerIdString;
  /** The next frame; rejects (MeshError) when the stream ended, broke, or a frame was oversize. */
  read(signal?: AbortSignal): Promise<Uint8Array>;
  write(frame: Uint8Array): Promise<void>;
  /** Closes our end gracefully (in the background; never waits on the remote). */
  close(): void;
  abort(reason: Error): void;
}

export interface ChannelOptions {
  /** Largest frame either side may send; a bigger one breaks the channel. */
  maxFrameBytes: number;
  /** For opening the stream. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface FindProvidersOptions {
  /** Stop after this many providers. */
  limit: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface MeshPort {
  readonly self: PeerIdString;
  /** Wall clock, Unix ms (virtual time in the simulator). The logic reads time only from here. */
  now(): number;

  /** Publishes on a gossip topic (signed by us). */
  publish(topic: string, data: Uint8Array): Promise<void>;
  /**
   * Subscribes to a topic. The handler validates and returns a verdict synchronously, before the
   * message is forwarded (gossipsub's topic validator). Returns the unsubscribe function.
   */
  subscribe(topic: string, handler: (msg: GossipMessage) => GossipVerdict): () => void;

  /**
   * Opens a stream to `peer` on `protocol`, writes `frame`, reads one response frame. A function
   * `frame` is called once the stream is open, just before the write (a frame that says how long
   * its sender still waits is built after the dial, which may take seconds over a relay).
   * Fails with MeshError: 'timeout' (connected, no answer), 'unreachable' (could not connect),
   * 'oversize', 'refused' (peer banned locally), 'aborted'.
   */
  request(
    peer: PeerIdString,
    protocol: StreamProtocol,
    frame: RequestFrame,
    options: RequestOptions,
  ): Promise<Uint8Array>;
  /**
   * Serves inbound streams on `protocol`. `maxRequestBytes` is enforced by the port before the
   * handler runs (the stream is reset and the peer reported through `onAbuse`). Returns a disposer.
   */
  handle(protocol: StreamProtocol, handler: StreamHandler, options: { maxRequestBytes: number }): () => void;

  /**
   * Optional (ports without it are asked one request per stream): opens a long-lived stream to
   * `peer`. Fails with MeshError 'unreachable' (no connection, or the peer does not speak
   * `protocol`), 'refused', 'timeout', 'aborted'.
   */
  openChannel?(peer: PeerIdString, protocol: ChannelProtocol, options: ChannelOptions): Promise<FrameChannel>;
  /** Serves inbound long-lived streams on `protocol`; the handler owns the channel until it returns. */
  handleChannel?(
    protocol: ChannelProtocol,
    handler: (from: PeerIdString, channel: FrameChannel) => Promise<void>,
    options: { maxFrameBytes: number },
  ): () => void;

  /** Announces that we provide `key` (32 bytes; a libp2p port keys the DHT record by dhtCid(key)). */
  provide(key: Uint8Array): Promise<void>;
  /** Providers of `key` from the DHT, closest first as the DHT finds them; never includes us. */
  findProviders(key: Uint8Array, options: FindProvidersOptions): Promise<PeerIdString[]>;

  /** Peers we hold a connection to now. */
  peers(): PeerIdString[];
  /** Closes every connection to `peer`. */
  disconnect(peer: PeerIdString): Promise<void>;
  /** Refuses inbound and outbound connections to `peer` until `untilMs` (wall clock); 0 lifts a ban. */
  ban(peer: PeerIdString, untilMs: number): void;

  /**
   * Abuse only the port can see: an inbound frame over `maxRequestBytes` (or a broken length
   * prefix); the stream was reset without calling the handler. Rate and concurrency limits are the
   * logic's (guard.ts), applied inside the handler.
   */
  onAbuse(handler: (peer: PeerIdString, what: AbuseKind) => void): () => void;
}

export type AbuseKind = 'oversize-frame' | 'malformed-stream';
