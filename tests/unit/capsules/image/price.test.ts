/**
 * image.* work-based prices (src/capsules/price.ts IMAGE_RATES): pixels from the input's and output's
 * headers (src/capsules/image/header.ts, a cheap parse, no decoder) × a rate per step, + data moved.
 * The header parse is checked against images written by the reference tools (ImageMagick, cwebp,
 * avifenc) and by the capsule itself; the price a job is charged through the engine's `execute` is
 * the one a requester computes from the job and its output; a bad header is the capsule's own error.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../../src/capsules/builtin.ts';
import { MAX_PIXELS } from '../../../../src/capsules/image/formats.ts';
import { MAX_IMAGE_PIXELS, readImageHeader } from '../../../../src/capsules/image/header.ts';
import { IMAGE_RATES, priceBoundOf, priceOf } from '../../../../src/capsules/price.ts';
import { runOnThread } from '../../../_run-job.ts';
import { CapsuleRegistry } from '../../../../src/engine/registry.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { haveTools, makeImage, pngBomb, run, runImage, Scratch } from './_harness.ts';

const SEED = seedFromEnv(20261128);
const registry = new CapsuleRegistry(builtinCapsules);
const scratch = new Scratch();
afterAll(() => scratch.dispose());

/** Seeded RGB pixels, smooth with a little noise. */
function pixels(w: number, h: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = ((i % (w * 3)) / 3 + (rand() - 0.5) * 16) & 0xff;
  return px;
}

const job = (method: string, params: object, input: Uint8Array, budget = 5_060) =>
  runOnThread(registry, { library: 'image', method, params, input, budget });

describe(`image prices (seed ${SEED})`, () => {
  it('reads the size of every format the capsule writes from its header', async () => {
    console.info(`[image price] seed ${SEED}`);
    expect(MAX_IMAGE_PIXELS).toBe(MAX_PIXELS);
    const rand = prng(SEED);
    for (const format of ['jpeg', 'png', 'webp', 'avif'] as const) {
      const w = 17 + Math.floor(rand() * 300);
      const h = 9 + Math.floor(rand() * 200);
      const img = await runImage('encode', pixels(w, h, SEED + w), {
        format,
        raw: { width: w, height: h, channels: 3 },
      });
      expect(readImageHeader(img), format).toEqual({ format, width: w, height: h });
    }
  });

  it.skipIf(!haveTools('convert', 'cwebp', 'avifenc'))(
    'reads the size of images from ImageMagick, cwebp (lossy, lossless, extended) and avifenc',
    () => {
      const png = makeImage(scratch, 'plasma', 301, 157, SEED);
      const cases: [string, string[], string][] = [
        ['convert', [png, '-quality', '85', '-interlace', 'Plane'], 'jpg'], // progressive: SOF2
        ['convert', [png, '-quality', '90'], 'jpg'],
        ['convert', [png, '-alpha', 'on', '-channel', 'A', '-evaluate', 'set', '50%'], 'png'],
        ['cwebp', ['-quiet', '-q', '80', png, '-o'], 'webp'], // VP8
        ['cwebp', ['-quiet', '-lossless', png, '-o'], 'webp'], // VP8L
        ['cwebp', ['-quiet', '-metadata', 'all', '-exact', '-alpha_q', '50', png, '-o'], 'webp'],
        ['avifenc', ['--min', '10', '--max', '20', '-s', '8', png], 'avif'],
      ];
      for (const [tool, args, ext] of cases) {
        const out = scratch.path(ext);
        run(tool, tool === 'convert' ? [...args, out] : [...args, out]);
        const h = readImageHeader(new Uint8Array(readFileSync(out)));
        expect(h, `${tool} ${args.join(' ')}`).toMatchObject({ width: 301, height: 157 });
      }
      const alpha = scratch.path('png');
      run('convert', [png, '-alpha', 'set', alpha]);
      const vp8x = scratch.path('webp');
      run('cwebp', ['-quiet', '-q', '80', '-alpha_q', '80', alpha, '-o', vp8x]);
      expect(readImageHeader(new Uint8Array(readFileSync(vp8x)))).toEqual({
        format: 'webp',
        width: 301,
        height: 157,
      });
    },
  );

  it('charges a job the price a requester computes from its input, params and output', async () => {
    const [w, h] = [640, 480];
    const jpeg = await runImage('encode', pixels(w, h, SEED + 1), {
      format: 'jpeg',
      raw: { width: w, height: h, channels: 3 },
    });
    const cases: [string, object][] = [
      ['rotate90', {}],
      ['resize', { width: 320 }],
      ['resize', { width: 1280 }],
      ['crop', { x: 10, y: 10, width: 100, height: 50 }],
      ['blur', { sigma: 4, format: 'png' }],
      [
        'batch',
        { operations: [{ method: 'grayscale' }, { method: 'invert' }, { method: 'encode', format: 'webp' }] },
      ],
      ['decode', {}],
      ['info', {}],
    ];
    const charged: Record<string, number> = {};
    for (const [m, params] of cases) {
      const r = await job(m, params, jpeg);
      expect(r.status, `${m}: ${r.error}`).toBe('ok');
      const shape = { inputBytes: jpeg.length, params: JSON.parse(JSON.stringify(params)), input: jpeg };
      const price = priceOf('image', m)!({ ...shape, output: r.out });
      expect(r.costUsed, m).toBe(price);
      expect(priceBoundOf('image', m)!(shape), `${m} bound`).toBeGreaterThanOrEqual(price);
      charged[`${m} ${JSON.stringify(params)}`] = price;
    }
    console.info(`[image price] 640×480 JPEG: ${JSON.stringify(charged)}`);
    // A resize is priced over the larger of its input and output: enlarging costs more than shrinking.
    expect(charged['resize {"width":1280}']).toBeGreaterThan(charged['resize {"width":320}']!);
    // Raw pixels to encode: no decode, the output's encode.
    const raw = pixels(200, 100, SEED + 2);
    const enc = await job('encode', { format: 'png', raw: { width: 200, height: 100, channels: 3 } }, raw);
    expect(enc.status, enc.error).toBe('ok');
    expect(enc.costUsed).toBe(
      Math.ceil((IMAGE_RATES.encode.png * 200 * 100) / 1e6) +
        Math.ceil((raw.length + enc.out.length) / (1 << 20)),
    );
  });

  it('leaves a bad header to the capsule: its own error, at no cost, whatever the budget', async () => {
    const garbage = new Uint8Array(64).fill(7);
    const bad = await job('resize', { width: 10 }, garbage, 3);
    expect(bad.status).toBe('badInput');
    expect(bad.error).toMatch(/unsupported image format/);
    expect(bad.costUsed).toBeLessThanOrEqual(3);
    // A PNG header that claims 50000×50000 pixels (a decompression bomb): the capsule's refusal.
    const bomb = pngBomb(50_000, 50_000);
    expect(readImageHeader(bomb)).toEqual({ format: 'png', width: 50_000, height: 50_000 });
    const refused = await job('rotate90', {}, bomb, 3);
    expect(refused.status).toBe('badInput');
    expect(refused.error).toMatch(/40 megapixels/);
    // Cut short or unknown: no size, no throw.
    for (const b of [bomb.subarray(0, 20), Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 2), new Uint8Array(0)])
      expect(readImageHeader(b)).toBeNull();
    expect(
      priceOf('image', 'blur')!({
        inputBytes: 64,
        params: { sigma: 2 },
        input: garbage,
        output: new Uint8Array(0),
      }),
    ).toBe(1);
  });
});
