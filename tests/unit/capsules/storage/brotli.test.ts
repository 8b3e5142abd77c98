/**
 * storage.compress / storage.decompress: round trips, interop with the reference `brotli` CLI in both
 * directions, and hostile streams (corrupt, truncated, trailing bytes, a 1 GiB bomb in 841 bytes).
 * Also the two brotli-wasm loaders: Node's CommonJS build and the web build with an explicit .wasm.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../../../src/capsules/capsule.ts';
import { brotliDecompress } from '../../../../src/capsules/storage/brotli-codec.ts';
import {
  loadBrotli,
  setBrotliLoader,
  webBrotliLoader,
  type BrotliWebGlue,
} from '../../../../src/capsules/storage/brotli-loader.ts';
import { nodeBrotliLoader } from '../../../../src/capsules/storage/brotli-node.ts';
import { storageCapsule } from '../../../../src/capsules/storage/index.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { diffBytes, runMethod } from '../crypto/_harness.ts';
import { needTools, skipNote } from '../crypto/_tools.ts';

const SEED = seedFromEnv(0xb707);
const FIXTURES = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'src',
  'capsules',
  'storage',
  'vectors',
);

/** Text-like bytes (compressible) with seeded random runs (not trivially so). */
function corpus(rand: () => number, n: number): Uint8Array {
  const words = ['peer', 'chunk', 'mesh', 'credit', 'job', 'worker', 'arena', 'hash', 'proof', 'epoch'];
  const out = new Uint8Array(n);
  for (let i = 0; i < n;) {
    if (rand() < 0.2) {
      for (let k = 0; k < 16 && i < n; k++) out[i++] = (rand() * 256) >>> 0;
    } else {
      const w = words[(rand() * words.length) >>> 0] as string;
      for (let k = 0; k < w.length && i < n; k++) out[i++] = w.charCodeAt(k);
      if (i < n) out[i++] = 0x20;
    }
  }
  return out;
}

const compress = (input: Uint8Array, params: unknown = {}, shared = false) =>
  runMethod(storageCapsule, 'compress', params, input, { shared }).then((r) => r.output);
const decompress = (input: Uint8Array, shared = false) =>
  runMethod(storageCapsule, 'decompress', {}, input, { shared }).then((r) => r.output);

beforeAll(() => setBrotliLoader(nodeBrotliLoader));

describe(`round trips (SEED=${SEED})`, () => {
  const rand = prng(SEED);
  // Quality 11 runs at ~0.3 MiB/s in wasm here, so it gets the small sizes only.
  it.each([0, 1, 100, 16_384, 65_536, 300_001])(
    '%i bytes at qualities 0, 5, 9 (11 up to 16 KiB), from shared memory',
    async (n) => {
      const input = corpus(rand, n);
      for (const quality of n <= 16_384 ? [0, 5, 9, 11] : [0, 5, 9]) {
        const packed = await compress(input, { quality }, true);
        expect(diffBytes(await decompress(packed, true), input), `quality ${quality}`).toBe('equal');
      }
    },
  );

  it('compresses text-like data (quality 5 beats quality 0)', async () => {
    const input = corpus(rand, 200_000);
    const q0 = await compress(input, { quality: 0 });
    const q5 = await compress(input);
    expect(q5.length).toBeLessThan(q0.length);
    expect(q5.length).toBeLessThan(input.length * 0.6);
  });

  it('writes window 22 in the stream header (RFC 7932 §9.1 WBITS), as documented', async () => {
    const packed = await compress(corpus(rand, 5000), { window: 22 });
    // WBITS: bit 0 = 1, then 3 bits n; 17 + n. The header's low nibble is 1 | n << 1.
    expect(17 + (((packed[0] as number) >> 1) & 7)).toBe(22);
  });
});

describe('interop with the reference brotli CLI', () => {
  const rand = prng(SEED + 1);
  it.skipIf(!needTools('brotli'))(`brotli -d reads our output${skipNote('brotli')}`, async () => {
    for (const n of [0, 1, 4096, 250_000]) {
      const input = corpus(rand, n);
      for (const quality of n <= 4096 ? [1, 5, 11] : [1, 5]) {
        const ours = await compress(input, { quality });
        expect(
          diffBytes(execFileSync('brotli', ['-d', '-c'], { input: ours }), input),
          `${n} bytes q${quality}`,
        ).toBe('equal');
      }
    }
  });
  it.skipIf(!needTools('brotli'))(
    `we read brotli -q 11 (and -q 1, --large_window off) output${skipNote('brotli')}`,
    async () => {
      for (const n of [0, 1, 4096, 60_000]) {
        const input = corpus(rand, n);
        for (const args of [
          ['-q', '11'],
          ['-q', '1'],
          ['-q', '9', '-w', '10'],
        ]) {
          const theirs = new Uint8Array(execFileSync('brotli', [...args, '-c'], { input }));
          expect(diffBytes(await decompress(theirs, true), input), `${n} bytes ${args.join(' ')}`).toBe(
            'equal',
          );
        }
      }
    },
  );
});

describe('hostile requests', () => {
  const rand = prng(SEED + 2);
  const sample = corpus(rand, 50_000);
  let packed: Uint8Array;
  beforeAll(async () => {
    packed = await compress(sample);
  });
  const fails = (p: Promise<unknown>, message: RegExp) =>
    Promise.all([expect(p).rejects.toBeInstanceOf(BadInputError), expect(p).rejects.toThrow(message)]);

  it('corrupt data', async () => {
    await fails(
      decompress(new TextEncoder().encode('definitely not a brotli stream')),
      /corrupt brotli data/,
    );
    // A flipped bit inside the stream may still decode (brotli has no checksum: the chunk store
    // hashes what it decodes). A broken stream header cannot: WBITS 0b0010001 is reserved (§9.1).
    await fails(decompress(Uint8Array.of(0x11, ...packed.subarray(1))), /corrupt brotli data near byte 0/);
  });
  it('truncated, trailing bytes, empty', async () => {
    await fails(decompress(packed.subarray(0, packed.length - 3)), /truncated/);
    await fails(
      decompress(Uint8Array.from([...packed, 1, 2, 3])),
      /3 bytes follow the end of the brotli stream/,
    );
    await fails(decompress(new Uint8Array(0)), /the input is empty/);
  });
  it('a bomb: 841 bytes that decode to 1 GiB stop at the 64 MiB cap', async () => {
    const bomb = JSON.parse(readFileSync(join(FIXTURES, 'brotli-bomb.json'), 'utf8')) as {
      hex: string;
      decodedBytes: number;
    };
    expect(bomb.decodedBytes).toBe(1 << 30);
    const bytes = new Uint8Array(Buffer.from(bomb.hex, 'hex'));
    await fails(decompress(bytes), /decompressed output exceeds 67108864 bytes.*decompression bomb/);
    // The same guard at a small cap, as the chunk store uses it.
    const brotli = await loadBrotli();
    expect(() => brotliDecompress(brotli, bytes, 1000, () => {})).toThrow(/exceeds 1000 bytes/);
  });
  it('oversize input is refused before any work', async () => {
    await fails(
      compress(new Uint8Array(storageCapsule.limits.maxInputBytes + 1)),
      /accepts at most 67108864 bytes/,
    );
  });
  it('quality 10-11 only for inputs up to 1 MiB', async () => {
    await fails(
      compress(new Uint8Array((1 << 20) + 1), { quality: 11 }),
      /quality 11 is limited to inputs of at most 1048576 bytes/,
    );
  });
  it.each([
    [{ quality: 12 }, /quality must be an integer 0-11/],
    [{ quality: 2.5 }, /quality must be an integer 0-11/],
    [{ quality: '5' }, /quality must be an integer 0-11/],
    [{ window: 20 }, /window \(lgwin\) must be 22/],
    [{ lgwin: 22 }, /Unrecognized key: "lgwin"/],
  ])('compress params %j', async (params, message) => {
    await fails(compress(sample, params), message);
  });
  it('decompress takes no params', async () => {
    await fails(
      runMethod(storageCapsule, 'decompress', { maxBytes: 5 }, packed),
      /Unrecognized key: "maxBytes"/,
    );
  });
});

describe('loaders', () => {
  it('the web build initialised with explicit wasm bytes matches the Node build', async () => {
    // Deep paths through the file system: the package's `exports` map hides them from bare imports.
    const pkg = join(createRequire(import.meta.url).resolve('brotli-wasm'), '..', 'pkg.web');
    const web = await webBrotliLoader(
      () => import(join(pkg, 'brotli_wasm.js')) as Promise<BrotliWebGlue>,
      readFileSync(join(pkg, 'brotli_wasm_bg.wasm')),
    )();
    const input = corpus(prng(SEED + 3), 100_000);
    const node = await nodeBrotliLoader();
    const { brotliCompress } = await import('../../../../src/capsules/storage/brotli-codec.ts');
    const a = brotliCompress(web, input, 5, () => {});
    expect(
      diffBytes(
        a,
        brotliCompress(node, input, 5, () => {}),
      ),
    ).toBe('equal');
    expect(
      diffBytes(
        brotliDecompress(web, a, input.length, () => {}),
        input,
      ),
    ).toBe('equal');
  });

  it('a failed load says why and is retried on the next call', async () => {
    setBrotliLoader(() => Promise.reject(new Error('wasm blocked by CSP')));
    await expect(loadBrotli()).rejects.toThrow(/brotli-wasm failed to load: wasm blocked by CSP/);
    setBrotliLoader(nodeBrotliLoader);
    await expect(loadBrotli()).resolves.toHaveProperty('CompressStream');
  });
});
