/**
 * `npm run bench:ml`: the ml capsule's pipelines in Node, one thread, on the same models and inputs
 *  - onnxruntime-web 1.30 wasm (SIMD, 1 thread): what every worker runs;
 *  - onnxruntime-node 1.30 (native CPU, intraOpNumThreads 1): the reference, same run.
 * Figures: ms per OCR page (a 1000×700 page of 10 rendered lines) and ms per second of VAD audio
 * (espeak-ng speech with silences, 16 kHz). Best of 3 after one warm-up run (session build excluded).
 * Writes bench/results/ml.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePnm } from '../../src/capsules/ml/image.ts';
import { decodeWav, VAD_RATE } from '../../src/capsules/ml/audio.ts';
import { ocr } from '../../src/capsules/ml/ocr.ts';
import { setOrtRuntime, type OrtModule } from '../../src/capsules/ml/ort.ts';
import { speechProbabilities } from '../../src/capsules/ml/vad.ts';
import { nodeModels } from '../../src/cli/node-models.ts';
import { editDistance, speechWithSilences, textImage } from '../../tests/unit/ml/_fixtures.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'ml.json');
const LINES = [
  'The quick brown fox jumps over 13 lazy dogs.',
  'Pack my box with five dozen liquor jugs!',
  'INOS contributes idle browser cycles.',
  'Sphinx of black quartz, judge my vow.',
  'How vexingly quick daft zebras jump 42.',
  'The five boxing wizards jump quickly.',
  'Jackdaws love my big sphinx of quartz.',
  'Waltz, bad nymph, for quick jigs vex 7.',
  'Glib jocks quiz nymph to vex dwarf 2026.',
  'Bright vixens jump; dozy fowl quack.',
];

async function best(f: () => Promise<unknown>): Promise<number> {
  await f();
  let b = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await f();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

async function measure(label: string, load: () => Promise<OrtModule>, provider: string) {
  setOrtRuntime(load, undefined, provider);
  const img = decodePnm(page);
  const audio = decodeWav(wav);
  let text = '';
  const ocrMs = await best(async () => {
    text = (await ocr(img, nodeModels, () => undefined)).map((l) => l.text).join('\n');
  });
  const vadMs = await best(() => speechProbabilities(audio, nodeModels, () => undefined));
  const want = LINES.join('\n');
  const row = {
    runtime: label,
    ocr_ms_per_page: Math.round(ocrMs),
    ocr_char_accuracy: Math.round((1 - editDistance(text, want) / want.length) * 10000) / 10000,
    vad_ms_per_audio_second: Math.round((vadMs / (audio.length / VAD_RATE)) * 100) / 100,
  };
  console.log(row);
  return row;
}

const page = textImage(LINES, { width: 1000 });
const { wav } = speechWithSilences(
  ['hello there this is a test', 'speech detection works offline', 'goodbye'],
  [0.8, 1.2, 1.0, 0.9],
);
const load0 = loadavg()[0] ?? 0;
const web = await measure('onnxruntime-web 1.30 wasm, 1 thread', () => import('onnxruntime-web'), 'wasm');
const native = await measure(
  'onnxruntime-node 1.30 native CPU, 1 thread',
  () => import('onnxruntime-node') as unknown as Promise<OrtModule>,
  'cpu',
);
const out = {
  rows: [web, native],
  wasm_vs_native: {
    ocr_time_ratio: Math.round((web.ocr_ms_per_page / native.ocr_ms_per_page) * 100) / 100,
    vad_time_ratio: Math.round((web.vad_ms_per_audio_second / native.vad_ms_per_audio_second) * 100) / 100,
  },
  meta: {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_1m_before_after: [load0, loadavg()[0] ?? 0],
    page: `${decodePnm(page).width}×${decodePnm(page).height}, ${LINES.length} lines DejaVu Sans 28 pt (ImageMagick)`,
    audio_seconds: decodeWav(wav).length / VAD_RATE,
    note: 'best of 3 after a warm-up; sessions built before timing; shared noisy 2-core VM, compare the ratios',
  },
};
writeFileSync(RESULTS, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${RESULTS}`, out.wasm_vs_native);
