/**
 * WAV input for `vad`: RIFF/WAVE, mono, 16 kHz, 16-bit PCM or 32-bit float (what `sox in.wav -r 16000
 * -c 1 -b 16 out.wav` writes). Anything else is refused with what is allowed.
 */
import { BadInputError } from '../capsule.ts';

export const VAD_RATE = 16_000;

export function decodeWav(bytes: Uint8Array): Float32Array {
  const bad = (why: string) =>
    new BadInputError(`${why}; vad wants a WAV file: mono, ${VAD_RATE} Hz, 16-bit PCM or 32-bit float`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw bad('the input is not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16) {
      fmt = {
        format: v.getUint16(body, true),
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        bits: v.getUint16(body + 14, true),
      };
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (fmt.format === 0xfffe && size >= 26) fmt.format = v.getUint16(body + 24, true);
    } else if (id === 'data') {
      if (!fmt) throw bad('the data chunk comes before the fmt chunk');
      if (fmt.channels !== 1) throw bad(`the file has ${fmt.channels} channels`);
      if (fmt.rate !== VAD_RATE) throw bad(`the file is ${fmt.rate} Hz`);
      const len = Math.min(size, bytes.length - body);
      if (fmt.format === 1 && fmt.bits === 16) {
        const out = new Float32Array(len >> 1);
        for (let i = 0; i < out.length; i++) out[i] = v.getInt16(body + i * 2, true) / 32768;
        return out;
      }
      if (fmt.format === 3 && fmt.bits === 32) {
        const out = new Float32Array(len >> 2);
        for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(body + i * 4, true);
        return out;
      }
      throw bad(`the samples are format ${fmt.format} with ${fmt.bits} bits`);
    }
    at = body + size + (size & 1);
  }
  throw bad('no data chunk');
}
