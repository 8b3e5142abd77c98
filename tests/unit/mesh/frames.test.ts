/** Mesh frame codecs: round trips, limits, and "bad bytes give a typed error, never a throw". */
import { describe, expect, it } from 'vitest';
import {
  decodeAdvert,
  decodeChunk,
  decodeRpc,
  encodeAdvert,
  encodeChunk,
  encodeRpc,
  LIMITS,
  type AdvertFrame,
  type ChunkFrame,
  type RpcFrame,
} from '../../../src/mesh/protocol/frames.ts';
import { MeshError } from '../../../src/mesh/protocol/errors.ts';
import { EncodeError, encodeDynamic, OUR_LAYOUTS } from '../../../src/wire/index.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const h = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const advert: AdvertFrame = {
  peerId: '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf',
  seq: 1_800_000_000_123n,
  timestampMs: 1_800_000_000_000n,
  ttlMs: 60_000,
  capsules: [
    { name: 'hash', version: 1 },
    { name: 'storage', version: 2 },
  ],
  workers: 4,
  gpu: { available: true, vendor: 'nvidia', architecture: 'hopper' },
  throttle: 0.5,
};

describe('mesh frames: round trips', () => {
  it('Advert', () => {
    const d = decodeAdvert(encodeAdvert(advert));
    expect(d).toEqual({ ok: true, frame: advert });
  });

  it('RpcFrame request and response', () => {
    const frames: RpcFrame[] = [
      {
        kind: 'request',
        id: 7n,
        method: 'job.submit',
        deadlineMs: 5n,
        body: new Uint8Array([1, 2, 3]),
        budgetMs: 9500,
      },
      { kind: 'response', id: 7n, status: 'busy', body: new Uint8Array(0), message: 'later' },
    ];
    for (const f of frames) expect(decodeRpc(encodeRpc(f))).toEqual({ ok: true, frame: f });
  });

  it('ChunkFrame want, have, block, error', () => {
    const frames: ChunkFrame[] = [
      { kind: 'want', hashes: [h(1), h(2)], sendBlock: false },
      { kind: 'want', hashes: [h(1)], sendBlock: true },
      { kind: 'have', hashes: [h(2)] },
      { kind: 'block', hash: h(3), bytes: new Uint8Array(1000).fill(9) },
      { kind: 'error', hash: h(4), code: 'notFound', message: '' },
    ];
    for (const f of frames) expect(decodeChunk(encodeChunk(f))).toEqual({ ok: true, frame: f });
  });
});

describe('mesh frames: limits and bad input', () => {
  it('rejects oversize frames before parsing them', () => {
    const d = decodeChunk(new Uint8Array(LIMITS.chunkFrameBytes + 1));
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.error).toBeInstanceOf(MeshError);
      expect(d.error.code).toBe('oversize');
      expect(d.error.message).toMatch(/at most/);
    }
    expect(decodeAdvert(new Uint8Array(LIMITS.advertBytes + 8)).ok).toBe(false);
  });

  it('rejects a frame of another version, naming both', () => {
    const bytes = encodeDynamic(
      { version: 2, want: { hashes: [h(1)], sendBlock: true } },
      OUR_LAYOUTS,
      'mesh.capnp:ChunkFrame',
    );
    const d = decodeChunk(bytes);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.message).toMatch(/version 2; this node speaks 1/);
  });

  it('rejects field-level violations: digest length, list length, block-want with two hashes, empty union', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ version: 1, want: { hashes: [new Uint8Array(31)], sendBlock: true } }, 'ChunkFrame', /32-byte/],
      [
        { version: 1, want: { hashes: Array.from({ length: 65 }, () => h(1)), sendBlock: false } },
        'ChunkFrame',
        /at most 64/,
      ],
      [{ version: 1, want: { hashes: [h(1), h(2)], sendBlock: true } }, 'ChunkFrame', /exactly one/],
      [{ version: 1 }, 'ChunkFrame', /want|no known member/],
      [{ version: 1, id: 1n }, 'RpcFrame', /neither request nor response|request/],
      [{ ...advert, version: 1, seq: 1n, timestampMs: 1n, throttle: 2 }, 'Advert', /0\.\.1/],
      [
        { version: 1, peerId: 'x', capsules: [{ name: 'a'.repeat(65), version: 1 }] },
        'Advert',
        /longer than 64/,
      ],
    ];
    for (const [value, struct, why] of cases) {
      const bytes = encodeDynamic(value, OUR_LAYOUTS, `mesh.capnp:${struct}`);
      const d =
        struct === 'ChunkFrame'
          ? decodeChunk(bytes)
          : struct === 'RpcFrame'
            ? decodeRpc(bytes)
            : decodeAdvert(bytes);
      expect(
        d.ok,
        JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBe(false);
      if (!d.ok) {
        expect(d.error.code).toBe('bad-frame');
        expect(d.error.message).toMatch(why);
      }
    }
  });

  it('encoders refuse our own bad values with EncodeError naming the field', () => {
    expect(() => encodeAdvert({ ...advert, throttle: 1.5 })).toThrow(EncodeError);
    expect(() =>
      encodeChunk({ kind: 'block', hash: h(1), bytes: new Uint8Array(LIMITS.chunkBytes + 1) }),
    ).toThrow(/ChunkBlock.bytes/);
    expect(() => encodeChunk({ kind: 'want', hashes: [h(1), h(2)], sendBlock: true })).toThrow(/exactly one/);
    expect(() =>
      encodeRpc({ kind: 'request', id: 1n, method: '', deadlineMs: 0n, body: new Uint8Array() }),
    ).toThrow(/method/);
  });

  it('random and mutated bytes: a value or a MeshError, never a throw', () => {
    const seed = seedFromEnv(0x6d657368);
    console.info(`[mesh frames fuzz] seed ${seed} (replay with SEED=${seed})`);
    const rand = prng(seed);
    const seeds = [
      encodeAdvert(advert),
      encodeRpc({ kind: 'request', id: 1n, method: 'job.submit', deadlineMs: 9n, body: new Uint8Array(40) }),
      encodeChunk({ kind: 'want', hashes: [h(1), h(2), h(3)], sendBlock: false }),
      encodeChunk({ kind: 'block', hash: h(1), bytes: new Uint8Array(300) }),
    ];
    const decoders = [decodeAdvert, decodeRpc, decodeChunk];
    let ok = 0;
    let bad = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 1200; i++) {
      let bytes: Uint8Array;
      if (i % 4 === 0) {
        bytes = new Uint8Array(Math.floor(rand() * 200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      } else {
        const base = seeds[Math.floor(rand() * seeds.length)] as Uint8Array;
        bytes = base.slice(0, i % 4 === 1 ? Math.floor(rand() * base.length) : base.length);
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips && bytes.length > 0; f++)
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      }
      for (const decode of decoders) {
        const d = decode(bytes);
        if (d.ok) ok++;
        else {
          bad++;
          const e = d.error;
          if (
            !(e instanceof MeshError) ||
            !['bad-frame', 'oversize'].includes(e.code) ||
            /unexpected error/.test(e.message)
          )
            wrong.push(`case ${i}: ${String(e)}`);
        }
      }
    }
    console.info(`[mesh frames fuzz] ${ok} decoded, ${bad} rejected`);
    expect(wrong).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect(bad).toBeGreaterThan(500);
    expect(decodeChunk('nope' as unknown as Uint8Array).ok).toBe(false);
  });
});
