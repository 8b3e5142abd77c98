/**
 * libvips computes the pixels inside the one write call; its progress reports run the job's
 * checkpoint there (pipeline.ts watchProgress), so a long write keeps the heartbeat (before: 34 of
 * 1000 soak jobs were replaced as unresponsive on a busy machine) and a stop ends the write as that
 * stop, not as a libvips error, and the next job runs.
 */
import { describe, expect, it } from 'vitest';
import { JobStopped } from '../../../../src/capsules/capsule.ts';
import { runPipeline } from '../../../../src/capsules/image/pipeline.ts';
import { loadVips, releaseVipsObjects } from '../../../../src/capsules/image/vips-loader.ts';
import './_harness.ts';

describe('image: checkpoints inside the write call', () => {
  it('beats through a large write, stops at a checkpoint that throws, and runs the next job', async () => {
    const vips = await loadVips();
    const png = vips.Image.black(1200, 1200, { bands: 3 }).add([90, 120, 150]).cast('uchar').pngsaveBuffer();
    releaseVipsObjects();
    const ops = [{ method: 'blur' as const, sigma: 2 }];
    let calls = 0;
    const out = runPipeline(vips, png, ops, { format: 'png' }, () => calls++);
    releaseVipsObjects();
    expect(out.length).toBeGreaterThan(0);
    // Two checkpoints between the stages; the rest come from libvips' progress during the write.
    expect(calls).toBeGreaterThan(10);

    let seen = 0;
    const stopAt = 5;
    expect(() =>
      runPipeline(vips, png, ops, { format: 'png' }, () => {
        if (++seen >= stopAt) throw new JobStopped('cancelled');
      }),
    ).toThrow(JobStopped);
    releaseVipsObjects();
    // Stopped mid-write: the checkpoint was reached inside it, not only after.
    expect(seen).toBeGreaterThanOrEqual(stopAt);
    expect(seen).toBeLessThan(calls);

    const again = runPipeline(vips, png, ops, { format: 'png' }, () => {});
    releaseVipsObjects();
    expect(Buffer.from(again).equals(Buffer.from(out))).toBe(true);
  }, 60_000);
});
