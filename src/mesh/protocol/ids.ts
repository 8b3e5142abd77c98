/**
 * Every protocol id and gossip topic the mesh speaks, in one place. A breaking change to a frame
 * gets a new id (`/inos/rpc/2`), never a silent reinterpretation of the old one; both can be served
 * side by side during a migration.
 */

/** Request/response streams: one RpcFrame request, one RpcFrame response (frames.ts). */
export const RPC_PROTOCOL = '/inos/rpc/1';
/** Chunk exchange streams: one ChunkFrame want, one ChunkFrame have/block/error (frames.ts). */
export const CHUNKS_PROTOCOL = '/inos/chunks/1';
/**
 * Chunk exchange on one long-lived stream per requester and provider: pipelined wants with a
 * requestId each, answered in any order (schemas/mesh.capnp ChunkFrame). /inos/chunks/1 is still
 * answered, and asked of peers that refuse this one.
 */
export const CHUNKS_PROTOCOL_V2 = '/inos/chunks/2';
/** The private Kademlia DHT (kad-dht `protocol` option); never the public Amino DHT. */
export const KAD_PROTOCOL = '/inos/kad/1.0.0';
/**
 * Capability adverts. A libp2p protocol id for documentation and metrics; on the wire adverts are
 * gossipsub messages on ADVERTS_TOPIC (StrictSign, so the signer is the origin).
 */
export const ADVERTS_PROTOCOL = '/inos/adverts/1';
export const ADVERTS_TOPIC = 'inos/adverts/1';
/**
 * Advert solicitations (AdvertSolicit frames): a node that gains its first advert-topic neighbour
 * asks everyone to republish, since gossip keeps no history (adverts.ts).
 */
export const SOLICIT_TOPIC = 'inos/adverts/solicit/1';
/** Fork proofs (forks.ts): two records one payer signed at one seq, checked by every node before it relays them. */
export const FORKS_TOPIC = 'inos/forks/1';

export const MESH_PROTOCOLS = [
  RPC_PROTOCOL,
  CHUNKS_PROTOCOL,
  CHUNKS_PROTOCOL_V2,
  KAD_PROTOCOL,
  ADVERTS_PROTOCOL,
] as const;
/** Protocols a MeshPort carries streams for (the DHT and gossip run inside libp2p itself). */
export type StreamProtocol = typeof RPC_PROTOCOL | typeof CHUNKS_PROTOCOL;
/** Protocols whose streams carry many frames each way (MeshPort.openChannel). */
export type ChannelProtocol = typeof CHUNKS_PROTOCOL_V2;

/** Frame version written today; decoders reject any other. */
export const FRAME_VERSION = 1;

/**
 * Provider-record keys are 32-byte BLAKE3 digests: a chunk's address, or `capsuleKey(name)` for
 * "who runs this capsule". The DHT keys them by `dhtCid(key)` = CIDv1(raw, sha2-256(key))
 * (src/mesh/libp2p/libp2p-port.ts says why not a BLAKE3 multihash).
 */
export const KEY_BYTES = 32;
