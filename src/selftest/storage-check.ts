/**
 * The storage capsule in a real browser:
 *  - chunkStoreRoundTrip / chunkStoreGet: a multi-chunk blob into openBrowserChunkStore (OPFS files,
 *    IndexedDB index and key); the e2e test reloads the page between the two, so `get` runs in a new
 *    document with a new store instance;
 *  - chunkStoreTamper: flips one byte of a stored chunk file in OPFS; `get` must throw
 *    ChunkCorruptError, drop the damaged copy, and a fresh `put` must make the blob readable again;
 *  - brotliRoundTrip: storage.compress / storage.decompress as jobs in the pool's Workers (the web
 *    brotli-wasm loader of pool-worker.ts), and the 841-byte / 1 GiB brotli bomb refused.
 */
import { z } from 'zod';
import bombText from '../capsules/storage/vectors/brotli-bomb.json?raw';
import { ChunkCorruptError, chunkPath } from '../capsules/storage/index.ts';
import { errorJson, fromHex, mulberry32, toHex } from './_stats.ts';
import { STORE_NAME, type SelfTestHost } from './host.ts';

export interface StoredBlob {
  address: string;
  bytes: number;
  sha256: string;
}

export type ChunkGetResult = StoredBlob | { address: string; error: { name: string; message: string } };

export interface TamperResult {
  address: string;
  fileBytes: number;
  flippedAt: number;
  readBeforeTamper: boolean;
  error: { name: string; message: string } | null;
  isChunkCorruptError: boolean;
  damagedFileRemoved: boolean;
  readableAfterPutAgain: boolean;
}

export interface BrotliResult {
  inputBytes: number;
  compressedBytes: number;
  roundTripEqual: boolean;
  compressStatus: string;
  decompressStatus: string;
  workers: number[];
  bomb: { inputBytes: number; status: string; error: string };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice())));
}

/** crypto.getRandomValues fills at most 64 KiB per call. */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
}

/** Text-like bytes that compress (JSON lines with seeded numbers), `n` long. */
function textBytes(n: number, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  const enc = new TextEncoder();
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const line = enc.encode(
      `{"job":${Math.floor(rnd() * 1e6)},"capsule":"crypto","method":"sha256","cost":${(rnd() * 100).toFixed(3)}}\n`,
    );
    out.set(line.subarray(0, n - at), at);
    at += line.length;
  }
  return out;
}

export async function chunkStoreRoundTrip(host: SelfTestHost): Promise<StoredBlob> {
  const store = await host.chunkStore();
  // 2.5 MiB: three 1 MiB chunks and a manifest; half text, half noise (one chunk stays raw).
  const blob = new Uint8Array(2.5 * (1 << 20));
  blob.set(textBytes(1.25 * (1 << 20), 1));
  blob.set(randomBytes(0.25 * (1 << 20)), 1.25 * (1 << 20));
  const address = await store.putBlob(blob);
  return { address, bytes: blob.length, sha256: await sha256Hex(blob) };
}

export async function chunkStoreGet(host: SelfTestHost, address: string): Promise<ChunkGetResult> {
  try {
    const bytes = await (await host.chunkStore()).getBlob(address);
    return { address, bytes: bytes.length, sha256: await sha256Hex(bytes) };
  } catch (err) {
    return { address, error: errorJson(err) };
  }
}

async function chunkFile(address: string): Promise<FileSystemFileHandle | null> {
  let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(STORE_NAME);
  const parts = chunkPath(address).split('/');
  const name = parts.pop()!;
  try {
    for (const p of parts) dir = await dir.getDirectoryHandle(p);
    return await dir.getFileHandle(name);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotFoundError') return null;
    throw err;
  }
}

export async function chunkStoreTamper(host: SelfTestHost): Promise<TamperResult> {
  const store = await host.chunkStore();
  // One chunk (under 1 MiB), random so that every call stores a new address.
  const blob = randomBytes(200 * 1024);
  const address = await store.putBlob(blob);
  const readBeforeTamper = (await sha256Hex(await store.getBlob(address))) === (await sha256Hex(blob));
  const handle = await chunkFile(address);
  if (!handle) throw new Error(`chunk ${address} has no file in OPFS at ${STORE_NAME}/${chunkPath(address)}`);
  const file = new Uint8Array(await (await handle.getFile()).arrayBuffer());
  const flippedAt = file.length >> 1;
  file[flippedAt]! ^= 0x01;
  const w = await handle.createWritable();
  await w.write(file);
  await w.close();
  let error: TamperResult['error'] = null;
  let isChunkCorruptError = false;
  try {
    await store.getBlob(address);
  } catch (err) {
    error = errorJson(err);
    isChunkCorruptError = err instanceof ChunkCorruptError;
  }
  const damagedFileRemoved = (await chunkFile(address)) === null;
  await store.putBlob(blob);
  const readableAfterPutAgain = (await sha256Hex(await store.getBlob(address))) === (await sha256Hex(blob));
  return {
    address,
    fileBytes: file.length,
    flippedAt,
    readBeforeTamper,
    error,
    isChunkCorruptError,
    damagedFileRemoved,
    readableAfterPutAgain,
  };
}

export async function brotliRoundTrip(host: SelfTestHost): Promise<BrotliResult> {
  const { engine } = await host.engine();
  const input = textBytes(1 << 20, 7);
  const packed = await engine.submit({
    library: 'storage',
    method: 'compress',
    params: '{"quality":5}',
    input,
  });
  const unpacked = await engine.submit({ library: 'storage', method: 'decompress', input: packed.output });
  const bomb = z.object({ hex: z.string(), decodedBytes: z.number() }).parse(JSON.parse(bombText));
  const bombBytes = fromHex(bomb.hex);
  const bombOut = await engine.submit({ library: 'storage', method: 'decompress', input: bombBytes });
  const out = unpacked.output;
  return {
    inputBytes: input.length,
    compressedBytes: packed.output.length,
    roundTripEqual: out.length === input.length && out.every((b, i) => b === input[i]),
    compressStatus: packed.status + (packed.error ? `: ${packed.error}` : ''),
    decompressStatus: unpacked.status + (unpacked.error ? `: ${unpacked.error}` : ''),
    workers: [packed.worker, unpacked.worker],
    bomb: { inputBytes: bombBytes.length, status: bombOut.status, error: bombOut.error },
  };
}
