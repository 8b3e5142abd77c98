/**
 * The mesh node of the offscreen document (a service worker has no RTCPeerConnection, and its
 * WebSockets die with it). Identity: the wallet key from the same IndexedDB the background uses, so
 * a recreated document comes back with the same PeerId. It dials the bootstrap peers from the
 * settings, retries every RETRY_MS while none is connected, and keeps a relay reservation (a browser
 * is reachable only through one).
 *
 * On the node runs MeshNode (src/mesh/protocol, through src/mesh/libp2p/live-mesh.ts): capability
 * adverts on gossip (the capsules we run minus the user's opt-outs, workers, GPU, current throttle),
 * chunk exchange served from the document's one chunk store (ChunkStoreOwner: the workers', the
 * mesh's and the market's chunks in one index under one quota; reads decrypt on a worker) with DHT
 * provider records, RPC, and reputation persisted in IndexedDB. `meshNode` is exposed so other features (the
 * market) can register RPC methods on it. The background sees counts through the heartbeat
 * (MeshReport); bulk bytes never leave this document through runtime messages.
 */
import type { PrivateKey } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { MeshReport } from '../messaging/protocol';
import type { ChunkStoreOwner } from '../capsules/storage/store-owner';
import {
  createMeshNode,
  privateKeyFromSecret,
  type MeshLibp2p,
  type TransportFactory,
} from '../mesh/libp2p/create-node';
import { isPrivateAddr } from '../mesh/libp2p/bootstrap-addr';
import { BanList, Libp2pPort } from '../mesh/libp2p/libp2p-port';
import { startLiveMesh, type LiveMesh } from '../mesh/libp2p/live-mesh';
import { BROWSER_LISTEN, meshTransports } from '../mesh/libp2p/transports';
import type { AdvertInput } from '../mesh/protocol/adverts';
import type { ChunkExchange, ChunkSource } from '../mesh/protocol/chunk-exchange';
import type { CapsuleOffer, GpuInfo } from '../mesh/protocol/frames';
import type { MeshNode } from '../mesh/protocol/node';
import { MemoryReputationStore, type ReputationStore } from '../mesh/protocol/reputation-store';
import { HeldChunks } from './held-chunks';

/** A bootstrap that failed is retried after this long (the popup says so). */
export const RETRY_MS = 20_000;
/** One dial attempt; upstream WebRTC/WebSocket dials time out a few % of the time (MESH.md §1.3). */
const DIAL_TIMEOUT_MS = 10_000;
/** Adverts live 10 minutes (LIMITS.advertTtlMs); we refresh well before. */
const ADVERT_TTL_MS = 10 * 60_000;
const ADVERT_REFRESH_MS = 2 * 60_000;

/** What we offer, as the compute host knows it. */
export interface MeshCapabilities {
  /** Capsules this build runs (library, semver). */
  capsules: readonly { library: string; version: string }[];
  /** The user's per-capsule opt-outs (settings.optOut): not advertised. */
  optOut: readonly string[];
  /** Workers allowed to take jobs now, and their duty cycle (the current throttle). */
  workers: number;
  dutyPercent: number;
  gpu: boolean;
}

export interface MeshHostDeps {
  /** The wallet's 32-byte Ed25519 secret key. */
  loadSecretKey: () => Promise<Uint8Array>;
  /**
   * The document's chunk store owner (ComputeHost's), which we serve chunks from and put fetched
   * chunks in; null while the compute host has not made it (then only held market chunks serve).
   */
  chunkOwner?: () => ChunkStoreOwner | null;
  /** Where reputation survives this document (IndexedDB); memory when absent (unit tests). */
  openReputationStore?: () => Promise<ReputationStore>;
  /** The GPU's vendor and architecture when WebGPU has an adapter; null without one. */
  gpuInfo?: () => Promise<{ vendor: string; architecture: string } | null>;
  log?: (msg: string, err?: unknown) => void;
  /** The node's transports and listen addresses; a browser's (WebRTC + relay) when absent. */
  transports?: () => TransportFactory[];
  listen?: readonly string[];
}

/** The capsule offers of an advert: semver major as the version, opted-out capsules left out. */
export function capsuleOffers(c: Pick<MeshCapabilities, 'capsules' | 'optOut'>): CapsuleOffer[] {
  return c.capsules
    .filter((k) => !c.optOut.includes(k.library))
    .map((k) => ({ name: k.library, version: Number.parseInt(k.version, 10) || 0 }));
}

export class MeshHost {
  node: MeshLibp2p | null = null;
  port: Libp2pPort | null = null;
  live: LiveMesh | null = null;
  readonly bans = new BanList();
  /**
   * The market's chunks (inputs of jobs submitted here, outputs of paid jobs run here), held in the
   * chunk store until their job is done (held-chunks.ts). `memoryChunks` and `marketChunks` are the
   * same holder under the names the requester and the contributor side use.
   */
  readonly heldChunks: HeldChunks;
  #bootstrap: string[] = [];
  #lastError: string | null = null;
  #nextRetryAt: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The setBootstrap calls, applied one after the other. */
  #applying: Promise<void> = Promise.resolve();
  #startRetryAt = 0;
  #stopped = false;
  #allowPrivate = false;
  #caps: MeshCapabilities | null = null;
  #gpu: { vendor: string; architecture: string } | null = null;
  #privateKey: PrivateKey | null = null;
  /** Chunk transfers in flight per exchange (a remade node has a new one), and who is told the sum. */
  readonly #transfers = new Map<ChunkExchange, number>();
  #onTransfers: ((active: number) => void) | null = null;

  constructor(private readonly deps: MeshHostDeps) {
    this.heldChunks = new HeldChunks(() => this.deps.chunkOwner?.() ?? null, deps.log);
  }

  get memoryChunks(): HeldChunks {
    return this.heldChunks;
  }

  get marketChunks(): HeldChunks {
    return this.heldChunks;
  }

  /** The protocol node (adverts, chunks, RPC, reputation); null until the libp2p node runs. */
  get meshNode(): MeshNode | null {
    return this.live?.mesh ?? null;
  }

  /**
   * Tells `cb` the number of chunk transfers in flight (served block wants and fetches, over every
   * exchange this host has run) each time it changes: the compute host holds its filler meanwhile.
   */
  onTransfers(cb: (active: number) => void): void {
    this.#onTransfers = cb;
    cb(this.activeTransfers);
  }

  /** Chunk transfers in flight now. */
  get activeTransfers(): number {
    let n = 0;
    for (const v of this.#transfers.values()) n += v;
    return n;
  }

  #watchTransfers(chunks: ChunkExchange): void {
    chunks.onTransfers = (active) => {
      if (active > 0) this.#transfers.set(chunks, active);
      else this.#transfers.delete(chunks);
      this.#onTransfers?.(this.activeTransfers);
    };
  }

  /** An exchange that stopped counts no more (its counts end in `finally`s; this is the backstop). */
  #forgetTransfers(chunks: ChunkExchange | undefined): void {
    if (chunks === undefined) return;
    chunks.onTransfers = undefined;
    if (this.#transfers.delete(chunks)) this.#onTransfers?.(this.activeTransfers);
  }

  /** The node's identity key (its PeerId's), which also signs our DHT peer record; null before start. */
  get signingKey(): PrivateKey | null {
    return this.#privateKey;
  }

  /** The chunk store owner this node serves from and fetches into. */
  chunkOwner(): ChunkStoreOwner {
    const owner = this.deps.chunkOwner?.() ?? null;
    if (owner === null) throw new Error('this document has no chunk store (yet)');
    return owner;
  }

  /**
   * Starts the node (once) and dials `bootstrap`; a later call with another list re-dials. Calls are
   * applied one at a time in order (hello, every heartbeat and settings/apply all call this), so a
   * list that arrives while the node is being made is checked against the node that comes out: a
   * node made for public peers (its gater refuses loopback and private addresses) is remade when the
   * list now names a private one, instead of dialing it through a gater that refuses it forever.
   */
  setBootstrap(bootstrap: readonly string[]): Promise<void> {
    const run = this.#applying.then(() => this.#applyBootstrap([...bootstrap]));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async #applyBootstrap(bootstrap: string[]): Promise<void> {
    if (this.#stopped) return;
    const changed = bootstrap.join(' ') !== this.#bootstrap.join(' ');
    this.#bootstrap = bootstrap;
    // The connection gater and the DHT's address filter are fixed when the node is made: a switch
    // between public and private/loopback bootstrap peers needs a new node (same key, same PeerId).
    if (this.node !== null && bootstrap.some(isPrivateAddr) !== this.#allowPrivate) {
      const old = this.node;
      const live = this.live;
      this.node = null;
      this.port = null;
      this.live = null;
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      try {
        await live?.stop();
        await old.stop();
      } catch (err) {
        this.deps.log?.('mesh node stop failed', err);
      } finally {
        this.#forgetTransfers(live?.mesh.chunks);
      }
    }
    if (this.node === null) {
      // A start that failed (no key yet, a transport that would not listen) is tried again, but not
      // on every heartbeat.
      if (Date.now() < this.#startRetryAt) return;
      await this.#start();
      if (this.node === null) this.#startRetryAt = Date.now() + RETRY_MS;
    } else if (changed) await this.#connect();
  }

  /** What we offer changed (throttle, opt-outs): a new advert when it differs from the last. */
  setCapabilities(caps: MeshCapabilities): void {
    const before = this.#caps === null ? '' : JSON.stringify(this.#advert(this.#caps));
    this.#caps = caps;
    if (JSON.stringify(this.#advert(caps)) !== before) void this.live?.republish();
  }

  #advert(caps: MeshCapabilities | null = this.#caps): AdvertInput | null {
    if (caps === null) return null;
    const gpu: GpuInfo = {
      available: caps.gpu && this.#gpu !== null,
      vendor: this.#gpu?.vendor.slice(0, 64) ?? '',
      architecture: this.#gpu?.architecture.slice(0, 64) ?? '',
    };
    return {
      ttlMs: ADVERT_TTL_MS,
      capsules: capsuleOffers(caps),
      workers: caps.workers,
      gpu,
      throttle: Math.max(0, Math.min(1, caps.dutyPercent / 100)),
    };
  }

  /**
   * Serves from the one store: held market chunks not stored yet from memory, everything else
   * through the owner (index first, so a deleted chunk is not served; decrypted on a worker).
   */
  #source(): ChunkSource {
    return this.heldChunks;
  }

  async #start(): Promise<void> {
    try {
      const secretKey = await this.deps.loadSecretKey();
      this.#allowPrivate = this.#bootstrap.some(isPrivateAddr);
      // An adapter request that never settles (seen with some headless GPU stacks) must not hold the node.
      this.#gpu =
        (await Promise.race([
          this.deps.gpuInfo?.().catch(() => null),
          new Promise<null>((r) => setTimeout(() => r(null), 3_000)),
        ])) ?? null;
      // Derived once: the node's PeerId and the key that signs our peer record are one key.
      const privateKey = await privateKeyFromSecret(secretKey);
      this.#privateKey = privateKey;
      const node = await createMeshNode({
        secretKey,
        privateKey,
        transports: this.deps.transports?.() ?? meshTransports([]),
        listen: this.deps.listen ?? BROWSER_LISTEN,
        // At scale most browsers are DHT clients with Node peers as servers (MESH.md §1.6).
        dhtServer: false,
        allowPrivateAddresses: this.#allowPrivate,
        denyPeer: this.bans.has,
        appScore: (peer) => this.live?.mesh.reputation.appScore(peer) ?? 0,
      });
      this.node = node;
      this.port = new Libp2pPort(node, this.bans);
      const store = (await this.deps.openReputationStore?.()) ?? new MemoryReputationStore();
      this.live = await startLiveMesh({
        node,
        port: this.port,
        source: this.#source(),
        store,
        advert: () => this.#advert(),
        refreshMs: ADVERT_REFRESH_MS,
        // Our signed peer record (relay-circuit addresses) in the DHT: a browser is a DHT client, so
        // other peers find it by PeerId through this record (peer-record.ts).
        privateKey,
        ...(this.deps.log ? { log: this.deps.log } : {}),
      });
      this.#watchTransfers(this.live.mesh.chunks);
      await this.#connect();
    } catch (err) {
      this.#lastError = `mesh node failed to start: ${err instanceof Error ? err.message : String(err)}`;
      this.deps.log?.(this.#lastError, err);
    }
  }

  /** Dials every bootstrap peer not yet connected; schedules a retry while none is reachable. */
  async #connect(): Promise<void> {
    const node = this.node;
    if (node === null || this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#nextRetryAt = null;
    if (this.#bootstrap.length === 0) {
      this.#lastError = 'no bootstrap peer configured';
      return;
    }
    const results = await Promise.allSettled(
      this.#bootstrap.map((addr) =>
        node.dial(multiaddr(addr), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }),
      ),
    );
    // The node was remade (another bootstrap list) while these dials ran: its own #connect reports.
    if (this.node !== node) return;
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [`${this.#bootstrap[i]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`]
        : [],
    );
    this.#lastError =
      failures.length === results.length ? `can't reach the bootstrap peers (${failures.join('; ')})` : null;
    if (failures.length > 0 && !this.#stopped) {
      this.#nextRetryAt = Date.now() + RETRY_MS;
      this.#timer = setTimeout(() => void this.#connect(), RETRY_MS);
    }
  }

  report(): MeshReport {
    const node = this.node;
    const addrs = node?.getMultiaddrs().map(String) ?? [];
    const adverts = this.live?.mesh.adverts;
    return {
      peerId: node?.peerId.toString() ?? null,
      peers: node?.getPeers().length ?? 0,
      relay: addrs.some((a) => a.includes('/p2p-circuit')),
      addrs: addrs.slice(0, 8),
      lastError: this.#lastError,
      retryInS:
        this.#nextRetryAt === null ? null : Math.max(0, Math.ceil((this.#nextRetryAt - Date.now()) / 1000)),
      adverts: adverts === undefined ? 0 : adverts.sweep(),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const chunks = this.live?.mesh.chunks;
    try {
      await this.live?.stop();
      await this.node?.stop();
    } finally {
      this.#forgetTransfers(chunks);
    }
  }
}
