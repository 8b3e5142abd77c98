/**
 * What the market's signatures cover. Each signed frame is signed over
 *   SHA-256("INOS market v1\n" ‖ kind ‖ "\n" ‖ JSON of its fields in schema order, sig left out)
 * with the ledger's Ed25519 key (the node id), so an offer, a claim or a result is bound to the
 * identity that pays or is paid. The domain prefix keeps these signatures apart from ledger records
 * (RECORD_DOMAIN) and anything else the node key signs. Byte fields are hex in the JSON.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { BundleRef, MarketAssign, MarketClaim, MarketOffer, MarketResult } from './frames.ts';

export const MARKET_DOMAIN = 'INOS market v1\n';

/** A key that signs: the ledger's Identity fits. */
export interface MarketSigner {
  readonly nodeId: string;
  sign(message: Uint8Array): Uint8Array;
}

type Field = string | number | boolean | Uint8Array | Uint8Array[];
const norm = (v: Field): unknown =>
  v instanceof Uint8Array ? bytesToHex(v) : Array.isArray(v) ? v.map((x) => bytesToHex(x)) : v;

function digest(kind: string, fields: Field[]): Uint8Array {
  return sha256(utf8ToBytes(`${MARKET_DOMAIN}${kind}\n${JSON.stringify(fields.map(norm))}`));
}

const offerFields = (o: Omit<MarketOffer, 'sig'>): Field[] => [
  o.jobId,
  o.requester,
  o.capsule,
  o.method,
  o.params,
  o.paramsHash,
  o.inputs,
  o.inputBytes,
  o.budget,
  o.deadlineMs,
  o.holdId,
];
// The audited head is signed when the claim carries one; a claim without it signs what it always did.
const claimFields = (c: Omit<MarketClaim, 'sig'>): Field[] => [
  c.jobId,
  c.contributor,
  c.accept,
  c.free,
  c.reason,
  ...(c.audited !== undefined ? [c.audited.seq, c.audited.hash] : []),
];
// A chunked pledge's reference is signed with the assignment; an inline one is itself payer-signed.
const refFields = (r: BundleRef): Field[] => [r.hash, r.bytes, r.chunks];
const assignFields = (a: Omit<MarketAssign, 'sig'>): Field[] => [
  a.jobId,
  a.requester,
  ...(a.pledgeRef !== undefined ? refFields(a.pledgeRef) : []),
];
/** A chunked MarketPayment's reference (an inline payment is not signed: its bundle is). */
export interface PaymentRef {
  jobId: string;
  payer: string;
  bundle: BundleRef;
}
const paymentFields = (p: PaymentRef): Field[] => [p.jobId, p.payer, ...refFields(p.bundle)];
const resultFields = (r: Omit<MarketResult, 'sig'>): Field[] => [
  r.jobId,
  r.contributor,
  r.status,
  r.costUsed,
  r.outputHash,
  r.outputBytes,
  r.inline,
  r.chunks,
  r.error,
  ...(r.audited !== undefined ? [r.audited.seq, r.audited.hash] : []),
];

const DIGESTS = {
  offer: (f: Omit<MarketOffer, 'sig'>) => digest('offer', offerFields(f)),
  claim: (f: Omit<MarketClaim, 'sig'>) => digest('claim', claimFields(f)),
  assign: (f: Omit<MarketAssign, 'sig'>) => digest('assign', assignFields(f)),
  result: (f: Omit<MarketResult, 'sig'>) => digest('result', resultFields(f)),
  payment: (f: PaymentRef) => digest('payment', paymentFields(f)),
};
type Kind = keyof typeof DIGESTS;
type FrameOf<K extends Kind> = Parameters<(typeof DIGESTS)[K]>[0] & { sig: Uint8Array };

export function signFrame<K extends Kind>(
  kind: K,
  frame: Omit<FrameOf<K>, 'sig'>,
  signer: MarketSigner,
): FrameOf<K> {
  const d = (DIGESTS[kind] as unknown as (f: typeof frame) => Uint8Array)(frame);
  return { ...frame, sig: signer.sign(d) } as FrameOf<K>;
}

/** True when `frame.sig` is `signer`'s (a node id) signature of the frame. Never throws. */
export function verifyFrame<K extends Kind>(kind: K, frame: FrameOf<K>, signer: string): boolean {
  try {
    const d = (DIGESTS[kind] as unknown as (f: FrameOf<K>) => Uint8Array)(frame);
    return frame.sig.length === 64 && ed25519.verify(frame.sig, d, hexToBytes(signer));
  } catch {
    return false;
  }
}
