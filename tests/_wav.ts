/** `sample(i)` (16-bit, clamped) as a 16 kHz mono PCM WAV file: what ml.vad reads (src/capsules/ml/audio.ts). */
export function wav16k(seconds: number, sample: (i: number) => number): Uint8Array {
  const n = 16_000 * seconds;
  const b = new Uint8Array(44 + n * 2);
  const v = new DataView(b.buffer);
  const put = (at: number, s: string) => [...s].forEach((ch, i) => (b[at + i] = ch.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, 36 + n * 2, true);
  put(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 16_000, true);
  v.setUint32(28, 32_000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++)
    v.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(sample(i)))), true);
  return b;
}
