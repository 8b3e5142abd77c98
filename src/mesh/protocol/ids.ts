/**
 * Every protocol id and gossip topic the mesh speaks, in one place. A breaking change to a frame
 * gets a new id (`/inos/rpc/2`), never a silent reinterpretation of the old one; both can be served
 * side by side during a migration.
 */

/** Request/response streams: one RpcFrame request, one RpcFrame response (frames.ts). */
export const RPC_PROTOCOL = '/inos/rpc/1';
/** Chunk exchange streams: one ChunkFrame want, one ChunkFrame have/block/error (frames.ts). */
export const CHUNKS_PROTOCOL = '/inos/chunks/1';
/** The private Kademlia DHT (kad-dht `protocol` option); never the public Amino DHT. */
export const KAD_PROTOCOL = '/inos/kad/1.0.0';
/**
 * Capability adverts. A libp2p protocol id for documentation and metrics; on the wire adverts are
 * gossipsub messages on ADVERTS_TOPIC (StrictSign, so the signer is the origin).
 */
export const ADVERTS_PROTOCOL = '/inos/adverts/1';
export const ADVERTS_TOPIC = 'inos/adverts/1';

export const MESH_PROTOCOLS = [RPC_PROTOCOL, CHUNKS_PROTOCOL, KAD_PROTOCOL, ADVERTS_PROTOCOL] as const;
/** Protocols a MeshPort carries streams for (the DHT and gossip run inside libp2p itself). */
export type StreamProtocol = typeof RPC_PROTOCOL | typeof CHUNKS_PROTOCOL;

/** Frame version written today; decoders reject any other. */
export const FRAME_VERSION = 1;

/**
 * Provider-record keys are 32-byte BLAKE3 digests: a chunk's address, or `capsuleKey(name)` for
 * "who runs this capsule". libp2p's DHT wants a CID, so `keyToCid` wraps the digest as a CIDv1
 * (version 1, codec raw 0x55, multihash blake3 0x1e, length 32); every varint is one byte.
 */
export const KEY_BYTES = 32;
const CID_PREFIX = [0x01, 0x55, 0x1e, 0x20] as const;

export function keyToCid(key: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES)
    throw new RangeError(`provider key: expected ${KEY_BYTES} bytes, got ${key.length}`);
  const out = new Uint8Array(CID_PREFIX.length + KEY_BYTES);
  out.set(CID_PREFIX);
  out.set(key, CID_PREFIX.length);
  return out;
}

/** The digest inside a CID made by keyToCid, or null when the CID is anything else. */
export function cidToKey(cid: Uint8Array): Uint8Array | null {
  if (cid.length !== CID_PREFIX.length + KEY_BYTES) return null;
  for (let i = 0; i < CID_PREFIX.length; i++) if (cid[i] !== CID_PREFIX[i]) return null;
  return cid.slice(CID_PREFIX.length);
}
