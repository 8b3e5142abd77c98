/**
 * MeshNode (src/mesh/protocol) on a running libp2p node: what the offscreen document and `inos node`
 * both run. It adds what only a live network needs:
 * - requests go over a direct connection: a browser found through the DHT or gossip is first reached
 *   over a relayed connection, which circuit-relay-v2 limits to 128 KiB and which refuses protocol
 *   streams, so we dial its `/p2p-circuit/webrtc` address (the WebRTC upgrade) before asking it for
 *   anything, and retry a dial that times out (upstream WebRTC dials fail a few % of the time,
 *   shared/MESH.md §1.3);
 * - when we gain our first gossip neighbour (we joined, or came back) we publish an advert
 *   solicitation, and every node answers with its current advert (adverts.ts): gossip keeps no
 *   history, so we would otherwise learn each advert only at its publisher's periodic refresh. A
 *   newcomer's subscription is seen only by its direct neighbours (the relay), never by the browsers
 *   behind it, which is why "republish when a peer subscribes" could not do this;
 * - our advert is republished every refreshMs, on a change, and when an answer owed to a solicit
 *   waits for our send budget;
 * - reputation is flushed to its store every flushMs and on stop.
 */
import type { Connection, PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { MeshError } from '../protocol/errors.ts';
import {
  ADVERTS_TOPIC,
  CHUNKS_PROTOCOL,
  SOLICIT_TOPIC,
  type ChannelProtocol,
  type StreamProtocol,
} from '../protocol/ids.ts';
import { MeshNode } from '../protocol/node.ts';
import type { AdvertInput, AdvertTable } from '../protocol/adverts.ts';
import type { ChunkSource } from '../protocol/chunk-exchange.ts';
import type { GuardLimits } from '../protocol/guard.ts';
import type {
  AbuseKind,
  FindProvidersOptions,
  ChannelOptions,
  FrameChannel,
  GossipMessage,
  GossipVerdict,
  MeshPort,
  PeerIdString,
  RequestFrame,
  RequestOptions,
  StreamHandler,
} from '../protocol/port.ts';
import type { ReputationStore } from '../protocol/reputation-store.ts';
import type { MeshLibp2p } from './create-node.ts';
import type { Libp2pPort, RequestTimings } from './libp2p-port.ts';
import { openPeerRecord, PEER_RECORD_REFRESH_MS, peerRecordKey, sealPeerRecord } from './peer-record.ts';

/**
 * How long after gaining its first neighbour a node solicits adverts: one gossipsub heartbeat (1 s),
 * so that the neighbour has grafted us into its topic mesh and forwards the answers to us.
 */
export const SOLICIT_DELAY_MS = 1_000;

/**
 * Publishes an advert solicitation whenever this node goes from no solicit-topic neighbour to one
 * (start, or back after being cut off), and calls `onJoin` then (startLiveMesh publishes our own
 * advert: the others have not seen it either). Used by startLiveMesh and by the CLI's market peers
 * (src/cli/mesh-peer.ts). Returns the disposer.
 */
export function solicitOnJoin(
  node: MeshLibp2p,
  adverts: AdvertTable,
  log?: (msg: string, err?: unknown) => void,
  onJoin?: () => void,
): () => void {
  const pubsub = node.services.pubsub;
  let alone = true;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const onSubscription = (
    ev: CustomEvent<{ subscriptions: { topic: string; subscribe: boolean }[] }>,
  ): void => {
    if (!alone || timer !== null) return;
    if (!ev.detail.subscriptions.some((s) => s.topic === SOLICIT_TOPIC && s.subscribe)) return;
    alone = false;
    timer = setTimeout(() => {
      timer = null;
      void adverts.solicit().catch((err: unknown) => log?.('advert solicitation not published', err));
      onJoin?.();
    }, SOLICIT_DELAY_MS);
  };
  const onDisconnect = (): void => {
    if (pubsub.getSubscribers(SOLICIT_TOPIC).length === 0) alone = true;
  };
  pubsub.addEventListener('subscription-change', onSubscription as unknown as EventListener);
  node.addEventListener('peer:disconnect', onDisconnect);
  return () => {
    if (timer !== null) clearTimeout(timer);
    pubsub.removeEventListener('subscription-change', onSubscription as unknown as EventListener);
    node.removeEventListener('peer:disconnect', onDisconnect);
  };
}

/** One attempt to reach a peer directly; a timed-out attempt is retried up to DIAL_ATTEMPTS times. */
export const DIAL_TIMEOUT_MS = 10_000;
export const DIAL_ATTEMPTS = 3;

const isDirect = (c: Connection): boolean => c.status === 'open' && c.limits === undefined;

/**
 * Opens (or finds) an unlimited connection to `peer`, retrying failed attempts. A peer with no known
 * address is looked up in the DHT first. Tries what libp2p picks; if that is a limited relayed
 * connection, dials the peer's WebRTC addresses.
 */
export async function dialDirect(
  node: MeshLibp2p,
  peer: PeerId,
  options: {
    signal?: AbortSignal;
    attempts?: number;
    timeoutMs?: number;
    onRetry?: (err: unknown) => void;
  } = {},
): Promise<Connection> {
  const existing = node.getConnections(peer).find(isDirect);
  if (existing !== undefined) return existing;
  const attempts = options.attempts ?? DIAL_ATTEMPTS;
  let last: unknown = new Error('no attempt made');
  for (let i = 0; i < attempts; i++) {
    if (options.signal?.aborted) throw new MeshError('aborted', 'dial aborted');
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DIAL_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      // Known only by PeerId (e.g. from its advert): ask the DHT where it is first.
      const known = await node.peerStore.get(peer).then(
        (p) => p.addresses.length,
        () => 0,
      );
      // Browsers are DHT clients, so the DHT may not know them: then try each relay we are connected to.
      const viaRelay = known === 0 ? await relayedWebrtcAddrs(node, peer, signal) : [];
      const conn = await node.dial(viaRelay.length > 0 ? viaRelay : peer, { signal });
      if (isDirect(conn)) return conn;
      const webrtc = await webrtcAddrs(node, peer, conn);
      if (webrtc.length === 0) return conn; // nothing better known: the caller gets the limits error
      const upgraded = await node.dial(webrtc, { signal });
      if (isDirect(upgraded)) return upgraded;
      last = new Error(`only a limited connection to ${peer.toString()}`);
    } catch (err) {
      last = err;
    }
    const found = node.getConnections(peer).find(isDirect);
    if (found !== undefined) return found;
    options.onRetry?.(last);
  }
  throw last;
}

/** The relay-v2 hop protocol: a peer that speaks it can carry a circuit to the peers it holds reservations for. */
const HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop';

/**
 * Where to reach `peer` when no address of it is known: what the DHT finds (a DHT server), else the
 * addresses in its signed peer record (a DHT client that published one), else its
 * `/p2p-circuit/webrtc` address through every relay we hold a direct connection to (a browser is
 * reachable only through the relay it holds a reservation on; the WebRTC upgrade makes the
 * connection unlimited). An empty list leaves the choice to libp2p.
 */
async function relayedWebrtcAddrs(node: MeshLibp2p, peer: PeerId, signal: AbortSignal): Promise<Multiaddr[]> {
  try {
    const found = await node.peerRouting.findPeer(peer, { signal });
    if (found.multiaddrs.length > 0) return [];
  } catch {
    // not in the DHT: a browser, most likely
  }
  if (signal.aborted) return [];
  // A DHT client (a browser) may have put its own signed addresses under /inos/peer/<PeerId>.
  const recorded = await findPeerRecord(node, peer, signal).catch(() => []);
  if (recorded.length > 0) return recorded;
  if (signal.aborted) return [];
  const out: Multiaddr[] = [];
  for (const conn of node.getConnections()) {
    if (!isDirect(conn) || conn.remotePeer.equals(peer)) continue;
    const protocols = await node.peerStore.get(conn.remotePeer).then(
      (p) => p.protocols,
      () => [] as string[],
    );
    if (!protocols.includes(HOP_PROTOCOL)) continue;
    const relay = conn.remoteAddr.toString().replace(/\/p2p\/[^/]+$/, '');
    out.push(
      multiaddr(`${relay}/p2p/${conn.remotePeer.toString()}/p2p-circuit/webrtc/p2p/${peer.toString()}`),
    );
  }
  return out;
}

/**
 * Puts our signed peer record (peer-record.ts: our current addresses, stamped now) into the DHT so
 * that peers that never met us find us by PeerId alone. Resolves with how many DHT servers stored
 * it (0: none reachable yet, or we have no address).
 */
export async function publishPeerRecord(
  node: MeshLibp2p,
  privateKey: PrivateKey,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const addrs = node.getMultiaddrs();
  if (addrs.length === 0) return 0;
  const value = await sealPeerRecord(privateKey, addrs, Date.now());
  let stored = 0;
  for await (const ev of node.services.dht.put(peerRecordKey(node.peerId), value, options))
    if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') stored++;
  return stored;
}

/**
 * The addresses `peer` published in its signed peer record (each ending in /p2p/<peer>), after
 * checking the signature and age; [] when there is none. Also remembered in the peer store.
 */
export async function findPeerRecord(
  node: MeshLibp2p,
  peer: PeerId,
  signal: AbortSignal,
): Promise<Multiaddr[]> {
  const key = peerRecordKey(peer);
  for await (const ev of node.services.dht.get(key, { signal })) {
    if (ev.name !== 'VALUE') continue;
    const opened = await openPeerRecord(key, ev.value, Date.now()).catch(() => null);
    if (opened === null || opened.multiaddrs.length === 0) continue;
    const own = `/p2p/${peer.toString()}`;
    const addrs = opened.multiaddrs.map((a) => (a.toString().endsWith(own) ? a : a.encapsulate(own)));
    await node.peerStore.merge(peer, { multiaddrs: addrs }).catch(() => undefined);
    return addrs;
  }
  return [];
}

async function webrtcAddrs(node: MeshLibp2p, peer: PeerId, relayed: Connection): Promise<Multiaddr[]> {
  const known = await node.peerStore
    .get(peer)
    .then((p) => p.addresses.map((a) => a.multiaddr))
    .catch(() => [] as Multiaddr[]);
  const out = known.filter((a) => {
    const s = a.toString();
    return s.includes('/p2p-circuit/webrtc') && !s.includes('webrtc-direct');
  });
  // The relayed connection's own address names the relay: its /webrtc form works too.
  const via = relayed.remoteAddr.toString();
  if (out.length === 0 && via.includes('/p2p-circuit')) {
    const base = via.replace(/\/p2p\/[^/]+$/, '');
    out.push(multiaddr(`${base}/webrtc/p2p/${peer.toString()}`));
  }
  return out;
}

/** A MeshPort whose requests first make sure of a direct connection (see dialDirect). */
export class DirectDialPort implements MeshPort {
  readonly self: PeerIdString;
  /** Direct dials that needed more than one attempt, and those that failed every attempt. */
  readonly dials = { retried: 0, failed: 0 };
  /** Chunk requests answered (any answer) since start: progress of a fetch, for tests and metrics. */
  chunksOk = 0;

  constructor(
    private readonly inner: Libp2pPort,
    private readonly node: MeshLibp2p,
  ) {
    this.self = inner.self;
  }

  /** Per-phase request times of the inner port (open, write, read, close). */
  get timings(): RequestTimings {
    return this.inner.timings;
  }
  /** Per-phase times of the requests the inner port answered. */
  get served(): Libp2pPort['served'] {
    return this.inner.served;
  }
  now(): number {
    return this.inner.now();
  }
  publish(topic: string, data: Uint8Array): Promise<void> {
    return this.inner.publish(topic, data);
  }
  subscribe(topic: string, handler: (msg: GossipMessage) => GossipVerdict): () => void {
    return this.inner.subscribe(topic, handler);
  }

  async request(
    peer: PeerIdString,
    protocol: StreamProtocol,
    frame: RequestFrame,
    options: RequestOptions,
  ): Promise<Uint8Array> {
    await this.#direct(peer, options.signal);
    const reply = await this.inner.request(peer, protocol, frame, options);
    if (protocol === CHUNKS_PROTOCOL) this.chunksOk++;
    return reply;
  }

  handle(protocol: StreamProtocol, handler: StreamHandler, options: { maxRequestBytes: number }): () => void {
    return this.inner.handle(protocol, handler, options);
  }

  /** Makes sure of a direct connection to `peer` (dialDirect, retried), or throws MeshError. */
  async #direct(peer: PeerIdString, signal?: AbortSignal): Promise<void> {
    let id: PeerId;
    try {
      id = peerIdFromString(peer);
    } catch (cause) {
      throw new MeshError('unreachable', `${JSON.stringify(peer)} is not a PeerId`, { peer, cause });
    }
    if (this.node.getConnections(id).some(isDirect)) return;
    try {
      await dialDirect(this.node, id, {
        ...(signal ? { signal } : {}),
        onRetry: () => void this.dials.retried++,
      });
    } catch (cause) {
      this.dials.failed++;
      if (signal?.aborted) throw new MeshError('aborted', 'request aborted', { peer, cause });
      throw new MeshError('unreachable', `could not reach ${peer} directly: ${String(cause)}`, {
        peer,
        cause,
      });
    }
  }

  /** A long-lived stream over a direct connection (dialled first, as for a request). */
  async openChannel(
    peer: PeerIdString,
    protocol: ChannelProtocol,
    options: ChannelOptions,
  ): Promise<FrameChannel> {
    await this.#direct(peer, options.signal);
    const channel = await this.inner.openChannel(peer, protocol, options);
    return {
      peer,
      read: async (signal) => {
        const frame = await channel.read(signal);
        this.chunksOk++;
        return frame;
      },
      write: (frame) => channel.write(frame),
      close: () => channel.close(),
      abort: (reason) => channel.abort(reason),
    };
  }

  handleChannel(
    protocol: ChannelProtocol,
    handler: (from: PeerIdString, channel: FrameChannel) => Promise<void>,
    options: { maxFrameBytes: number },
  ): () => void {
    return this.inner.handleChannel(protocol, handler, options);
  }
  provide(key: Uint8Array): Promise<void> {
    return this.inner.provide(key);
  }
  findProviders(key: Uint8Array, options: FindProvidersOptions): Promise<PeerIdString[]> {
    return this.inner.findProviders(key, options);
  }
  peers(): PeerIdString[] {
    return this.inner.peers();
  }
  disconnect(peer: PeerIdString): Promise<void> {
    return this.inner.disconnect(peer);
  }
  ban(peer: PeerIdString, untilMs: number): void {
    this.inner.ban(peer, untilMs);
  }
  onAbuse(handler: (peer: PeerIdString, what: AbuseKind) => void): () => void {
    return this.inner.onAbuse(handler);
  }
}

export interface LiveMeshOptions {
  node: MeshLibp2p;
  port: Libp2pPort;
  source: ChunkSource;
  store: ReputationStore;
  /** Our advert as of now; null publishes none (e.g. a relay-only node that offers no capsules). */
  advert: () => AdvertInput | null;
  limits?: Partial<GuardLimits>;
  refreshMs?: number;
  flushMs?: number;
  log?: (msg: string, err?: unknown) => void;
  /**
   * Our identity key: when given, our signed peer record (our addresses, e.g. a browser's relay
   * circuits) is put into the DHT when our addresses change and every PEER_RECORD_REFRESH_MS, so
   * that `dialDirect` finds us by PeerId alone (DHT clients are otherwise unfindable).
   */
  privateKey?: PrivateKey;
  peerRecordRefreshMs?: number;
}

export interface LiveMesh {
  readonly mesh: MeshNode;
  readonly port: DirectDialPort;
  /**
   * Gossip messages seen on the advert topic since start (for the status line's rate), adverts we
   * sent, and periodic refresh ticks so far (solicitation counters are on mesh.adverts.counters).
   */
  readonly counters: { advertsReceived: number; advertsPublished: number; refreshes: number };
  /** Publishes our advert now (after a capability change); resolves false when there is none or no peer. */
  republish(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startLiveMesh(opts: LiveMeshOptions): Promise<LiveMesh> {
  const { node, store } = opts;
  const port = new DirectDialPort(opts.port, node);
  const mesh = new MeshNode(port, {
    source: opts.source,
    ...(opts.limits ? { limits: opts.limits } : {}),
    onBan: (peer, until) => opts.log?.(`banned ${peer} until ${new Date(until).toISOString()}`),
  });
  await mesh.start(store);
  const counters = { advertsReceived: 0, advertsPublished: 0, refreshes: 0 };
  const republish = async (): Promise<boolean> => {
    const input = opts.advert();
    if (input === null || node.getPeers().length === 0) return false;
    try {
      const sent = await mesh.adverts.publish(input);
      if (sent !== null) counters.advertsPublished++;
      return sent !== null;
    } catch (err) {
      opts.log?.('advert not published', err);
      return false;
    }
  };
  // An advert that waited for our send budget (a change or a solicit answer right after another
  // advert) goes out as soon as a token is there, with what we offer by then.
  let owed: ReturnType<typeof setTimeout> | null = null;
  mesh.adverts.onOwed = (waitMs) => {
    if (owed !== null) return;
    owed = setTimeout(() => {
      owed = null;
      void republish();
    }, waitMs + 50);
  };
  const countAdverts = mesh.port.subscribe(ADVERTS_TOPIC, () => {
    counters.advertsReceived++;
    return 'accept';
  });
  const stopSoliciting = solicitOnJoin(node, mesh.adverts, opts.log, () => void republish());
  const refresh = setInterval(() => {
    counters.refreshes++;
    void republish();
  }, opts.refreshMs ?? 60_000);
  // Our signed peer record: at most one put at a time; a change during a put triggers one more.
  let recordBusy = false;
  let recordAgain = false;
  let recordPending = false;
  const putRecord = async (): Promise<void> => {
    const key = opts.privateKey;
    if (key === undefined) return;
    if (recordBusy) {
      recordAgain = true;
      return;
    }
    recordBusy = true;
    try {
      do {
        recordAgain = false;
        const stored = await publishPeerRecord(node, key, { signal: AbortSignal.timeout(30_000) }).catch(
          (err: unknown) => {
            opts.log?.('peer record not published', err);
            return 0;
          },
        );
        // Stored nowhere (no DHT server known yet): try again when the next peer is identified.
        recordPending = stored === 0;
      } while (recordAgain);
    } finally {
      recordBusy = false;
    }
  };
  const onAddresses = (): void => void putRecord();
  // kad-dht adds an identified DHT server to its table just after identify: give it a second.
  const onIdentify = (): void => {
    if (recordPending) setTimeout(() => void (recordPending && !stopped && putRecord()), 1_000);
  };
  let stopped = false;
  let recordTimer: ReturnType<typeof setInterval> | null = null;
  if (opts.privateKey !== undefined) {
    node.addEventListener('self:peer:update', onAddresses);
    node.addEventListener('peer:identify', onIdentify);
    recordTimer = setInterval(onAddresses, opts.peerRecordRefreshMs ?? PEER_RECORD_REFRESH_MS);
    onAddresses();
  }
  const flush = setInterval(
    () => void mesh.flush(store).catch((err: unknown) => opts.log?.('reputation not saved', err)),
    opts.flushMs ?? 10_000,
  );

  return {
    mesh,
    port,
    counters,
    republish,
    async stop() {
      clearInterval(refresh);
      clearInterval(flush);
      stopped = true;
      if (recordTimer !== null) clearInterval(recordTimer);
      node.removeEventListener('self:peer:update', onAddresses);
      node.removeEventListener('peer:identify', onIdentify);
      if (owed !== null) clearTimeout(owed);
      mesh.adverts.onOwed = null;
      stopSoliciting();
      countAdverts();
      mesh.stop();
      await mesh.flush(store).catch((err: unknown) => opts.log?.('reputation not saved', err));
    },
  };
}
