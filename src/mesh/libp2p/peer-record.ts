/**
 * Where a DHT client can be reached, in the DHT. Browsers are DHT clients (they cannot be dialled
 * back), so kad-dht's findPeer never finds one: nobody holds it in a routing table. A browser (any
 * node) therefore puts its own addresses — for a browser, its `/p2p-circuit` and `/p2p-circuit/webrtc`
 * addresses through its relay — under `/inos/peer/<PeerId>`, as a libp2p signed peer record
 * (@libp2p/peer-record: a RecordEnvelope signed with the PeerId's own key, the format identify
 * already exchanges), so the DHT servers accept it from the peer alone and a reader trusts nothing
 * but the signature. `seqNumber` is the wall-clock ms of sealing: a record older than
 * PEER_RECORD_TTL_MS is refused, the newest one wins, the owner refreshes every
 * PEER_RECORD_REFRESH_MS and whenever its addresses change (live-mesh.ts).
 */
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { DHT_NAMESPACE } from './protocol-ids.ts';

export const PEER_RECORD_PREFIX = `/${DHT_NAMESPACE}/peer/`;
/** A record is refused (put and get) this long after it was sealed. */
export const PEER_RECORD_TTL_MS = 30 * 60_000;
/** The owner re-puts its record this often (and on every address change). */
export const PEER_RECORD_REFRESH_MS = 10 * 60_000;
/** A record this far in the future (clock skew) is refused too. */
const MAX_SKEW_MS = 5 * 60_000;
/** Most addresses a record may carry (one per relay, twice: circuit and its WebRTC form). */
export const MAX_PEER_RECORD_ADDRS = 16;

export const peerRecordKey = (peer: PeerId | string): Uint8Array =>
  new TextEncoder().encode(`${PEER_RECORD_PREFIX}${peer.toString()}`);

export const isPeerRecordKey = (key: Uint8Array): boolean =>
  new TextDecoder().decode(key).startsWith(PEER_RECORD_PREFIX);

/** Our record: `addrs` (at most MAX_PEER_RECORD_ADDRS), signed with our key, stamped `now`. */
export async function sealPeerRecord(
  privateKey: PrivateKey,
  addrs: readonly Multiaddr[],
  now: number,
): Promise<Uint8Array> {
  const peerId = peerIdFromPublicKey(privateKey.publicKey);
  const own = `/p2p/${peerId.toString()}`;
  const record = new PeerRecord({
    peerId,
    // Without the trailing /p2p/<us> (the reader adds it back); a relay's /p2p/<relay> stays.
    multiaddrs: addrs
      .slice(0, MAX_PEER_RECORD_ADDRS)
      .map((a) => (a.toString().endsWith(own) ? multiaddr(a.toString().slice(0, -own.length)) : a)),
    seqNumber: BigInt(now),
  });
  return (await RecordEnvelope.seal(record, privateKey)).marshal();
}

export interface OpenedPeerRecord {
  peerId: PeerId;
  multiaddrs: Multiaddr[];
  sealedAt: number;
}

/**
 * Checks a record found (or put) under `key`: a valid envelope signed by the PeerId the key names,
 * for that same PeerId, fresh. Throws an Error saying what is wrong otherwise.
 */
export async function openPeerRecord(
  key: Uint8Array,
  value: Uint8Array,
  now: number,
): Promise<OpenedPeerRecord> {
  const text = new TextDecoder().decode(key);
  if (!text.startsWith(PEER_RECORD_PREFIX))
    throw new Error(`mesh: ${JSON.stringify(text.slice(0, 80))} is not a ${PEER_RECORD_PREFIX}<PeerId> key`);
  let owner: PeerId;
  try {
    owner = peerIdFromString(text.slice(PEER_RECORD_PREFIX.length));
  } catch {
    throw new Error(`mesh: ${JSON.stringify(text.slice(0, 80))} does not end in a PeerId`);
  }
  let envelope: RecordEnvelope;
  let record: PeerRecord;
  try {
    envelope = await RecordEnvelope.openAndCertify(value, PeerRecord.DOMAIN);
    record = PeerRecord.createFromProtobuf(envelope.payload);
  } catch (cause) {
    throw new Error(`mesh: the record under ${text} is not a signed peer record: ${String(cause)}`);
  }
  if (!peerIdFromPublicKey(envelope.publicKey).equals(owner) || !record.peerId.equals(owner))
    throw new Error(`mesh: the record under ${text} is not signed by that peer`);
  const sealedAt = Number(record.seqNumber);
  if (!(sealedAt > now - PEER_RECORD_TTL_MS && sealedAt < now + MAX_SKEW_MS))
    throw new Error(`mesh: the record under ${text} was sealed at ${sealedAt}, outside its 30 min lifetime`);
  if (record.multiaddrs.length > MAX_PEER_RECORD_ADDRS)
    throw new Error(`mesh: the record under ${text} has more than ${MAX_PEER_RECORD_ADDRS} addresses`);
  return { peerId: owner, multiaddrs: record.multiaddrs, sealedAt };
}

/** kad-dht selector for peer records: the newest valid one (index into `records`). */
export async function newestPeerRecord(key: Uint8Array, records: Uint8Array[], now: number): Promise<number> {
  let best = 0;
  let bestAt = -1;
  for (const [i, r] of records.entries()) {
    const at = await openPeerRecord(key, r, now).then(
      (o) => o.sealedAt,
      () => -1,
    );
    if (at > bestAt) {
      best = i;
      bestAt = at;
    }
  }
  return best;
}
