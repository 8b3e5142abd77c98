/**
 * An in-memory network of SimPorts (MeshPort implementations) on virtual time.
 *
 * Model, per message: one-way latency drawn from a log-normal (median and sigma configurable),
 * independent loss with probability `loss`; nodes go down and come back (churn); a partition
 * splits nodes into sides that cannot reach each other until it heals. A request to a peer that
 * is down, across the partition, or that banned us fails as 'unreachable' after one latency (the
 * dial fails); a lost request or answer, or a peer that never answers, fails as 'timeout'.
 *
 * Gossip models gossipsub's mesh: each node keeps D..D_hi neighbours (a heartbeat per virtual
 * second drops dead or banned links, grafts random reachable peers below D_lo, and with a small
 * probability grafts one extra, which is what re-joins the two sides after a partition heals);
 * a message is forwarded to mesh neighbours only after the receiver's validator accepts it,
 * duplicates are dropped by message id before validation. Not modelled: IHAVE/IWANT lazy gossip,
 * gossipsub's own peer scoring, peer exchange (grafting draws from every live node, as if
 * discovery were perfect).
 *
 * The DHT is the Kademlia model in kademlia.ts: every node has a routing table, provide() stores
 * a provider record at the k closest peers it finds, findProviders() looks up the key and collects
 * records on the way. DHT queries travel with the same latency/loss/reachability as streams.
 */
import type { StreamProtocol } from '../protocol/ids.ts';
import { MeshError } from '../protocol/errors.ts';
import type {
  AbuseKind,
  FindProvidersOptions,
  GossipMessage,
  GossipVerdict,
  MeshPort,
  PeerIdString,
  RequestFrame,
  RequestOptions,
  StreamHandler,
} from '../protocol/port.ts';
import { frameBytes } from '../protocol/port.ts';
import { K, lookup, RoutingTable, type Contact, type KadId, type QueryAnswer } from './kademlia.ts';
import { logNormal, randInt, randomBytes, type Rand } from './prng.ts';
import { Scheduler } from './scheduler.ts';

export interface SimConfig {
  latencyMedianMs: number;
  latencySigma: number;
  /** Probability that one message (either direction) is lost. */
  loss: number;
  gossipD: number;
  gossipDlo: number;
  gossipDhi: number;
  heartbeatMs: number;
  /** Per heartbeat, chance that a node grafts one extra random peer. */
  exploreProb: number;
  kadTimeoutMs: number;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  latencyMedianMs: 40,
  latencySigma: 0.6,
  loss: 0.01,
  gossipD: 6,
  gossipDlo: 4,
  gossipDhi: 12,
  heartbeatMs: 1000,
  exploreProb: 0.1,
  kadTimeoutMs: 2000,
};

/** Kept apart from the virtual epoch so timestamps look like real Unix ms. */
export const SIM_EPOCH_MS = 1_800_000_000_000;
const SEEN_ROTATE_MS = 60_000;

export class SimNode {
  up = true;
  side = 0;
  readonly mesh = new Set<SimNode>();
  readonly table: RoutingTable;
  readonly records = new Map<string, Set<PeerIdString>>();
  readonly bans = new Map<PeerIdString, number>();
  seen = new Set<string>();
  seenOld = new Set<string>();
  readonly subs = new Map<string, (m: GossipMessage) => GossipVerdict>();
  readonly handlers = new Map<StreamProtocol, { fn: StreamHandler; max: number }>();
  readonly abuse = new Set<(peer: PeerIdString, what: AbuseKind) => void>();
  /** Answers nothing (streams and DHT) and forwards no gossip. */
  mute = false;
  /** This node's wall clock minus the network's (a machine whose clock is off). */
  clockOffsetMs = 0;
  lastMessageId = '';
  private counter = 0;
  readonly port: SimPort;

  constructor(
    readonly net: SimNetwork,
    readonly id: PeerIdString,
    readonly kad: KadId,
  ) {
    this.table = new RoutingTable({ peer: id, id: kad });
    this.port = new SimPort(this);
  }

  get contact(): Contact {
    return { peer: this.id, id: this.kad };
  }

  nextMessageId(): string {
    return `${this.id}#${this.counter++}`;
  }

  banned(peer: PeerIdString): boolean {
    const until = this.bans.get(peer);
    if (until === undefined) return false;
    if (this.net.sched.now < until) return true;
    this.bans.delete(peer);
    return false;
  }
}

export class SimNetwork {
  readonly sched = new Scheduler(SIM_EPOCH_MS);
  readonly nodes: SimNode[] = [];
  readonly byId = new Map<PeerIdString, SimNode>();
  readonly config: SimConfig;
  partitioned = false;
  /** Message ids whose reach we record: id → nodes that received it. */
  readonly traced = new Map<string, Set<PeerIdString>>();
  stats = { gossipSent: 0, requests: 0, kadQueries: 0 };

  constructor(
    readonly rand: Rand,
    config: Partial<SimConfig> = {},
  ) {
    this.config = { ...DEFAULT_SIM_CONFIG, ...config };
  }

  addNode(id: PeerIdString): SimNode {
    const n = new SimNode(this, id, randomBytes(this.rand, 32));
    this.nodes.push(n);
    this.byId.set(id, n);
    return n;
  }

  /** Converged routing tables: every node offered every other, in random order (k-buckets keep the first seen). */
  buildTables(): void {
    for (const n of this.nodes) {
      const start = randInt(this.rand, this.nodes.length);
      for (let i = 0; i < this.nodes.length; i++)
        n.table.add((this.nodes[(start + i) % this.nodes.length] as SimNode).contact);
    }
  }

  latency(): number {
    const c = this.config;
    return Math.min(2000, Math.max(2, logNormal(this.rand, c.latencyMedianMs, c.latencySigma)));
  }

  lost(): boolean {
    return this.rand() < this.config.loss;
  }

  /** `a` can open a connection to `b` (or use the one it has). */
  reachable(a: SimNode, b: SimNode): boolean {
    return a.up && b.up && (!this.partitioned || a.side === b.side) && !a.banned(b.id) && !b.banned(a.id);
  }

  // ---- gossip ----

  startHeartbeat(): void {
    let lastRotate = this.sched.now;
    const beat = (): void => {
      const c = this.config;
      const rotate = this.sched.now - lastRotate >= SEEN_ROTATE_MS;
      if (rotate) lastRotate = this.sched.now;
      for (const n of this.nodes) {
        if (!n.up) continue;
        if (rotate) {
          n.seenOld = n.seen;
          n.seen = new Set();
        }
        for (const m of n.mesh) if (!this.reachable(n, m)) this.unlink(n, m);
        let tries = 0;
        while (n.mesh.size < c.gossipDlo && tries++ < 20) this.graftRandom(n);
        if (this.rand() < c.exploreProb) this.graftRandom(n);
      }
      this.sched.after(c.heartbeatMs, beat);
    };
    this.sched.after(0, beat);
  }

  private graftRandom(n: SimNode): void {
    for (let i = 0; i < 10; i++) {
      const m = this.nodes[randInt(this.rand, this.nodes.length)] as SimNode;
      if (m === n || n.mesh.has(m) || m.mesh.size >= this.config.gossipDhi || !this.reachable(n, m)) continue;
      n.mesh.add(m);
      m.mesh.add(n);
      if (n.mesh.size > this.config.gossipDhi) {
        const drop = [...n.mesh][randInt(this.rand, n.mesh.size)] as SimNode;
        this.unlink(n, drop);
      }
      return;
    }
  }

  unlink(a: SimNode, b: SimNode): void {
    a.mesh.delete(b);
    b.mesh.delete(a);
  }

  /** Initial gossip mesh: every node grafts D random peers. */
  buildMesh(): void {
    for (const n of this.nodes) {
      let tries = 0;
      while (n.mesh.size < this.config.gossipD && tries++ < 50) this.graftRandom(n);
    }
  }

  gossip(origin: SimNode, topic: string, data: Uint8Array): string {
    const msgId = origin.nextMessageId();
    origin.lastMessageId = msgId;
    origin.seen.add(msgId);
    const msg = { topic, from: origin.id, data };
    for (const m of origin.mesh) this.sendGossip(origin, m, msgId, msg);
    return msgId;
  }

  private sendGossip(via: SimNode, to: SimNode, msgId: string, msg: Omit<GossipMessage, 'via'>): void {
    this.stats.gossipSent++;
    if (this.lost()) return;
    this.sched.after(this.latency(), () => this.receiveGossip(via, to, msgId, msg));
  }

  private receiveGossip(via: SimNode, n: SimNode, msgId: string, msg: Omit<GossipMessage, 'via'>): void {
    if (!n.mesh.has(via) || !this.reachable(via, n)) return; // the link closed in flight
    if (n.seen.has(msgId) || n.seenOld.has(msgId)) return;
    n.seen.add(msgId);
    this.traced.get(msgId)?.add(n.id);
    if (n.mute) return;
    const handler = n.subs.get(msg.topic);
    if (handler === undefined) return;
    if (handler({ ...msg, via: via.id }) !== 'accept') return;
    for (const m of n.mesh) if (m !== via && m.id !== msg.from) this.sendGossip(n, m, msgId, msg);
  }

  // ---- streams and DHT queries: one message out, one back ----

  /**
   * Carries one exchange from `a` to `b`: `serve` runs at b when the request arrives and returns
   * the answer (or never settles, for a mute peer). Settles with the answer, 'timeout' or 'unreachable'.
   */
  exchange<T>(
    a: SimNode,
    b: SimNode | undefined,
    timeoutMs: number,
    serve: (b: SimNode) => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const settle = (fn: () => void): boolean => {
        if (done) return false;
        done = true;
        fn();
        return true;
      };
      const peer = b?.id ?? '?';
      const unreachable = (): boolean =>
        settle(() => reject(new MeshError('unreachable', `cannot reach ${peer}`, { peer })));
      if (b === undefined || !this.reachable(a, b)) {
        this.sched.after(this.latency(), unreachable, true);
        return;
      }
      this.sched.after(
        timeoutMs,
        () =>
          settle(() =>
            reject(new MeshError('timeout', `${peer} did not answer within ${timeoutMs} ms`, { peer })),
          ),
        true,
      );
      if (this.lost()) return;
      this.sched.after(
        this.latency(),
        () => {
          if (done) return false;
          if (!this.reachable(a, b)) return unreachable();
          if (b.mute) return false;
          serve(b).then(
            (answer) => {
              const lost = this.lost();
              this.sched.after(
                this.latency(),
                () => {
                  if (lost) return false;
                  if (!this.reachable(a, b)) return unreachable();
                  return settle(() => resolve(answer));
                },
                true,
              );
            },
            (err: unknown) => {
              this.sched.after(
                this.latency(),
                () =>
                  settle(() =>
                    reject(
                      err instanceof MeshError ? err : new MeshError('unreachable', String(err), { peer }),
                    ),
                  ),
                true,
              );
            },
          );
          return true;
        },
        true,
      );
    });
  }

  /** A GET_PROVIDERS / FIND_NODE query from `a` to `to`. */
  kadQuery(a: SimNode, to: Contact, target: KadId, keyHex: string | null): Promise<QueryAnswer> {
    this.stats.kadQueries++;
    return this.exchange(a, this.byId.get(to.peer), this.config.kadTimeoutMs, async (b) => {
      // Answering a query also teaches b about a (kad-dht adds queriers to its table).
      b.table.add(a.contact);
      const recs = keyHex === null ? undefined : b.records.get(keyHex);
      return { closer: b.table.closest(target, K), providers: recs === undefined ? [] : [...recs] };
    });
  }

  kadLookup(a: SimNode, target: KadId, keyHex: string | null, providerLimit?: number) {
    return lookup(a.table, target, {
      query: (c) => this.kadQuery(a, c, target, keyHex),
      skip: (p) => a.banned(p),
      ...(providerLimit !== undefined ? { providerLimit } : {}),
    });
  }
}

const hex = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] as number).toString(16).padStart(2, '0');
  return s;
};

/** MeshPort on a SimNetwork node. */
export class SimPort implements MeshPort {
  readonly self: PeerIdString;

  constructor(private readonly node: SimNode) {
    this.self = node.id;
  }

  now(): number {
    return this.node.net.sched.now + this.node.clockOffsetMs;
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    if (this.node.up) this.node.net.gossip(this.node, topic, data);
  }

  subscribe(topic: string, handler: (msg: GossipMessage) => GossipVerdict): () => void {
    this.node.subs.set(topic, handler);
    return () => this.node.subs.delete(topic);
  }

  request(
    peer: PeerIdString,
    protocol: StreamProtocol,
    request: RequestFrame,
    o: RequestOptions,
  ): Promise<Uint8Array> {
    const net = this.node.net;
    net.stats.requests++;
    if (this.node.banned(peer))
      return Promise.reject(new MeshError('refused', `${peer} is banned`, { peer }));
    const from = this.node.id;
    return net
      .exchange(this.node, net.byId.get(peer), o.timeoutMs, async (b) => {
        const h = b.handlers.get(protocol);
        if (h === undefined)
          throw new MeshError('unreachable', `${peer} does not speak ${protocol}`, { peer });
        const frame = frameBytes(request); // the "stream" is open: the responder is reached
        if (frame.length > h.max) {
          for (const fn of b.abuse) fn(from, 'oversize-frame');
          throw new MeshError('refused', `${peer} reset the stream: request over ${h.max} bytes`, { peer });
        }
        return h.fn(from, frame.slice(), new AbortController().signal);
      })
      .then((answer) => {
        if (answer.length > o.maxResponseBytes)
          throw new MeshError('oversize', `answer of ${answer.length} bytes, at most ${o.maxResponseBytes}`, {
            peer,
          });
        return answer;
      });
  }

  handle(protocol: StreamProtocol, fn: StreamHandler, options: { maxRequestBytes: number }): () => void {
    this.node.handlers.set(protocol, { fn, max: options.maxRequestBytes });
    return () => this.node.handlers.delete(protocol);
  }

  async provide(key: Uint8Array): Promise<void> {
    const net = this.node.net;
    const keyHex = hex(key);
    const res = await net.kadLookup(this.node, key, null);
    (this.node.records.get(keyHex) ?? this.node.records.set(keyHex, new Set()).get(keyHex))?.add(this.self);
    await Promise.allSettled(
      res.closest.map((c) =>
        net.exchange(this.node, net.byId.get(c.peer), net.config.kadTimeoutMs, async (b) => {
          (b.records.get(keyHex) ?? b.records.set(keyHex, new Set()).get(keyHex))?.add(this.self);
        }),
      ),
    );
  }

  async findProviders(key: Uint8Array, o: FindProvidersOptions): Promise<PeerIdString[]> {
    const res = await this.node.net.kadLookup(this.node, key, hex(key), o.limit);
    this.lastLookup = res;
    return res.providers.filter((p) => p !== this.self).slice(0, o.limit);
  }

  /** The last findProviders lookup (hops, queries), for the simulator's statistics. */
  lastLookup: Awaited<ReturnType<SimNetwork['kadLookup']>> | undefined;

  peers(): PeerIdString[] {
    return [...this.node.mesh].map((m) => m.id);
  }

  async disconnect(peer: PeerIdString): Promise<void> {
    const m = this.node.net.byId.get(peer);
    if (m !== undefined) this.node.net.unlink(this.node, m);
  }

  ban(peer: PeerIdString, untilMs: number): void {
    if (untilMs === 0) this.node.bans.delete(peer);
    else this.node.bans.set(peer, untilMs);
    this.node.table.remove(peer);
  }

  onAbuse(handler: (peer: PeerIdString, what: AbuseKind) => void): () => void {
    this.node.abuse.add(handler);
    return () => this.node.abuse.delete(handler);
  }
}
