/**
 * The requester prices a job with its input bytes, not only their number: image prices count the
 * pixels in the input's header (src/capsules/image/header.ts). Without the input the requester priced
 * a 2000×2000 PNG grayscale at 125 credits instead of the engine's 197, so it underpaid honest
 * contributors and booked them as overclaimers.
 */
import { describe, expect, it } from 'vitest';
import { priceOf } from '../../../src/capsules/price.ts';
import { jobPrice } from '../../../src/trade/requester.ts';

/** The first 24 bytes of a PNG (signature + IHDR's length, tag, width, height) and some padding. */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

describe('jobPrice', () => {
  it('prices an image job by the pixels of its input, as the engine does', () => {
    const input = pngHeader(2000, 2000);
    const output = pngHeader(2000, 2000);
    const job = {
      capsule: 'image',
      method: 'grayscale',
      params: '{}',
      input,
      budget: 1000,
      deadlineMs: 60_000,
    };
    const price = priceOf('image', 'grayscale')!;
    const engine = price({ inputBytes: input.length, params: {}, input, output });
    const blind = price({ inputBytes: input.length, params: {}, output });
    expect(engine).toBeGreaterThan(blind);
    expect(jobPrice(job, output)).toBe(engine);
  });
});
