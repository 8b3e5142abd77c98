/**
 * The v1 mesh fixtures (tests/fixtures/frames/v1/{Advert,AdvertSolicit,RpcFrame,ChunkFrame,...}.bin, written by the
 * reference capnp tool from the .txt beside each) decode with our codecs to the values in the .txt,
 * and capnp still produces the same bytes. Never regenerate a v1 fixture to make a test pass.
 * RpcFrame / RpcRequest grew `budgetMs @3` in session 10: their v1 bytes still decode (budget 0, not
 * given), and capnp's provenance check runs against their v2 fixture (tests/fixtures/frames/v2).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAdvert, decodeChunk, decodeRpc, decodeSolicit } from '../../../src/mesh/protocol/frames.ts';
import { decodeDynamic, OUR_LAYOUTS } from '../../../src/wire/index.ts';
import { needTools } from '../../_tools.ts';
import { capnp, REPO, schemaPath } from '../wire/_support/capnp-tool.ts';

const DIR = join(REPO, 'tests/fixtures/frames/v1');
const V2 = join(REPO, 'tests/fixtures/frames/v2');
const read = (name: string, dir = DIR): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
/** The request both RpcFrame fixtures hold; v1's decodes with budget 0 (not given). */
const rpcRequest = (budgetMs: number) => ({
  ok: true,
  frame: {
    kind: 'request',
    id: 7n,
    method: 'job.submit',
    deadlineMs: 1800000005000n,
    body: new Uint8Array([1, 2, 3]),
    budgetMs,
  },
});
/** Structs that grew after v1: provenance from their v2 fixture. */
const GREW = new Set(['RpcFrame', 'RpcRequest']);
const A = new Uint8Array(32).fill(0x11);
const B = new Uint8Array(32).fill(0x22);
const STRUCTS = [
  'Advert',
  'AdvertSolicit',
  'CapsuleOffer',
  'Gpu',
  'RpcFrame',
  'RpcRequest',
  'RpcResponse',
  'ChunkFrame',
  'ChunkWant',
  'ChunkHave',
  'ChunkBlock',
  'ChunkError',
];

describe('mesh v1 fixtures', () => {
  it('root frames decode with the mesh codecs', () => {
    expect(decodeAdvert(read('Advert.bin'))).toEqual({
      ok: true,
      frame: {
        peerId: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf',
        seq: 1800000000123n,
        timestampMs: 1800000000000n,
        ttlMs: 60000,
        capsules: [
          { name: 'hash', version: 1 },
          { name: 'storage', version: 2 },
        ],
        workers: 4,
        gpu: { available: true, vendor: 'nvidia', architecture: 'hopper' },
        throttle: 0.5,
      },
    });
    expect(decodeSolicit(read('AdvertSolicit.bin'))).toEqual({
      ok: true,
      frame: { peerId: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf', timestampMs: 1800000000000n },
    });
    expect(decodeRpc(read('RpcFrame.bin'))).toEqual(rpcRequest(0));
    expect(decodeChunk(read('ChunkFrame.bin'))).toEqual({
      ok: true,
      frame: { kind: 'want', hashes: [A, B], sendBlock: false },
    });
  });

  it('inner structs decode through the schema-driven decoder', () => {
    const d = (s: string) => decodeDynamic(read(`${s}.bin`), OUR_LAYOUTS, `mesh.capnp:${s}`);
    expect(d('CapsuleOffer')).toEqual({ name: 'hash', version: 1 });
    expect(d('Gpu')).toEqual({ available: true, vendor: 'nvidia', architecture: 'hopper' });
    expect(d('RpcResponse')).toEqual({
      status: 'busy',
      body: new Uint8Array(0),
      message: 'over the stream limits; retry later',
    });
    expect(d('ChunkWant')).toEqual({ hashes: [A], sendBlock: true });
    expect(d('ChunkHave')).toEqual({ hashes: [B] });
    expect(d('ChunkBlock')).toEqual({ hash: A, bytes: new TextEncoder().encode('chunk bytes') });
    expect(d('ChunkError')).toEqual({ hash: B, code: 'notFound', message: '' });
    expect(d('RpcRequest')).toEqual({
      method: 'job.submit',
      deadlineMs: 1800000005000n,
      body: new Uint8Array([1, 2, 3]),
      budgetMs: 0,
    });
  });

  it('v2: a request carries the budget its sender still waits (budgetMs @3)', () => {
    expect(decodeRpc(read('RpcFrame.bin', V2))).toEqual(rpcRequest(9500));
    expect(decodeDynamic(read('RpcRequest.bin', V2), OUR_LAYOUTS, 'mesh.capnp:RpcRequest')['budgetMs']).toBe(
      9500,
    );
  });

  it.skipIf(!needTools('capnp'))('capnp still produces each .bin from its .txt (fixture provenance)', () => {
    for (const s of STRUCTS) {
      const dir = GREW.has(s) ? V2 : DIR;
      const bytes = capnp(['encode', schemaPath('mesh.capnp'), s], readFileSync(join(dir, `${s}.txt`)));
      expect(new Uint8Array(bytes), s).toEqual(read(`${s}.bin`, dir));
    }
  });
});
