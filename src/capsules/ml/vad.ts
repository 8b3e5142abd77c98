/**
 * Speech segments with Silero VAD v5: 512-sample frames (32 ms at 16 kHz) with a 64-sample context
 * carried from the previous frame and a recurrent state, as @ricky0123/vad-web and Silero's own
 * `get_speech_timestamps` run it; then the same hysteresis: speech starts when p ≥ threshold, ends
 * after `minSilenceMs` below threshold − 0.15, segments shorter than `minSpeechMs` are dropped and
 * each is padded by `padMs` (clipped to its neighbours and the file).
 */
import type { ModelSource } from './models.ts';
import { loadOrt, namedSession } from './ort.ts';
import { VAD_RATE } from './audio.ts';

const FRAME = 512;
const CONTEXT = 64;

export interface VadOptions {
  threshold: number;
  minSilenceMs: number;
  minSpeechMs: number;
  padMs: number;
}

export interface VadResult {
  segments: { startMs: number; endMs: number }[];
  frames: number;
  durationMs: number;
}

/** Speech probability per 32 ms frame. */
export async function speechProbabilities(
  audio: Float32Array,
  models: ModelSource | undefined,
  checkpoint: () => void,
): Promise<Float32Array> {
  const ort = await loadOrt();
  const session = await namedSession('vad', models);
  const frames = Math.ceil(audio.length / FRAME);
  const probs = new Float32Array(frames);
  let state = new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  const sr = new ort.Tensor('int64', BigInt64Array.of(BigInt(VAD_RATE)), []);
  const window = new Float32Array(CONTEXT + FRAME);
  for (let f = 0; f < frames; f++) {
    checkpoint();
    window.copyWithin(0, FRAME, FRAME + CONTEXT);
    window.fill(0, CONTEXT);
    window.set(audio.subarray(f * FRAME, (f + 1) * FRAME), CONTEXT);
    const input = new ort.Tensor('float32', window.slice(), [1, CONTEXT + FRAME]);
    const out = await session.run({ input, state, sr });
    probs[f] = (out['output']!.data as Float32Array)[0]!;
    state = out['stateN'] as typeof state;
  }
  return probs;
}

export function segmentsFromProbabilities(probs: Float32Array, samples: number, o: VadOptions): VadResult {
  const frameMs = (FRAME / VAD_RATE) * 1000;
  const durationMs = (samples / VAD_RATE) * 1000;
  const raw: { start: number; end: number }[] = [];
  let start = -1;
  let silenceSince = -1;
  for (let f = 0; f < probs.length; f++) {
    const p = probs[f]!;
    if (start < 0) {
      if (p >= o.threshold) start = f;
      continue;
    }
    if (p >= o.threshold - 0.15) silenceSince = -1;
    else if (silenceSince < 0) silenceSince = f;
    else if ((f - silenceSince) * frameMs >= o.minSilenceMs) {
      raw.push({ start, end: silenceSince });
      start = -1;
      silenceSince = -1;
    }
  }
  if (start >= 0) raw.push({ start, end: silenceSince >= 0 ? silenceSince : probs.length });
  const kept = raw.filter((s) => (s.end - s.start) * frameMs >= o.minSpeechMs);
  const segments = kept.map((s, i) => {
    const prevEnd = i > 0 ? kept[i - 1]!.end * frameMs : 0;
    const nextStart = i + 1 < kept.length ? kept[i + 1]!.start * frameMs : durationMs;
    const startMs = Math.max(prevEnd, s.start * frameMs - o.padMs, 0);
    const endMs = Math.min(nextStart, s.end * frameMs + o.padMs, durationMs);
    return { startMs: Math.round(startMs), endMs: Math.round(endMs) };
  });
  return { segments, frames: probs.length, durationMs: Math.round(durationMs) };
}
