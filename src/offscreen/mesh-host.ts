/**
 * The mesh node of the offscreen document (a service worker has no RTCPeerConnection, and its
 * WebSockets die with it). Identity: the wallet key from the same IndexedDB the background uses, so
 * a recreated document comes back with the same PeerId. It dials the bootstrap peers from the
 * settings, retries every RETRY_MS while none is connected, keeps a relay reservation (a browser is
 * reachable only through one) and publishes its presence whenever it (re)connects. What the background
 * needs — peers, relay, last error — goes into the heartbeat as a MeshReport; bulk bytes never leave
 * this document through runtime messages.
 */
import { multiaddr } from '@multiformats/multiaddr';
import type { MeshReport } from '../messaging/protocol';
import { createMeshNode, type MeshLibp2p } from '../mesh/libp2p/create-node';
import { isPrivateAddr } from '../mesh/libp2p/bootstrap-addr';
import { BanList, Libp2pPort } from '../mesh/libp2p/libp2p-port';
import { BROWSER_LISTEN, meshTransports } from '../mesh/libp2p/transports';

/**
 * "I am (back) here": our PeerId and the time, on its own topic. Capability adverts proper are
 * MeshNode's (src/mesh/protocol, Cap'n Proto on ADVERTS_TOPIC), which is not wired in here yet.
 */
export const PRESENCE_TOPIC = 'inos/presence/1';

/** A bootstrap that failed is retried after this long (the popup says so). */
export const RETRY_MS = 20_000;
/** One dial attempt; upstream WebRTC/WebSocket dials time out a few % of the time (MESH.md §1.3). */
const DIAL_TIMEOUT_MS = 10_000;

export interface MeshHostDeps {
  /** The wallet's 32-byte Ed25519 secret key. */
  loadSecretKey: () => Promise<Uint8Array>;
  log?: (msg: string, err?: unknown) => void;
}

export class MeshHost {
  node: MeshLibp2p | null = null;
  port: Libp2pPort | null = null;
  readonly bans = new BanList();
  #bootstrap: string[] = [];
  #lastError: string | null = null;
  #nextRetryAt: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #starting: Promise<void> | null = null;
  #stopped = false;
  #allowPrivate = false;

  constructor(private readonly deps: MeshHostDeps) {}

  /** Starts the node (once) and dials `bootstrap`; a later call with another list re-dials. */
  async setBootstrap(bootstrap: readonly string[]): Promise<void> {
    const changed = bootstrap.join(' ') !== this.#bootstrap.join(' ');
    this.#bootstrap = [...bootstrap];
    // The connection gater and the DHT's address filter are fixed when the node is made: a switch
    // between public and private/loopback bootstrap peers needs a new node (same key, same PeerId).
    if (this.node !== null && changed && bootstrap.some(isPrivateAddr) !== this.#allowPrivate) {
      const old = this.node;
      this.node = null;
      this.port = null;
      this.#starting = null;
      try {
        await old.stop();
      } catch (err) {
        this.deps.log?.('mesh node stop failed', err);
      }
    }
    if (this.node === null) {
      this.#starting ??= this.#start();
      await this.#starting;
    } else if (changed) void this.#connect();
  }

  async #start(): Promise<void> {
    try {
      const secretKey = await this.deps.loadSecretKey();
      this.#allowPrivate = this.#bootstrap.some(isPrivateAddr);
      const node = await createMeshNode({
        secretKey,
        transports: meshTransports([]),
        listen: BROWSER_LISTEN,
        // At scale most browsers are DHT clients with Node peers as servers (MESH.md §1.6).
        dhtServer: false,
        allowPrivateAddresses: this.#allowPrivate,
        denyPeer: this.bans.has,
      });
      this.node = node;
      this.port = new Libp2pPort(node, this.bans);
      node.services.pubsub.subscribe(PRESENCE_TOPIC);
      node.addEventListener('self:peer:update', () => void this.#announce());
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
    if (failures.length < results.length) await this.#announce();
  }

  /** Tells the mesh we are here (again): a presence message. */
  async #announce(): Promise<void> {
    const node = this.node;
    if (node === null || node.getPeers().length === 0) return;
    const advert = new TextEncoder().encode(JSON.stringify({ peer: node.peerId.toString(), at: Date.now() }));
    await node.services.pubsub.publish(PRESENCE_TOPIC, advert).catch(() => undefined);
  }

  report(): MeshReport {
    const node = this.node;
    const addrs = node?.getMultiaddrs().map(String) ?? [];
    return {
      peerId: node?.peerId.toString() ?? null,
      peers: node?.getPeers().length ?? 0,
      relay: addrs.some((a) => a.includes('/p2p-circuit')),
      addrs: addrs.slice(0, 8),
      lastError: this.#lastError,
      retryInS:
        this.#nextRetryAt === null ? null : Math.max(0, Math.ceil((this.#nextRetryAt - Date.now()) / 1000)),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.node?.stop();
  }
}
