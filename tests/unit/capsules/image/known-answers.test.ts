/**
 * Known answers against ImageMagick 6 (Debian's `convert`) on images generated at test time:
 * rotate90/180/270, fliph, flipv, invert, crop and grayscale must be byte-exact in decoded RGB
 * (grayscale = `-grayscale Rec601Luma`, BT.601 luma as ImageMagick computes it), and Lanczos3
 * downscaling of 8-bit sRGB PNGs at least 40 dB PSNR against `convert -filter Lanczos -resize WxH!`
 * (CAPSULES.md §2.5-2.6: both in gamma-encoded sRGB, opaque, PNG in and out).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { prng, seedFromEnv } from '../../_prng.ts';
import { haveTools, makeImage, psnr, read, rgbOf, run, runImage, Scratch, sizeOf } from './_harness.ts';

const SEED = seedFromEnv(0x1a6e_2026);
const s = new Scratch();
afterAll(() => s.dispose());

const EXACT: ReadonlyArray<readonly [string, Record<string, unknown>, readonly string[]]> = [
  ['rotate90', {}, ['-rotate', '90']],
  ['rotate180', {}, ['-rotate', '180']],
  ['rotate270', {}, ['-rotate', '270']],
  ['fliph', {}, ['-flop']],
  ['flipv', {}, ['-flip']],
  ['invert', {}, ['-negate']],
  ['grayscale', {}, ['-grayscale', 'Rec601Luma']],
  ['crop', { x: 7, y: 5, width: 41, height: 23 }, ['-crop', '41x23+7+5', '+repage']],
];

describe.skipIf(!haveTools('convert'))(`image known answers vs ImageMagick (seed ${SEED})`, () => {
  const sources = [makeImage(s, 'plasma', 97, 61, SEED), makeImage(s, 'shapes', 80, 120, SEED)];

  for (const [method, params, imArgs] of EXACT)
    it(`${method} is exact`, async () => {
      for (const src of sources) {
        const out = s.write(await runImage(method, read(src), { ...params, format: 'png' }), 'png');
        const ref = s.path('png');
        run('convert', [src, ...imArgs, '-depth', '8', ref]);
        expect(sizeOf(out)).toEqual(sizeOf(ref));
        const a = rgbOf(out);
        const b = rgbOf(ref);
        expect(a.equals(b), `${method} on ${src} differs from ImageMagick`).toBe(true);
      }
    });

  it('a batch of exact steps equals the same ImageMagick chain', async () => {
    const src = sources[0]!;
    const ops = [
      { method: 'rotate90' },
      { method: 'flipv' },
      { method: 'invert' },
      { method: 'crop', x: 3, y: 4, width: 30, height: 50 },
    ];
    const out = s.write(await runImage('batch', read(src), { operations: ops, format: 'png' }), 'png');
    const ref = s.path('png');
    run('convert', [
      src,
      '-rotate',
      '90',
      '-flip',
      '-negate',
      '-crop',
      '30x50+3+4',
      '+repage',
      '-depth',
      '8',
      ref,
    ]);
    expect(rgbOf(out).equals(rgbOf(ref))).toBe(true);
  });

  it('Lanczos3 downscaling is ≥ 40 dB PSNR against convert -filter Lanczos -resize', async () => {
    const rnd = prng(SEED);
    const big = [makeImage(s, 'plasma', 640, 480, SEED + 1), makeImage(s, 'shapes', 600, 400, SEED + 2)];
    const results: string[] = [];
    for (const src of big) {
      const [w, h] = sizeOf(src);
      for (let k = 0; k < 3; k++) {
        // Factors from 1/1.2 to 1/6, not always integral, and aspect changes too.
        const tw = Math.max(8, Math.round(w / (1.2 + rnd() * 4.8)));
        const th = Math.max(8, Math.round(h / (1.2 + rnd() * 4.8)));
        const params = { width: tw, height: th, preserve_aspect: false, filter: 'Lanczos3', format: 'png' };
        const out = s.write(await runImage('resize', read(src), params), 'png');
        const ref = s.path('png');
        run('convert', [src, '-filter', 'Lanczos', '-resize', `${tw}x${th}!`, '-depth', '8', ref]);
        expect(sizeOf(out)).toEqual([tw, th]);
        const { db, max } = psnr(rgbOf(out), rgbOf(ref));
        results.push(`${w}x${h}→${tw}x${th}: ${db.toFixed(1)} dB (max ${max})`);
        expect(db, results.join('; ')).toBeGreaterThanOrEqual(40);
      }
    }
    console.info(`[image] Lanczos3 vs ImageMagick: ${results.join('; ')}`);
  });

  it('the other filters resize to the asked size and stay close to ImageMagick (reported)', async () => {
    const src = makeImage(s, 'plasma', 320, 240, SEED + 3);
    const imName = {
      Triangle: 'Triangle',
      CatmullRom: 'Catrom',
      Gaussian: 'Gaussian',
      Nearest: 'Point',
    } as const;
    const notes: string[] = [];
    for (const [filter, im] of Object.entries(imName)) {
      const out = s.write(await runImage('resize', read(src), { width: 100, filter, format: 'png' }), 'png');
      const ref = s.path('png');
      run('convert', [src, '-filter', im, '-resize', '100x75!', '-depth', '8', ref]);
      expect(sizeOf(out)).toEqual([100, 75]);
      const { db } = psnr(rgbOf(out), rgbOf(ref));
      notes.push(`${filter} ${db.toFixed(1)} dB`);
      // A broad sanity bar: a wrong kernel or an off-by-one geometry falls far below it on plasma.
      expect(db, notes.join(', ')).toBeGreaterThan(25);
    }
    console.info(`[image] other filters vs ImageMagick 320x240→100x75: ${notes.join(', ')}`);
  });

  it('resize honours preserve_aspect and if_larger_than', async () => {
    const src = read(sources[0]!); // 97×61
    const fit = s.write(await runImage('resize', src, { width: 50, height: 50 }), 'png');
    expect(sizeOf(fit)).toEqual([50, 31]);
    const exact = s.write(
      await runImage('resize', src, { width: 50, height: 50, preserve_aspect: false }),
      'png',
    );
    expect(sizeOf(exact)).toEqual([50, 50]);
    const skipped = s.write(await runImage('resize', src, { width: 20, if_larger_than: [100, 100] }), 'png');
    expect(sizeOf(skipped)).toEqual([97, 61]);
    const done = s.write(await runImage('resize', src, { width: 20, if_larger_than: [90, 90] }), 'png');
    expect(sizeOf(done)).toEqual([20, 13]);
  });

  it('brighten and contrast follow their formulas exactly', async () => {
    const src = sources[0]!;
    const px = rgbOf(src);
    const bright = rgbOf(
      s.write(await runImage('brighten', read(src), { amount: 40, format: 'png' }), 'png'),
    );
    const dark = rgbOf(
      s.write(await runImage('brighten', read(src), { amount: -300 + 100, format: 'png' }), 'png'),
    );
    const contrast = rgbOf(
      s.write(await runImage('contrast', read(src), { amount: 35, format: 'png' }), 'png'),
    );
    const f = 1.35;
    const want = (fn: (v: number) => number) => Buffer.from(px.map(fn));
    expect(bright.equals(want((v) => Math.min(255, v + 40)))).toBe(true);
    expect(dark.equals(want((v) => Math.max(0, v - 200)))).toBe(true);
    const c = want((v) => Math.max(0, Math.min(255, Math.floor(f * v + (128 - 128 * f + 0.5)))));
    expect(contrast.equals(c)).toBe(true);
  });

  it('blur smooths and keeps the size; sigma changes the result', async () => {
    const src = sources[1]!;
    const a = rgbOf(s.write(await runImage('blur', read(src), { sigma: 1, format: 'png' }), 'png'));
    const b = rgbOf(s.write(await runImage('blur', read(src), { sigma: 3, format: 'png' }), 'png'));
    const ref = s.path('png');
    run('convert', [src, '-gaussian-blur', '0x3', '-depth', '8', ref]);
    expect(a.length).toBe(rgbOf(src).length);
    expect(a.equals(b)).toBe(false);
    expect(psnr(b, rgbOf(ref)).db).toBeGreaterThan(30);
  });
});
