/**
 * Codec round trips through the reference tools: what the capsule encodes, cjpeg's sibling djpeg,
 * dwebp and avifdec decode to (nearly) the source; what cjpeg, cwebp and avifenc encode, the capsule
 * decodes to (nearly) what their own decoders give. PNG is lossless both ways (ImageMagick). Also:
 * `info`, `decode`/`encode` of raw pixels, and quality changing the output.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { seedFromEnv } from '../../_prng.ts';
import { haveTools, makeImage, psnr, read, rgbOf, run, runImage, Scratch } from './_harness.ts';

const SEED = seedFromEnv(0xc0dec);
const s = new Scratch();
afterAll(() => s.dispose());

const W = 160;
const H = 120;

describe.skipIf(!haveTools('convert', 'cjpeg', 'djpeg', 'cwebp', 'dwebp', 'avifenc', 'avifdec'))(
  `image codecs vs reference tools (seed ${SEED})`,
  () => {
    const png = makeImage(s, 'plasma', W, H, SEED);
    const src = rgbOf(png);
    const ppm = s.path('ppm');
    run('convert', [png, ppm]);
    const notes: string[] = [];
    afterAll(() => console.info(`[image] codec round trips: ${notes.join('; ')}`));

    it('png: lossless both ways', async () => {
      const ours = s.write(await runImage('encode', read(png), { format: 'png' }), 'png');
      expect(rgbOf(ours).equals(src)).toBe(true);
      const raw = await runImage('decode', read(png));
      expect(Buffer.from(raw).equals(src)).toBe(true);
    });

    it('jpeg: ours → djpeg, cjpeg → ours', async () => {
      const ours = s.write(await runImage('encode', read(png), { format: 'jpeg', quality: 90 }), 'jpg');
      const viaDjpeg = s.path('ppm');
      run('djpeg', ['-outfile', viaDjpeg, ours]);
      const a = psnr(rgbOf(viaDjpeg), src);
      const theirs = s.path('jpg');
      run('cjpeg', ['-quality', '90', '-outfile', theirs, ppm]);
      const ref = s.path('ppm');
      run('djpeg', ['-outfile', ref, theirs]);
      const b = psnr(Buffer.from(await runImage('decode', read(theirs))), rgbOf(ref));
      notes.push(
        `jpeg q90 ours→djpeg ${a.db.toFixed(1)} dB, cjpeg→ours vs djpeg ${b.db.toFixed(1)} dB (max ${b.max})`,
      );
      expect(a.db).toBeGreaterThan(35);
      expect(b.db).toBeGreaterThan(45);
    });

    it('webp: ours → dwebp, cwebp → ours', async () => {
      const ours = s.write(await runImage('encode', read(png), { format: 'webp', quality: 90 }), 'webp');
      const viaDwebp = s.path('ppm');
      run('dwebp', [ours, '-ppm', '-o', viaDwebp]);
      const a = psnr(rgbOf(viaDwebp), src);
      const theirs = s.path('webp');
      run('cwebp', ['-quiet', '-q', '90', png, '-o', theirs]);
      const ref = s.path('ppm');
      run('dwebp', [theirs, '-ppm', '-o', ref]);
      const b = psnr(Buffer.from(await runImage('decode', read(theirs))), rgbOf(ref));
      notes.push(
        `webp q90 ours→dwebp ${a.db.toFixed(1)} dB, cwebp→ours vs dwebp ${b.db.toFixed(1)} dB (max ${b.max})`,
      );
      expect(a.db).toBeGreaterThan(35);
      expect(b.db).toBeGreaterThan(45);
    });

    it('avif: ours → avifdec, avifenc → ours', async () => {
      const ours = s.write(await runImage('encode', read(png), { format: 'avif', quality: 80 }), 'avif');
      const viaAvifdec = s.path('png');
      run('avifdec', [ours, viaAvifdec]);
      const a = psnr(rgbOf(viaAvifdec), src);
      const theirs = s.path('avif');
      run('avifenc', ['--min', '10', '--max', '20', '-s', '8', png, theirs]);
      const ref = s.path('png');
      run('avifdec', ['--depth', '8', theirs, ref]);
      const b = psnr(Buffer.from(await runImage('decode', read(theirs))), rgbOf(ref));
      notes.push(
        `avif q80 ours→avifdec ${a.db.toFixed(1)} dB, avifenc→ours vs avifdec ${b.db.toFixed(1)} dB (max ${b.max})`,
      );
      expect(a.db).toBeGreaterThan(30);
      expect(b.db).toBeGreaterThan(40);
    });

    it('info reads format, size and channels from the header', async () => {
      const rgba = s.path('png');
      run('convert', [png, '-alpha', 'set', '-channel', 'A', '-evaluate', 'set', '50%', rgba]);
      const jpg = s.write(await runImage('encode', read(png), { format: 'jpeg' }), 'jpg');
      const info = async (p: string) => JSON.parse(new TextDecoder().decode(await runImage('info', read(p))));
      expect(await info(png)).toMatchObject({
        format: 'png',
        width: W,
        height: H,
        channels: 3,
        hasAlpha: false,
      });
      expect(await info(rgba)).toMatchObject({ format: 'png', channels: 4, hasAlpha: true });
      expect(await info(jpg)).toMatchObject({ format: 'jpeg', width: W, height: H, channels: 3 });
    });

    it('encode takes raw pixels; quality changes lossy output; png refuses quality', async () => {
      const raw = await runImage('decode', read(png));
      const back = s.write(
        await runImage('encode', raw, { format: 'png', raw: { width: W, height: H, channels: 3 } }),
        'png',
      );
      expect(rgbOf(back).equals(src)).toBe(true);
      const q30 = await runImage('encode', read(png), { format: 'webp', quality: 30 });
      const q95 = await runImage('encode', read(png), { format: 'webp', quality: 95 });
      expect(q30.length).toBeLessThan(q95.length);
      await expect(runImage('encode', read(png), { format: 'png', quality: 50 })).rejects.toThrow(
        /png is lossless/,
      );
      await expect(
        runImage('encode', raw, { format: 'png', raw: { width: W, height: H + 1, channels: 3 } }),
      ).rejects.toThrow(/need exactly/);
    });
  },
);
