/**
 * The image capsule in the real engine (worker threads, shared arena) and through `inos run`:
 * every method works from the command line; hostile inputs (truncated, corrupt, decompression bombs,
 * polyglots, wrong params) end as exit 2 / `badInput` with a message naming what is allowed, never a
 * crash, a hang or an out-of-memory, and the next job runs; the same job gives the same bytes in two
 * different workers. Seed: SEED=<n>.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunCommand } from '../../../../src/cli/commands/run.ts';
import { memoryIo } from '../../../../src/cli/io.ts';
import { main } from '../../../../src/cli/main.ts';
import { startNodeEngine, type NodeEngine } from '../../../../src/cli/node-engine.ts';
import { CommandRegistry } from '../../../../src/cli/registry.ts';
import { seedFromEnv } from '../../_prng.ts';
import { haveTools, makeImage, pngBomb, read, run, Scratch, sizeOf } from './_harness.ts';

const SEED = seedFromEnv(0xe6_2026);
const s = new Scratch();
let engine: NodeEngine;
let registry: CommandRegistry;

beforeAll(async () => {
  engine = startNodeEngine({ workers: 2, storeDir: null, preload: ['image'] });
  registry = new CommandRegistry([
    createRunCommand(() => ({
      engine: engine.engine,
      ready: (ms) => engine.ready(ms),
      dispose: async () => {},
    })),
  ]);
  await engine.ready(110_000);
}, 120_000);

afterAll(async () => {
  await engine?.dispose();
  s.dispose();
});

async function inos(argv: string[]) {
  const io = memoryIo('');
  const status = await main(['run', 'image', ...argv], io, registry);
  return { status, stderr: io.stderr() };
}

const job = (method: string, input: Uint8Array, params: unknown = {}) =>
  engine.engine.submit({ library: 'image', method, params: JSON.stringify(params), input });

// --- hostile inputs, built in code --------------------------------------------------------------

/** A real JPEG whose SOF0 says 60000×60000. */
function jpegBomb(jpg: Buffer): Buffer {
  const b = Buffer.from(jpg);
  for (let i = 2; i < b.length - 9; i++)
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) {
      b.writeUInt16BE(60_000, i + 5);
      b.writeUInt16BE(60_000, i + 7);
      return b;
    }
  throw new Error('no SOF marker');
}
/** A WebP with an extended header (VP8X) whose canvas is 16384×16384. */
function webpBomb(): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(16383, 4, 3);
  vp8x.writeUIntLE(16383, 7, 3);
  const vp8xChunk = Buffer.concat([Buffer.from('VP8X'), Buffer.from([10, 0, 0, 0]), vp8x]);
  const body = Buffer.concat([Buffer.from('WEBP'), vp8xChunk]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF'), size, body]);
}

describe.skipIf(!haveTools('convert'))(`image capsule in the engine and inos run (seed ${SEED})`, () => {
  const png = () => makeImage(s, 'plasma', 120, 90, SEED);
  let srcPng: string;
  let srcJpg: string;
  beforeAll(() => {
    srcPng = png();
    srcJpg = s.path('jpg');
    run('convert', [srcPng, '-quality', '90', srcJpg]);
  });

  it('inos run image works for every method', async () => {
    const cases: ReadonlyArray<readonly [string, object, string, (p: string) => void]> = [
      ['resize', { width: 60, filter: 'Lanczos3' }, 'png', (p) => expect(sizeOf(p)).toEqual([60, 45])],
      [
        'resize',
        { width: 30, height: 30, preserve_aspect: false, filter: 'Nearest' },
        'png',
        (p) => expect(sizeOf(p)).toEqual([30, 30]),
      ],
      ['crop', { x: 10, y: 5, width: 50, height: 40 }, 'png', (p) => expect(sizeOf(p)).toEqual([50, 40])],
      ['blur', { sigma: 1.5 }, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['brighten', { amount: 20 }, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['contrast', { amount: -20 }, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['grayscale', {}, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['rotate90', {}, 'png', (p) => expect(sizeOf(p)).toEqual([90, 120])],
      ['rotate180', {}, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['rotate270', {}, 'png', (p) => expect(sizeOf(p)).toEqual([90, 120])],
      ['fliph', {}, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['flipv', {}, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['invert', {}, 'png', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['encode', { format: 'webp', quality: 70 }, 'webp', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['encode', { format: 'avif', quality: 50 }, 'avif', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['encode', { format: 'jpeg', quality: 80 }, 'jpg', (p) => expect(sizeOf(p)).toEqual([120, 90])],
      ['decode', {}, 'raw', (p) => expect(readFileSync(p).length).toBe(120 * 90 * 3)],
      [
        'info',
        {},
        'json',
        (p) =>
          expect(JSON.parse(readFileSync(p, 'utf8'))).toMatchObject({
            format: 'png',
            width: 120,
            height: 90,
          }),
      ],
      [
        'batch',
        {
          operations: [
            { method: 'resize', width: 80 },
            { method: 'blur', sigma: 1 },
            { method: 'encode', format: 'webp', quality: 90 },
          ],
        },
        'webp',
        (p) => expect(sizeOf(p)).toEqual([80, 60]),
      ],
    ];
    for (const [method, params, ext, check] of cases) {
      const out = s.path(ext);
      const r = await inos([method, '--in', srcPng, '--params', JSON.stringify(params), '--out', out]);
      expect(r.status, `${method}: ${r.stderr}`).toBe(0);
      check(out);
    }
  }, 120_000);

  it('hostile inputs end as exit 2 with a message, and the next job runs', async () => {
    const jpg = readFileSync(srcJpg);
    const pngBytes = readFileSync(srcPng);
    const avif = s.path('avif');
    run('convert', [srcPng, '-quality', '60', avif]);
    const flipHeader = Buffer.from(jpg);
    for (let i = 20; i < 60; i += 7) flipHeader[i]! ^= 0x5a;
    const badIdat = Buffer.from(pngBytes);
    for (let i = pngBytes.length >> 1; i < (pngBytes.length >> 1) + 40; i += 3) badIdat[i]! ^= 0xff;
    const hostile: ReadonlyArray<readonly [string, Uint8Array, RegExp]> = [
      ['truncated jpeg', jpg.subarray(0, jpg.length >> 1), /EOI|truncated/],
      ['truncated png', pngBytes.subarray(0, pngBytes.length >> 1), /truncated/],
      ['truncated avif', readFileSync(avif).subarray(0, 300), /truncated|past the end/],
      ['corrupt jpeg header', flipHeader, /corrupt|unreadable/],
      ['corrupt png data', badIdat, /corrupt|unreadable|CRC/],
      [
        'empty input',
        new Uint8Array(0),
        /unsupported image format \(empty input\); allowed input formats: jpeg, png, webp, avif/,
      ],
      ['png bomb 100000×100000', pngBomb(), /100000×100000 = 10000000000 pixels; at most 40000000/],
      ['jpeg bomb 60000×60000', jpegBomb(jpg), /60000×60000.*at most 40000000/],
      ['webp bomb 16384×16384', webpBomb(), /16384×16384.*at most 40000000|corrupt|unreadable/],
      [
        'GIF/PNG polyglot',
        Buffer.concat([Buffer.from('GIF89a'), pngBytes]),
        /looks? like|GIF.*allowed input formats/,
      ],
      [
        'PNG + ZIP trailer polyglot',
        Buffer.concat([pngBytes, Buffer.from('PK\x03\x04 zip payload')]),
        /follow the end.*polyglot/,
      ],
      [
        'JPEG + HTML trailer polyglot',
        Buffer.concat([jpg, Buffer.from('<script>alert(1)</script>')]),
        /EOI|polyglot/,
      ],
      [
        'SVG/JPEG polyglot',
        Buffer.concat([Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">'), jpg]),
        /SVG.*allowed input formats/,
      ],
      [
        'JPEG magic over a PNG body',
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), pngBytes, Buffer.from([0xff, 0xd9])]),
        /corrupt|unreadable/,
      ],
    ];
    for (const [name, bytes, message] of hostile) {
      const inFile = s.write(bytes, 'bin');
      const r = await inos(['resize', '--in', inFile, '--params', '{"width":50}', '--out', s.path('png')]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).toMatch(message);
      const next = await job('info', read(srcPng));
      expect(next.status, `the job after ${name}`).toBe('ok');
    }
  }, 180_000);

  it('params errors name what is allowed', async () => {
    const cases: ReadonlyArray<readonly [string, object, RegExp]> = [
      [
        'resize',
        { width: 10, filter: 'Bicubic' },
        /filter must be one of: Lanczos3, Triangle, CatmullRom, Gaussian, Nearest/,
      ],
      ['resize', { width: 10, format: 'gif' }, /format must be one of: jpeg, png, webp, avif/],
      ['resize', { width: 10, sharpen: true }, /sharpen/],
      ['resize', {}, /width, height or both/],
      ['resize', { width: 100_000, height: 100_000, preserve_aspect: false }, /at most 40000000/],
      ['crop', { x: 100, y: 0, width: 50, height: 10 }, /outside the 120×90 image/],
      ['blur', { sigma: 500 }, /sigma must be at most 50/],
      ['batch', { operations: [{ method: 'sharpen' }] }, /each operation needs "method": one of resize/],
      ['encode', { format: 'png', quality: 90 }, /png is lossless/],
    ];
    for (const [method, params, message] of cases) {
      const r = await inos([
        method,
        '--in',
        srcPng,
        '--params',
        JSON.stringify(params),
        '--out',
        s.path('png'),
      ]);
      expect(r.status, `${method} ${JSON.stringify(params)}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);

  it('the same job gives the same bytes in both workers', async () => {
    const input = read(srcJpg);
    const jobs = [
      ['resize', { width: 64, filter: 'Lanczos3', format: 'jpeg', quality: 80 }],
      ['batch', { operations: [{ method: 'grayscale' }, { method: 'blur', sigma: 2 }], format: 'webp' }],
      ['encode', { format: 'avif', quality: 55 }],
      ['encode', { format: 'png' }],
    ] as const;
    for (const [method, params] of jobs) {
      const [a, b] = await Promise.all([job(method, input, params), job(method, input, params)]);
      console.info(
        `[image] ${method} in workers ${a.worker}/${b.worker}: ${a.status} ${a.ms.toFixed(0)} ms, ${b.status} ${b.ms.toFixed(0)} ms ${a.error} ${b.error}`,
      );
      expect(a.status, a.error).toBe('ok');
      expect(b.status, b.error).toBe('ok');
      expect(a.worker).not.toBe(b.worker);
      const h = (o: Uint8Array) => createHash('sha256').update(o).digest('hex');
      expect(h(a.output), `${method} differs between workers ${a.worker} and ${b.worker}`).toBe(h(b.output));
    }
  }, 120_000);
});
