/**
 * The one libp2p configuration INOS runs, in the browser (offscreen document), in Node (`inos node`)
 * and in-process tests. Only the transports differ, and the caller passes them (browser-transports.ts,
 * node-transports.ts, or `memory()` in tests), so a browser bundle never pulls in node-datachannel and
 * the test-only memory transport never ships.
 *
 * What is fixed here, and why (numbers and traps from shared/MESH.md §1.3, measured on this box):
 * - identity: the wallet's Ed25519 secret key seeds the libp2p key, so PeerId == nodeId and the key
 *   Noise authenticates is the key that signs receipts;
 * - kad-dht on the private `/inos/kad/1.0.0`, `inos` record namespace with a size-checking validator;
 *   private addresses are kept (passthroughMapper) only when the node may dial them, otherwise kad-dht
 *   would drop every loopback peer ("findPeer → Not found");
 * - ping allows 8 outbound streams per connection (see below);
 * - `allowQueryWithZeroPeers` is never set: with a relay listener it spins the page's microtask queue;
 * - the connection gater lets a browser dial `ws://` and private addresses only when told to (a loopback
 *   bootstrap, tests); the browser default refuses both.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify, type Identify } from '@libp2p/identify';
import type { ConnectionGater, Libp2p, PeerId, PrivateKey, Transport } from '@libp2p/interface';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht';
import { noise } from '@libp2p/noise';
import { ping, type Ping } from '@libp2p/ping';
import { yamux } from '@libp2p/yamux';
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { isPrivate } from '@libp2p/utils';
import { createLibp2p } from 'libp2p';
import { KAD_PROTOCOL as DHT_PROTOCOL } from '../protocol/ids.ts';
import { isPeerRecordKey, newestPeerRecord, openPeerRecord } from './peer-record.ts';
import { AGENT, DHT_NAMESPACE } from './protocol-ids.ts';

/** A transport factory as libp2p takes it (`webSockets()`, `memory()`, …). */
export type TransportFactory = (components: never) => Transport;

export interface MeshServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
  dht: KadDHT;
  relay?: CircuitRelayService;
}

export type MeshLibp2p = Libp2p<MeshServices>;

/** Largest DHT value under `/inos/…`: records name peers, capsules and chunk sets, never bulk bytes. */
export const MAX_DHT_VALUE_BYTES = 16 * 1024;

export interface MeshNodeOptions {
  /** The wallet's 32-byte Ed25519 secret key (Identity.secretKeyBytes()). */
  secretKey: Uint8Array;
  /** That key already derived (privateKeyFromSecret), so a host that signs with it derives it once. */
  privateKey?: PrivateKey;
  transports: readonly TransportFactory[];
  /** Addresses to listen on (`/ip4/127.0.0.1/tcp/0/ws`, `/p2p-circuit`, `/webrtc`, `/memory/a`…). */
  listen: readonly string[];
  /** Serve DHT queries (Node peers, tests); browsers at scale should be clients (MESH.md §1.6). */
  dhtServer: boolean;
  /** Run a circuit-relay-v2 server (`inos node`). */
  relayServer?: boolean;
  /** Dial and keep private/loopback addresses (tests, a loopback `inos node`); refused otherwise. */
  allowPrivateAddresses: boolean;
  /** gossipsub's application-specific score for a peer (from the reputation EMA). */
  appScore?: (peerId: string) => number;
  /** Refuse every connection with this peer (the reputation ban list; see Libp2pPort.ban). */
  denyPeer?: (peerId: string) => boolean;
  /** Most open connections; libp2p prunes beyond it. */
  maxConnections?: number;
  /**
   * Inbound admission per remote host: new connections per second and handshakes pending at once.
   * libp2p's defaults (5/s, 10 pending) suit a peer; a relay uses RELAY_INBOUND.
   */
  inbound?: { perHostPerSecond: number; pending: number };
}

/**
 * Inbound admission of `inos node`, a relay + bootstrap that many browsers behind one NAT (or one
 * loopback) reach from the same address. libp2p admits 5 new connections per second per host and 10
 * pending handshakes in all, so 20 browsers starting together (a lab, an office, every profile after
 * a relay restart) saw most dials refused and retried for seconds. 64/s lets the 256 reservations
 * this relay holds (maxReservations) all come back from one address in about 4 s, while one host
 * still cannot make the relay run more than 64 Noise handshakes a second; `maxConnections` still
 * bounds what is held.
 */
export const RELAY_INBOUND = { perHostPerSecond: 64, pending: 64 } as const;

export async function privateKeyFromSecret(secretKey: Uint8Array): Promise<PrivateKey> {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
    throw new RangeError('mesh: the identity secret key must be 32 bytes (an Ed25519 seed)');
  }
  return generateKeyPairFromSeed('Ed25519', secretKey);
}

/**
 * kad-dht validator for `/inos/<name>` records: bounded size, nothing else is trusted from it; a
 * `/inos/peer/<PeerId>` record must be that peer's fresh signed peer record.
 */
export async function validateInosRecord(key: Uint8Array, value: Uint8Array): Promise<void> {
  const text = new TextDecoder().decode(key);
  if (!text.startsWith(`/${DHT_NAMESPACE}/`) || text.length > 256) {
    throw new Error(
      `mesh: DHT key ${JSON.stringify(text.slice(0, 80))} is not /${DHT_NAMESPACE}/<name> (≤ 256 chars)`,
    );
  }
  if (value.length > MAX_DHT_VALUE_BYTES) {
    throw new Error(`mesh: DHT value of ${value.length} bytes exceeds ${MAX_DHT_VALUE_BYTES}`);
  }
  // A peer's addresses (peer-record.ts): only that peer may write them, and only fresh.
  if (isPeerRecordKey(key)) await openPeerRecord(key, value, Date.now());
}

/** kad-dht selector for `/inos/<name>`: the newest peer record; the first record otherwise. */
export function selectInosRecord(key: Uint8Array, records: Uint8Array[]): number | Promise<number> {
  return isPeerRecordKey(key) ? newestPeerRecord(key, records, Date.now()) : 0;
}

function gater(opts: MeshNodeOptions): ConnectionGater {
  const deny = opts.denyPeer ?? (() => false);
  const byPeer = (peerId: PeerId): boolean => deny(peerId.toString());
  return {
    // The same rule in Node and the browser (libp2p's default differs: Node dials anything, a browser
    // refuses private addresses and every ws://): private and loopback addresses only when allowed.
    denyDialMultiaddr: opts.allowPrivateAddresses ? () => false : (ma) => isPrivate(ma),
    denyDialPeer: byPeer,
    denyInboundEncryptedConnection: byPeer,
    denyOutboundEncryptedConnection: byPeer,
    denyInboundRelayReservation: byPeer,
  };
}

export async function createMeshNode(opts: MeshNodeOptions): Promise<MeshLibp2p> {
  const privateKey = opts.privateKey ?? (await privateKeyFromSecret(opts.secretKey));
  const relay = opts.relayServer
    ? {
        relay: circuitRelayServer({
          // 15 by default; one reservation per browser that uses this node as its relay.
          reservations: { maxReservations: 256 },
        }),
      }
    : {};
  const node = await createLibp2p({
    privateKey,
    nodeInfo: { userAgent: AGENT },
    addresses: { listen: [...opts.listen] },
    transports: [...opts.transports] as never,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: gater(opts),
    connectionManager: {
      maxConnections: opts.maxConnections ?? 300,
      ...(opts.inbound
        ? {
            inboundConnectionThreshold: opts.inbound.perHostPerSecond,
            maxIncomingPendingConnections: opts.inbound.pending,
          }
        : {}),
    },
    services: {
      // 5 s by default; a connection whose identify times out never reaches gossipsub's topology (no
      // pubsub peer, ever), which a busy 2-core box hit with 50 in-process nodes.
      identify: identify({ timeout: 20_000 }),
      // The connection monitor and kad-dht both ping on one connection; with ping's default of one
      // outbound stream the second fails, the monitor takes that as a dead peer and aborts the
      // connection (measured: 114 such aborts in 5 s, which emptied a 50-node memory mesh).
      ping: ping({ maxOutboundStreams: 8 }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        ...(opts.appScore ? { scoreParams: { appSpecificScore: opts.appScore, appSpecificWeight: 1 } } : {}),
      }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: !opts.dhtServer,
        peerInfoMapper: opts.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
        validators: { [DHT_NAMESPACE]: validateInosRecord },
        selectors: { [DHT_NAMESPACE]: selectInosRecord },
      }),
      ...relay,
    },
  });
  return node as unknown as MeshLibp2p;
}
