/**
 * Work-based prices of ml.vad, ml.ocr and ml.classify (src/capsules/price.ts ML_RATES): frames the
 * VAD result reports, the detector's tensor and each line's recognition width from the OCR result,
 * the classifier's pieces from the crop's PNM header; ml.infer stays unpriced (the requester's model
 * decides its cost). One real VAD job through the engine's `execute` is charged what a requester
 * computes from the job and its output.
 */
import { describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import {
  classifyPieces,
  ML_RATES,
  ocrWork,
  priceBoundOf,
  priceOf,
  UNPRICED_REASONS,
} from '../../../src/capsules/price.ts';
import { nodeModels, useNodeOrt } from '../../../src/cli/node-models.ts';
import { runOnThread } from '../../_run-job.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import { wav16k } from '../../_wav.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(20261128);
const MIB = 1 << 20;
useNodeOrt();
const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const pnm = (w: number, h: number) => {
  const head = new TextEncoder().encode(`P6\n# a comment\n${w} ${h}\n255\n`);
  const b = new Uint8Array(head.length + w * h * 3);
  b.set(head);
  return b;
};

/** `seconds` of 16 kHz mono 16-bit WAV: a seeded tone in noise. */
function wav(seconds: number): Uint8Array {
  const rand = prng(SEED);
  return wav16k(seconds, (i) => 6000 * Math.sin(i / 7) + (rand() - 0.5) * 3000);
}

describe(`ml prices (seed ${SEED})`, () => {
  it('prices vad by the frames its result reports, bounded by the input’s samples', () => {
    console.info(`[ml price] seed ${SEED}`);
    const vad = priceOf('ml', 'vad')!;
    const input = wav(2);
    const out = text({ segments: [], frames: 63, durationMs: 2000 });
    const price = vad({ inputBytes: input.length, params: {}, input, output: out });
    expect(price).toBe(Math.ceil(ML_RATES.vadFrame * 63) + Math.ceil((input.length + out.length) / MIB));
    expect(priceBoundOf('ml', 'vad')!({ inputBytes: input.length, params: {} })).toBeGreaterThanOrEqual(
      price,
    );
    // An unreadable result or a forged frame count proves no frames.
    expect(vad({ inputBytes: 10, params: {}, output: text({ frames: -3 }) })).toBe(1);
    expect(vad({ inputBytes: 10, params: {}, output: Uint8Array.of(0x7b) })).toBe(1);
  });

  it('prices ocr by its detector tensor and each line’s recognition width', () => {
    // A 1000×1400 page: the detector's input is 672×960 (≤ 960 px, multiples of 32).
    const page = { width: 1000, height: 1400, lines: [] as unknown[] };
    expect(ocrWork(JSON.stringify(page))).toEqual({ detMp: (672 * 960) / 1e6, lineUnits: 0 });
    // A line box 600×40 is 720 columns at 48 px high: 2.25 units; a short one is at least 1 (320 columns).
    page.lines = [
      { text: 'a', confidence: 1, box: [10, 10, 610, 50], angle: 0 },
      { text: 'b', confidence: 1, box: [10, 60, 30, 100], angle: 0 },
    ];
    expect(ocrWork(JSON.stringify(page)).lineUnits).toBe(2.25 + 1);
    const ocr = priceOf('ml', 'ocr')!;
    const out = text(page);
    const input = pnm(1000, 1400);
    const price = ocr({ inputBytes: input.length, params: {}, input, output: out });
    expect(price).toBe(
      Math.ceil(ML_RATES.ocrDetMp * ((672 * 960) / 1e6) + ML_RATES.ocrLineUnit * 3.25) +
        Math.ceil((input.length + out.length) / MIB),
    );
    expect(
      priceBoundOf('ml', 'ocr')!({ inputBytes: input.length, params: {}, input }),
    ).toBeGreaterThanOrEqual(price);
    expect(ocrWork('not json')).toEqual({ detMp: 0, lineUnits: 0 });
  });

  it('prices classify by the pieces of its crop (about 4:1 each, 1 to 16), from the PNM header', () => {
    expect(classifyPieces(pnm(192, 48))).toBe(1);
    expect(classifyPieces(pnm(1000, 40))).toBe(6);
    expect(classifyPieces(pnm(100_000, 10))).toBe(16);
    expect(classifyPieces(Uint8Array.of(1, 2, 3))).toBe(1);
    const input = pnm(1000, 40);
    const price = priceOf('ml', 'classify')!({
      inputBytes: input.length,
      params: {},
      input,
      output: text({ angle: 0 }),
    });
    expect(price).toBe(Math.ceil(ML_RATES.classifyPiece * 6) + 1);
    expect(priceBoundOf('ml', 'classify')!({ inputBytes: input.length, params: {}, input })).toBe(price);
    // infer runs the requester's own model: unpriced, with its reason.
    expect(priceOf('ml', 'infer')).toBeUndefined();
    expect(UNPRICED_REASONS['ml.infer']).toMatch(/ONNX model/);
  });

  it('charges a vad job through execute the price a requester computes', async () => {
    const registry = new CapsuleRegistry(builtinCapsules);
    const input = wav(3);
    const r = await runOnThread(registry, {
      library: 'ml',
      method: 'vad',
      params: '{}',
      input,
      budget: 120_000,
      services: { mlModel: nodeModels },
    });
    expect(r.status, r.error).toBe('ok');
    const frames = (JSON.parse(new TextDecoder().decode(r.out)) as { frames: number }).frames;
    expect(frames).toBe(Math.ceil((3 * 16_000) / 512));
    expect(r.costUsed).toBe(
      priceOf('ml', 'vad')!({ inputBytes: input.length, params: {}, input, output: r.out }),
    );
  }, 120_000);
});
