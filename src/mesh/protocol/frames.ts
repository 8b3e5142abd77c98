/**
 * Codecs for the mesh frames in schemas/mesh.capnp, over the bounds-checked schema-driven codec in
 * src/wire (encodeDynamic/decodeDynamic with the generated layouts), plus the limits the schema
 * comments promise. Decoders never throw: bytes from a peer are checked for size before any
 * parsing, decoded with a traversal budget proportional to that size, then validated field by
 * field, and every failure comes back as `{ ok: false, error: MeshError }` ('oversize' or
 * 'bad-frame') so the caller can penalise the sender and carry on. Encoders check our own values
 * and throw EncodeError (a bug on our side, not a peer's).
 */
import {
  decodeDynamic,
  encodeDynamic,
  EncodeError,
  OUR_LAYOUTS,
  type WireObject,
  type WireValue,
} from '../../wire/index.ts';
import { FRAME_VERSION, KEY_BYTES } from './ids.ts';
import { MeshError } from './errors.ts';

export const LIMITS = {
  /** Largest advert frame; a full one (64 capsules, GPU strings) is under 4 KiB. */
  advertBytes: 16 << 10,
  /** Largest RpcFrame (a 1 MiB body plus headers). */
  rpcBytes: (1 << 20) + (4 << 10),
  /** Largest ChunkFrame (a 1 MiB block plus headers). */
  chunkFrameBytes: (1 << 20) + (4 << 10),
  /** Largest chunk on the wire: the chunk store's default chunk size. */
  chunkBytes: 1 << 20,
  rpcBodyBytes: 1 << 20,
  wantHashes: 64,
  capsules: 64,
  /** Capsule names, RPC methods, GPU strings. */
  nameBytes: 64,
  peerIdBytes: 128,
  messageBytes: 1024,
  /** Receivers cap an advert's ttl at this. */
  advertTtlMs: 10 * 60_000,
  /** Largest advert solicitation frame (a PeerId and a timestamp: under 200 bytes). */
  solicitBytes: 512,
} as const;

export interface CapsuleOffer {
  name: string;
  version: number;
}
export interface GpuInfo {
  available: boolean;
  vendor: string;
  architecture: string;
}
export interface AdvertFrame {
  peerId: string;
  seq: bigint;
  timestampMs: bigint;
  ttlMs: number;
  capsules: CapsuleOffer[];
  workers: number;
  gpu: GpuInfo;
  /** 0..1; Float32 on the wire, so it reads back as Math.fround(throttle). */
  throttle: number;
}

/** "I just joined: republish your advert" (schemas/mesh.capnp AdvertSolicit). */
export interface AdvertSolicitFrame {
  peerId: string;
  timestampMs: bigint;
}

export type RpcStatus = 'ok' | 'badRequest' | 'unknownMethod' | 'busy' | 'failed';
export const RPC_STATUSES: readonly RpcStatus[] = ['ok', 'badRequest', 'unknownMethod', 'busy', 'failed'];
export type RpcFrame =
  | {
      kind: 'request';
      id: bigint;
      method: string;
      deadlineMs: bigint;
      body: Uint8Array;
      /** ms the requester still waits, counted when it wrote the frame; 0 = not given (older peers). */
      budgetMs?: number;
    }
  | { kind: 'response'; id: bigint; status: RpcStatus; body: Uint8Array; message: string };

export type ChunkErrorCode = 'notFound' | 'tooLarge' | 'busy' | 'badRequest';
export const CHUNK_ERROR_CODES: readonly ChunkErrorCode[] = ['notFound', 'tooLarge', 'busy', 'badRequest'];
export type ChunkFrame = (
  | { kind: 'want'; hashes: Uint8Array[]; sendBlock: boolean }
  | { kind: 'have'; hashes: Uint8Array[] }
  | { kind: 'block'; hash: Uint8Array; bytes: Uint8Array }
  | { kind: 'error'; hash: Uint8Array; code: ChunkErrorCode; message: string }
) & {
  /** /inos/chunks/2: the want's id, echoed by its answer (uint32; 0 or absent on /inos/chunks/1). */
  requestId?: number;
};

export type Decoded<T> = { ok: true; frame: T } | { ok: false; error: MeshError };

const utf8 = new TextEncoder();
/** UTF-8 length; a string of n UTF-16 units takes at most 3n bytes, so short strings skip the encode. */
const byteLength = (s: string): number => utf8.encode(s).length;
const fits = (s: string, max: number): boolean => s.length * 3 <= max || byteLength(s) <= max;

// ---- validation of decoded trees (peer input: return a reason, never throw) ----

class Invalid extends Error {}
function bad(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}
function obj(v: WireValue | undefined, path: string): WireObject {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array)
    bad(path, 'missing');
  return v;
}
function text(v: WireValue | undefined, path: string, maxBytes: number): string {
  if (typeof v !== 'string') bad(path, 'expected text');
  if (!fits(v, maxBytes)) bad(path, `longer than ${maxBytes} bytes`);
  return v;
}
function bytes(v: WireValue | undefined, path: string, maxBytes: number): Uint8Array {
  if (!(v instanceof Uint8Array)) bad(path, 'expected data');
  if (v.length > maxBytes) bad(path, `${v.length} bytes, at most ${maxBytes} allowed`);
  return v;
}
function hash(v: WireValue | undefined, path: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== KEY_BYTES)
    bad(path, `expected a ${KEY_BYTES}-byte BLAKE3 digest`);
  return v;
}
function list(v: WireValue | undefined, path: string, max: number): WireValue[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) bad(path, 'expected a list');
  if (v.length > max) bad(path, `${v.length} entries, at most ${max} allowed`);
  return v;
}
function num(v: WireValue | undefined, path: string): number {
  if (typeof v !== 'number') bad(path, 'expected a number');
  return v;
}
function big(v: WireValue | undefined, path: string): bigint {
  if (typeof v !== 'bigint') bad(path, 'expected a 64-bit integer');
  return v;
}
function oneOf<T extends string>(v: WireValue | undefined, names: readonly T[], path: string): T {
  if (typeof v !== 'string' || !names.includes(v as T)) bad(path, `expected one of ${names.join(', ')}`);
  return v as T;
}

function decodeWith<T>(
  what: string,
  input: unknown,
  maxBytes: number,
  struct: string,
  validate: (o: WireObject) => T,
): Decoded<T> {
  if (!(input instanceof Uint8Array))
    return { ok: false, error: new MeshError('bad-frame', `${what}: expected bytes`) };
  if (input.length > maxBytes)
    return {
      ok: false,
      error: new MeshError('oversize', `${what}: ${input.length} bytes, at most ${maxBytes} allowed`),
    };
  try {
    // A frame of n bytes has at most n/8 words; twice that bounds honest traversal, and
    // pointer aliasing (amplification) hits the budget instead of the CPU.
    const limits = { traversalWords: Math.max(64, input.length >>> 2), nesting: 8 };
    const o = decodeDynamic(input, OUR_LAYOUTS, `mesh.capnp:${struct}`, { limits });
    if (o.version !== FRAME_VERSION)
      bad(`${struct}.version`, `version ${String(o.version)}; this node speaks ${FRAME_VERSION}`);
    return { ok: true, frame: validate(o) };
  } catch (err) {
    // FrameError from the wire codec or Invalid from the checks above; anything else is a bug,
    // still reported as a bad frame so that one peer's bytes cannot take the node down.
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, error: new MeshError('bad-frame', `${what}: ${msg}`, { cause: err }) };
  }
}

function encodeChecked(value: WireObject, struct: string, maxBytes: number): Uint8Array {
  const out = encodeDynamic(value, OUR_LAYOUTS, `mesh.capnp:${struct}`);
  if (out.length > maxBytes)
    throw new EncodeError(struct, `frame is ${out.length} bytes, at most ${maxBytes} allowed`);
  return out;
}

// ---- Advert ----

function checkAdvert(a: AdvertFrame): void {
  if (a.peerId.length === 0 || byteLength(a.peerId) > LIMITS.peerIdBytes)
    throw new EncodeError('Advert.peerId', `1 to ${LIMITS.peerIdBytes} bytes`);
  if (a.capsules.length > LIMITS.capsules)
    throw new EncodeError('Advert.capsules', `at most ${LIMITS.capsules}`);
  if (!(a.throttle >= 0 && a.throttle <= 1)) throw new EncodeError('Advert.throttle', 'expected 0..1');
}

export function encodeAdvert(a: AdvertFrame): Uint8Array {
  checkAdvert(a);
  return encodeChecked(
    {
      version: FRAME_VERSION,
      peerId: a.peerId,
      seq: a.seq,
      timestampMs: a.timestampMs,
      ttlMs: a.ttlMs,
      capsules: a.capsules.map((c) => ({ name: c.name, version: c.version })),
      workers: a.workers,
      gpu: { available: a.gpu.available, vendor: a.gpu.vendor, architecture: a.gpu.architecture },
      throttle: a.throttle,
    },
    'Advert',
    LIMITS.advertBytes,
  );
}

export function decodeAdvert(input: Uint8Array): Decoded<AdvertFrame> {
  return decodeWith('Advert', input, LIMITS.advertBytes, 'Advert', (o) => {
    const peerId = text(o.peerId, 'Advert.peerId', LIMITS.peerIdBytes);
    if (peerId.length === 0) bad('Advert.peerId', 'empty');
    const throttle = num(o.throttle, 'Advert.throttle');
    if (!(throttle >= 0 && throttle <= 1)) bad('Advert.throttle', 'expected 0..1');
    const gpu =
      o.gpu === null
        ? { available: false, vendor: '', architecture: '' }
        : (() => {
            const g = obj(o.gpu, 'Advert.gpu');
            return {
              available: g.available === true,
              vendor: text(g.vendor, 'Advert.gpu.vendor', LIMITS.nameBytes),
              architecture: text(g.architecture, 'Advert.gpu.architecture', LIMITS.nameBytes),
            };
          })();
    return {
      peerId,
      seq: big(o.seq, 'Advert.seq'),
      timestampMs: big(o.timestampMs, 'Advert.timestampMs'),
      ttlMs: num(o.ttlMs, 'Advert.ttlMs'),
      capsules: list(o.capsules, 'Advert.capsules', LIMITS.capsules).map((c, i) => {
        const co = obj(c, `Advert.capsules[${i}]`);
        const name = text(co.name, `Advert.capsules[${i}].name`, LIMITS.nameBytes);
        if (name.length === 0) bad(`Advert.capsules[${i}].name`, 'empty');
        return { name, version: num(co.version, `Advert.capsules[${i}].version`) };
      }),
      workers: num(o.workers, 'Advert.workers'),
      gpu,
      throttle,
    };
  });
}

// ---- AdvertSolicit ----

export function encodeSolicit(f: AdvertSolicitFrame): Uint8Array {
  if (f.peerId.length === 0 || byteLength(f.peerId) > LIMITS.peerIdBytes)
    throw new EncodeError('AdvertSolicit.peerId', `1 to ${LIMITS.peerIdBytes} bytes`);
  return encodeChecked(
    { version: FRAME_VERSION, peerId: f.peerId, timestampMs: f.timestampMs },
    'AdvertSolicit',
    LIMITS.solicitBytes,
  );
}

export function decodeSolicit(input: Uint8Array): Decoded<AdvertSolicitFrame> {
  return decodeWith('AdvertSolicit', input, LIMITS.solicitBytes, 'AdvertSolicit', (o) => {
    const peerId = text(o.peerId, 'AdvertSolicit.peerId', LIMITS.peerIdBytes);
    if (peerId.length === 0) bad('AdvertSolicit.peerId', 'empty');
    return { peerId, timestampMs: big(o.timestampMs, 'AdvertSolicit.timestampMs') };
  });
}

// ---- RpcFrame ----

export function encodeRpc(f: RpcFrame): Uint8Array {
  const head = { version: FRAME_VERSION, id: f.id };
  if (f.kind === 'request') {
    if (f.method.length === 0 || byteLength(f.method) > LIMITS.nameBytes)
      throw new EncodeError('RpcRequest.method', `1 to ${LIMITS.nameBytes} bytes`);
    const budgetMs = f.budgetMs ?? 0;
    if (!Number.isInteger(budgetMs) || budgetMs < 0 || budgetMs > 0xffffffff)
      throw new EncodeError('RpcRequest.budgetMs', 'an integer in 0..2^32-1');
    return encodeChecked(
      { ...head, request: { method: f.method, deadlineMs: f.deadlineMs, body: f.body, budgetMs } },
      'RpcFrame',
      LIMITS.rpcBytes,
    );
  }
  if (byteLength(f.message) > LIMITS.messageBytes)
    throw new EncodeError('RpcResponse.message', `at most ${LIMITS.messageBytes} bytes`);
  return encodeChecked(
    { ...head, response: { status: f.status, body: f.body, message: f.message } },
    'RpcFrame',
    LIMITS.rpcBytes,
  );
}

export function decodeRpc(input: Uint8Array): Decoded<RpcFrame> {
  return decodeWith('RpcFrame', input, LIMITS.rpcBytes, 'RpcFrame', (o): RpcFrame => {
    const id = big(o.id, 'RpcFrame.id');
    if (o.request !== undefined) {
      const r = obj(o.request, 'RpcFrame.request');
      const method = text(r.method, 'RpcRequest.method', LIMITS.nameBytes);
      if (method.length === 0) bad('RpcRequest.method', 'empty');
      return {
        kind: 'request',
        id,
        method,
        deadlineMs: big(r.deadlineMs, 'RpcRequest.deadlineMs'),
        body: bytes(r.body, 'RpcRequest.body', LIMITS.rpcBodyBytes),
        budgetMs: num(r.budgetMs, 'RpcRequest.budgetMs'),
      };
    }
    if (o.response !== undefined) {
      const r = obj(o.response, 'RpcFrame.response');
      return {
        kind: 'response',
        id,
        status: oneOf(r.status, RPC_STATUSES, 'RpcResponse.status'),
        body: bytes(r.body, 'RpcResponse.body', LIMITS.rpcBodyBytes),
        message: text(r.message, 'RpcResponse.message', LIMITS.messageBytes),
      };
    }
    return bad('RpcFrame', 'neither request nor response (unknown union member)');
  });
}

// ---- ChunkFrame ----

function checkHash(h: Uint8Array, path: string): void {
  if (!(h instanceof Uint8Array) || h.length !== KEY_BYTES)
    throw new EncodeError(path, `expected a ${KEY_BYTES}-byte digest`);
}

export function encodeChunk(f: ChunkFrame): Uint8Array {
  const requestId = f.requestId ?? 0;
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xffff_ffff)
    throw new EncodeError('ChunkFrame.requestId', 'an integer 0 to 2^32-1');
  const head = { version: FRAME_VERSION, requestId };
  switch (f.kind) {
    case 'want':
    case 'have':
      if (f.hashes.length > LIMITS.wantHashes)
        throw new EncodeError(`Chunk${f.kind}.hashes`, `at most ${LIMITS.wantHashes}`);
      f.hashes.forEach((h, i) => checkHash(h, `Chunk${f.kind}.hashes[${i}]`));
      if (f.kind === 'want' && f.sendBlock && f.hashes.length !== 1)
        throw new EncodeError('ChunkWant.hashes', 'a block request names exactly one hash');
      return encodeChecked(
        f.kind === 'want'
          ? { ...head, want: { hashes: f.hashes, sendBlock: f.sendBlock } }
          : { ...head, have: { hashes: f.hashes } },
        'ChunkFrame',
        LIMITS.chunkFrameBytes,
      );
    case 'block':
      checkHash(f.hash, 'ChunkBlock.hash');
      if (f.bytes.length > LIMITS.chunkBytes)
        throw new EncodeError('ChunkBlock.bytes', `at most ${LIMITS.chunkBytes} bytes`);
      return encodeChecked(
        { ...head, block: { hash: f.hash, bytes: f.bytes } },
        'ChunkFrame',
        LIMITS.chunkFrameBytes,
      );
    case 'error':
      checkHash(f.hash, 'ChunkError.hash');
      return encodeChecked(
        { ...head, error: { hash: f.hash, code: f.code, message: f.message } },
        'ChunkFrame',
        LIMITS.chunkFrameBytes,
      );
  }
}

export function decodeChunk(input: Uint8Array): Decoded<ChunkFrame> {
  return decodeWith('ChunkFrame', input, LIMITS.chunkFrameBytes, 'ChunkFrame', (o): ChunkFrame => {
    const f = chunkMember(o);
    const id = typeof o.requestId === 'number' ? o.requestId : 0;
    return id === 0 ? f : { ...f, requestId: id };
  });
}

function chunkMember(o: WireObject): ChunkFrame {
  if (o.want !== undefined) {
    const w = obj(o.want, 'ChunkFrame.want');
    const hashes = list(w.hashes, 'ChunkWant.hashes', LIMITS.wantHashes).map((h, i) =>
      hash(h, `ChunkWant.hashes[${i}]`),
    );
    const sendBlock = w.sendBlock === true;
    if (hashes.length === 0) bad('ChunkWant.hashes', 'empty');
    if (sendBlock && hashes.length !== 1) bad('ChunkWant.hashes', 'a block request names exactly one hash');
    return { kind: 'want', hashes, sendBlock };
  }
  if (o.have !== undefined) {
    const h = obj(o.have, 'ChunkFrame.have');
    return {
      kind: 'have',
      hashes: list(h.hashes, 'ChunkHave.hashes', LIMITS.wantHashes).map((x, i) =>
        hash(x, `ChunkHave.hashes[${i}]`),
      ),
    };
  }
  if (o.block !== undefined) {
    const b = obj(o.block, 'ChunkFrame.block');
    return {
      kind: 'block',
      hash: hash(b.hash, 'ChunkBlock.hash'),
      bytes: bytes(b.bytes, 'ChunkBlock.bytes', LIMITS.chunkBytes),
    };
  }
  if (o.error !== undefined) {
    const e = obj(o.error, 'ChunkFrame.error');
    return {
      kind: 'error',
      hash: hash(e.hash, 'ChunkError.hash'),
      code: oneOf(e.code, CHUNK_ERROR_CODES, 'ChunkError.code'),
      message: text(e.message, 'ChunkError.message', LIMITS.messageBytes),
    };
  }
  return bad('ChunkFrame', 'no known member (want, have, block, error)');
}
