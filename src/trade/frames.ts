/**
 * Codecs for schemas/market.capnp over the schema-driven wire codec, the same way
 * src/mesh/protocol/frames.ts does the mesh frames: decoders never throw (bytes from a peer come
 * back as `{ ok: false, error }` with what was wrong), encoders check our own values.
 */
import { LIMITS } from '../mesh/protocol/frames.ts';
import { decodeDynamic, encodeDynamic, OUR_LAYOUTS, type WireObject, type WireValue } from '../wire/index.ts';

export const MARKET_VERSION = 1;
/**
 * A MarketAssign or MarketPayment whose bundle is chunked carries this version: a peer that only
 * speaks MARKET_VERSION refuses it with "version 2; this node speaks 1" instead of misreading it.
 * Inline frames keep version 1, so old and new peers still trade while chains are short.
 */
export const MARKET_CHUNKED_VERSION = 2;

export const MARKET_LIMITS = {
  idBytes: 128,
  nameBytes: 64,
  /** Params travel in the offer; the RPC body is at most 1 MiB. */
  paramsBytes: 512 << 10,
  /** Input chunks per job (1 MiB each): 64 MiB, the capsules' largest input. */
  inputChunks: 64,
  /** Outputs up to this size travel inline in the result, larger ones as chunks. */
  inlineBytes: 256 << 10,
  outputChunks: 256,
  messageBytes: 1024,
  bundleBytes: 900 << 10,
  /**
   * A pledge or pay bundle whose JSON is longer than this travels as chunks (a BundleRef), not in
   * the frame: under `bundleBytes` with room for the rest of the frame in the 1 MiB RPC body.
   * A whole chain of ~1,200 records (629–631 B a record, bench:ledger-market) still goes inline.
   */
  inlineBundleBytes: 768 << 10,
  /**
   * The largest chunked bundle a contributor fetches: 64 MiB, 64 chunks. A payer chain of 10^5
   * records is 10^5 × ~630 B = 63 MB (631,720 B at 1,001 records, 6,293,092 B at 10,001 in
   * bench:ledger-market); past it a requester must be audited incrementally (a `since` bundle).
   */
  chunkedBundleBytes: 64 << 20,
} as const;

/** A bundle sent as chunks: BLAKE3-256 of its UTF-8 JSON, its length, its chunks in order. */
export interface BundleRef {
  hash: Uint8Array;
  bytes: number;
  chunks: Uint8Array[];
}

export interface MarketOffer {
  jobId: string;
  requester: string;
  capsule: string;
  method: string;
  params: string;
  paramsHash: Uint8Array;
  inputs: Uint8Array[];
  inputBytes: number;
  budget: number;
  deadlineMs: number;
  holdId: string;
  sig: Uint8Array;
}

export interface MarketClaim {
  jobId: string;
  contributor: string;
  accept: boolean;
  free: number;
  reason: string;
  sig: Uint8Array;
  /**
   * The contributor's audited head of the requester's chain (seq ≥ 1 and the BLAKE3 hash of the
   * record there): the requester sends only the records after it. Absent: none, the whole chain.
   */
  audited?: AuditedHead;
}

/** A payee's audited head of a payer's chain, as a claim carries it. */
export interface AuditedHead {
  seq: number;
  hash: Uint8Array;
}

export interface MarketAssign {
  jobId: string;
  requester: string;
  sig: Uint8Array;
  /** PledgeBundle JSON (escrow for this run); absent or empty: none. Itself payer-signed, so not in `sig`. */
  pledge?: string;
  /** A chunked PledgeBundle (version 2) instead of `pledge`; signed with the assignment. */
  pledgeRef?: BundleRef;
}

export const JOB_STATUSES = [
  'ok',
  'badInput',
  'budgetExhausted',
  'timeout',
  'cancelled',
  'internalError',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface MarketResult {
  jobId: string;
  contributor: string;
  status: JobStatus;
  costUsed: number;
  outputHash: Uint8Array;
  outputBytes: number;
  inline: Uint8Array;
  chunks: Uint8Array[];
  error: string;
  sig: Uint8Array;
  /** The contributor's audited head of the requester's chain after the run (its pledge audited). */
  audited?: AuditedHead;
}

export interface MarketPayment {
  jobId: string;
  /** The PaymentBundle JSON; empty when `ref` names its chunks. */
  bundle: string;
  /** A chunked bundle (version 2), signed by `payer`. */
  ref?: { payer: string; bundle: BundleRef; sig: Uint8Array };
}

export type MarketDecoded<T> = { ok: true; frame: T } | { ok: false; error: string };

class Invalid extends Error {}
const utf8 = new TextEncoder();
function fail(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}
function text(o: WireObject, k: string, max: number, path: string): string {
  const v = o[k];
  if (typeof v !== 'string') fail(`${path}.${k}`, 'expected text');
  if (v.length * 3 > max && utf8.encode(v).length > max) fail(`${path}.${k}`, `longer than ${max} bytes`);
  return v;
}
function nodeId(o: WireObject, k: string, path: string): string {
  const v = text(o, k, 64, path);
  if (!/^[0-9a-f]{64}$/.test(v)) fail(`${path}.${k}`, 'expected a node id (64 lowercase hex digits)');
  return v;
}
function data(o: WireObject, k: string, max: number, path: string, exact?: number): Uint8Array {
  const v = o[k];
  if (!(v instanceof Uint8Array)) fail(`${path}.${k}`, 'expected data');
  if (exact !== undefined && v.length !== exact)
    fail(`${path}.${k}`, `expected ${exact} bytes, got ${v.length}`);
  if (v.length > max) fail(`${path}.${k}`, `${v.length} bytes, at most ${max}`);
  return v;
}
function hashes(o: WireObject, k: string, max: number, path: string): Uint8Array[] {
  const v: WireValue | undefined = o[k];
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) fail(`${path}.${k}`, 'expected a list');
  if (v.length > max) fail(`${path}.${k}`, `${v.length} entries, at most ${max}`);
  return v.map((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== 32)
      fail(`${path}.${k}[${i}]`, 'expected a 32-byte BLAKE3 digest');
    return h;
  });
}
function u64(o: WireObject, k: string, path: string): number {
  const v = o[k];
  if (typeof v !== 'bigint') fail(`${path}.${k}`, 'expected a 64-bit integer');
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${path}.${k}`, 'above 2^53 - 1');
  return Number(v);
}

function decodeAs<T>(
  struct: string,
  bytes: unknown,
  validate: (o: WireObject, version: number) => T,
  newest = MARKET_VERSION,
): MarketDecoded<T> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: `${struct}: expected bytes` };
  if (bytes.length > (1 << 20) + 4096)
    return { ok: false, error: `${struct}: ${bytes.length} bytes, at most 1 MiB` };
  try {
    const limits = { traversalWords: Math.max(64, bytes.length >>> 2), nesting: 8 };
    const o = decodeDynamic(bytes, OUR_LAYOUTS, `market.capnp:${struct}`, { limits });
    const version = o['version'];
    if (typeof version !== 'number' || version < MARKET_VERSION || version > newest)
      fail(
        `${struct}.version`,
        `version ${String(version)}; this node speaks ${newest === MARKET_VERSION ? MARKET_VERSION : `${MARKET_VERSION} to ${newest}`}`,
      );
    return { ok: true, frame: validate(o, version) };
  } catch (err) {
    return { ok: false, error: `${struct}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const encodeAs = (struct: string, value: WireObject, version = MARKET_VERSION): Uint8Array =>
  encodeDynamic({ version, ...value }, OUR_LAYOUTS, `market.capnp:${struct}`);

/** Checks our own BundleRef before it is encoded (a wrong one is a bug here, not a peer's). */
function checkRef(what: string, r: BundleRef): void {
  const n = Math.ceil(r.bytes / LIMITS.chunkBytes);
  if (r.hash.length !== 32 || !Number.isSafeInteger(r.bytes) || r.bytes < 1 || r.chunks.length !== n)
    throw new RangeError(`${what}: expected a 32-byte hash, bytes ≥ 1 and ${n} chunk address(es)`);
  if (r.bytes > MARKET_LIMITS.chunkedBundleBytes)
    throw new RangeError(`${what}: ${r.bytes} bytes, at most ${MARKET_LIMITS.chunkedBundleBytes}`);
}

/**
 * A peer's BundleRef: 32-byte hash, 1 ≤ bytes ≤ chunkedBundleBytes (a contributor fetches no more),
 * exactly ceil(bytes / 1 MiB) chunk addresses.
 */
function bundleRef(o: WireObject, hashK: string, bytesK: string, chunksK: string, path: string): BundleRef {
  const bytes = u64(o, bytesK, path);
  if (bytes < 1) fail(`${path}.${bytesK}`, 'a chunked bundle must have bytes ≥ 1');
  if (bytes > MARKET_LIMITS.chunkedBundleBytes)
    fail(
      `${path}.${bytesK}`,
      `${bytes} bytes, at most ${MARKET_LIMITS.chunkedBundleBytes} (a chunked bundle this node fetches)`,
    );
  const chunks = hashes(o, chunksK, Math.ceil(MARKET_LIMITS.chunkedBundleBytes / LIMITS.chunkBytes), path);
  const n = Math.ceil(bytes / LIMITS.chunkBytes);
  if (chunks.length !== n)
    fail(`${path}.${chunksK}`, `${chunks.length} chunk(s) for ${bytes} bytes; expected ${n} of 1 MiB`);
  return { hash: data(o, hashK, 32, path, 32), bytes, chunks };
}

export function encodeOffer(f: MarketOffer): Uint8Array {
  return encodeAs('MarketOffer', {
    ...f,
    inputBytes: BigInt(f.inputBytes),
    budget: BigInt(f.budget),
    deadlineMs: BigInt(f.deadlineMs),
  });
}

export function decodeOffer(b: unknown): MarketDecoded<MarketOffer> {
  return decodeAs('MarketOffer', b, (o) => ({
    jobId: text(o, 'jobId', MARKET_LIMITS.idBytes, 'MarketOffer'),
    requester: nodeId(o, 'requester', 'MarketOffer'),
    capsule: text(o, 'capsule', MARKET_LIMITS.nameBytes, 'MarketOffer'),
    method: text(o, 'method', MARKET_LIMITS.nameBytes, 'MarketOffer'),
    params: text(o, 'params', MARKET_LIMITS.paramsBytes, 'MarketOffer'),
    paramsHash: data(o, 'paramsHash', 32, 'MarketOffer', 32),
    inputs: hashes(o, 'inputs', MARKET_LIMITS.inputChunks, 'MarketOffer'),
    inputBytes: u64(o, 'inputBytes', 'MarketOffer'),
    budget: u64(o, 'budget', 'MarketOffer'),
    deadlineMs: u64(o, 'deadlineMs', 'MarketOffer'),
    holdId: text(o, 'holdId', MARKET_LIMITS.idBytes, 'MarketOffer'),
    sig: data(o, 'sig', 64, 'MarketOffer'),
  }));
}

/** A claim's or result's audited head as wire fields (none: no fields, seq 0). */
function auditedFields(audited: AuditedHead | undefined, what: string): Record<string, unknown> {
  if (audited === undefined) return {};
  if (!Number.isSafeInteger(audited.seq) || audited.seq < 1 || audited.hash.length !== 32)
    throw new RangeError(`${what}.audited: expected a seq ≥ 1 and a 32-byte hash`);
  return { auditedSeq: BigInt(audited.seq), auditedHash: audited.hash };
}

export function encodeClaim(f: MarketClaim): Uint8Array {
  const { audited, ...rest } = f;
  return encodeAs('MarketClaim', { ...rest, ...auditedFields(audited, 'MarketClaim') });
}

export function decodeClaim(b: unknown): MarketDecoded<MarketClaim> {
  return decodeAs('MarketClaim', b, (o) => ({
    jobId: text(o, 'jobId', MARKET_LIMITS.idBytes, 'MarketClaim'),
    contributor: nodeId(o, 'contributor', 'MarketClaim'),
    accept: o['accept'] === true,
    free: typeof o['free'] === 'number' ? o['free'] : 0,
    reason: text(o, 'reason', MARKET_LIMITS.messageBytes, 'MarketClaim'),
    sig: data(o, 'sig', 64, 'MarketClaim'),
    ...auditedHead(o, 'MarketClaim'),
  }));
}

/** A claim's or result's audited head: absent in frames from before it existed (seq 0, no hash). */
function auditedHead(o: WireObject, what: string): { audited?: AuditedHead } {
  const seq = o['auditedSeq'] === undefined || o['auditedSeq'] === null ? 0 : u64(o, 'auditedSeq', what);
  const raw = o['auditedHash'];
  const empty = raw === undefined || raw === null || (raw instanceof Uint8Array && raw.length === 0);
  if (seq === 0) {
    if (!empty) fail(`${what}.auditedHash`, 'must be empty when auditedSeq is 0 (no audited head)');
    return {};
  }
  return { audited: { seq, hash: data(o, 'auditedHash', 32, what, 32) } };
}

export function encodeAssign(f: MarketAssign): Uint8Array {
  const { pledgeRef, ...rest } = f;
  if (pledgeRef === undefined) return encodeAs('MarketAssign', { ...rest });
  checkRef('MarketAssign.pledgeRef', pledgeRef);
  if (rest.pledge !== undefined && rest.pledge !== '')
    throw new RangeError('MarketAssign: a pledge travels inline or chunked, not both');
  return encodeAs(
    'MarketAssign',
    {
      ...rest,
      pledgeHash: pledgeRef.hash,
      pledgeBytes: BigInt(pledgeRef.bytes),
      pledgeChunks: pledgeRef.chunks,
    },
    MARKET_CHUNKED_VERSION,
  );
}

export function decodeAssign(b: unknown): MarketDecoded<MarketAssign> {
  return decodeAs(
    'MarketAssign',
    b,
    (o, version) => {
      const base = {
        jobId: text(o, 'jobId', MARKET_LIMITS.idBytes, 'MarketAssign'),
        requester: nodeId(o, 'requester', 'MarketAssign'),
        sig: data(o, 'sig', 64, 'MarketAssign'),
      };
      const inline =
        typeof o['pledge'] === 'string' && o['pledge'] !== ''
          ? text(o, 'pledge', MARKET_LIMITS.bundleBytes, 'MarketAssign')
          : undefined;
      if (version < MARKET_CHUNKED_VERSION)
        return { ...base, ...(inline !== undefined ? { pledge: inline } : {}) };
      if (inline !== undefined)
        fail('MarketAssign.pledge', 'must be empty in a chunked (version 2) assignment');
      return {
        ...base,
        pledgeRef: bundleRef(o, 'pledgeHash', 'pledgeBytes', 'pledgeChunks', 'MarketAssign'),
      };
    },
    MARKET_CHUNKED_VERSION,
  );
}

export function encodeResult(f: MarketResult): Uint8Array {
  const { audited, ...rest } = f;
  return encodeAs('MarketResult', {
    ...rest,
    costUsed: BigInt(f.costUsed),
    outputBytes: BigInt(f.outputBytes),
    ...auditedFields(audited, 'MarketResult'),
  });
}

export function decodeResult(b: unknown): MarketDecoded<MarketResult> {
  return decodeAs('MarketResult', b, (o) => {
    const status = o['status'];
    if (typeof status !== 'string' || !(JOB_STATUSES as readonly string[]).includes(status))
      fail('MarketResult.status', `expected one of ${JOB_STATUSES.join(', ')}`);
    return {
      jobId: text(o, 'jobId', MARKET_LIMITS.idBytes, 'MarketResult'),
      contributor: nodeId(o, 'contributor', 'MarketResult'),
      status: status as JobStatus,
      costUsed: u64(o, 'costUsed', 'MarketResult'),
      outputHash: data(o, 'outputHash', 32, 'MarketResult', 32),
      outputBytes: u64(o, 'outputBytes', 'MarketResult'),
      inline: data(o, 'inline', MARKET_LIMITS.inlineBytes, 'MarketResult'),
      chunks: hashes(o, 'chunks', MARKET_LIMITS.outputChunks, 'MarketResult'),
      error: text(o, 'error', MARKET_LIMITS.messageBytes, 'MarketResult'),
      sig: data(o, 'sig', 64, 'MarketResult'),
      ...auditedHead(o, 'MarketResult'),
    };
  });
}

export function encodePayment(f: MarketPayment): Uint8Array {
  const { ref, ...rest } = f;
  if (ref === undefined) return encodeAs('MarketPayment', { ...rest });
  checkRef('MarketPayment.ref', ref.bundle);
  if (rest.bundle !== '') throw new RangeError('MarketPayment: a bundle travels inline or chunked, not both');
  return encodeAs(
    'MarketPayment',
    {
      ...rest,
      payer: ref.payer,
      bundleHash: ref.bundle.hash,
      bundleBytes: BigInt(ref.bundle.bytes),
      bundleChunks: ref.bundle.chunks,
      sig: ref.sig,
    },
    MARKET_CHUNKED_VERSION,
  );
}

export function decodePayment(b: unknown): MarketDecoded<MarketPayment> {
  return decodeAs(
    'MarketPayment',
    b,
    (o, version) => {
      const jobId = text(o, 'jobId', MARKET_LIMITS.idBytes, 'MarketPayment');
      const bundle = text(o, 'bundle', MARKET_LIMITS.bundleBytes, 'MarketPayment');
      if (version < MARKET_CHUNKED_VERSION) return { jobId, bundle };
      if (bundle !== '') fail('MarketPayment.bundle', 'must be empty in a chunked (version 2) payment');
      return {
        jobId,
        bundle,
        ref: {
          payer: nodeId(o, 'payer', 'MarketPayment'),
          bundle: bundleRef(o, 'bundleHash', 'bundleBytes', 'bundleChunks', 'MarketPayment'),
          sig: data(o, 'sig', 64, 'MarketPayment', 64),
        },
      };
    },
    MARKET_CHUNKED_VERSION,
  );
}
