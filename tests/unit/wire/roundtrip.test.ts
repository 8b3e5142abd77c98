import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  decodeHeartbeat,
  decodeJobRequest,
  decodeJobResult,
  decodeLifecycleCmd,
  EncodeError,
  encodeEnvelope,
  encodeHeartbeat,
  encodeJobRequest,
  encodeJobResult,
  encodeLifecycleCmd,
  type JobRequestData,
} from '../../../src/wire/index.ts';
import {
  randomEnvelope,
  randomHeartbeat,
  randomJobRequest,
  randomJobResult,
  randomLifecycleCmd,
} from './_support/gen.ts';
import { withSeed } from './_support/prng.ts';

const CASES = 300;

const sample: JobRequestData = {
  id: 'héllo 世界 🚀',
  library: 'hash',
  method: 'sha256',
  params: '{"text":"héllo 世界 🚀"}',
  budget: 2n ** 64n - 1n,
  deadlineMs: 2n ** 53n + 1n,
  input: { kind: 'inline', bytes: new Uint8Array([0, 1, 2, 254, 255]) },
};

function segmentTable(frame: Uint8Array): [number, number] {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return [v.getUint32(0, true), v.getUint32(4, true)];
}

describe('typed codecs round-trip', () => {
  it('JobRequest: non-ASCII text and 64-bit values above 2^53 survive', () => {
    const frame = encodeJobRequest(sample);
    expect(decodeJobRequest(frame)).toEqual(sample);
    // One segment, stream framing: [count - 1 = 0][segment words], then exactly that many words.
    const [countMinusOne, words] = segmentTable(frame);
    expect(countMinusOne).toBe(0);
    expect(frame.byteLength).toBe(8 + words * 8);
  });

  it('keeps a leading U+FEFF, embedded NUL and astral characters exactly', () => {
    const req = { ...sample, id: '\uFEFFbom', method: 'a\0b', params: '𝄞'.repeat(100) };
    expect(decodeJobRequest(encodeJobRequest(req))).toEqual(req);
  });

  it('a lone UTF-16 surrogate cannot be UTF-8: it is written as U+FFFD, as TextEncoder does', () => {
    expect(decodeJobRequest(encodeJobRequest({ ...sample, id: 'a\uD800b' })).id).toBe('a\uFFFDb');
  });

  it('encodes deterministically', () => {
    expect(encodeJobRequest(sample)).toEqual(encodeJobRequest(sample));
  });

  it.each([
    ['JobRequest', randomJobRequest, encodeJobRequest, decodeJobRequest],
    ['JobResult', randomJobResult, encodeJobResult, decodeJobResult],
    ['LifecycleCmd', randomLifecycleCmd, encodeLifecycleCmd, decodeLifecycleCmd],
    ['HealthHeartbeat', randomHeartbeat, encodeHeartbeat, decodeHeartbeat],
    ['Envelope', randomEnvelope, encodeEnvelope, decodeEnvelope],
  ] as const)('%s: random values round-trip', (name, gen, encode, decode) => {
    withSeed(`${name} round-trip`, (rng) => {
      for (let i = 0; i < CASES; i++) {
        const value = gen(rng);
        const frame = (encode as (v: typeof value) => Uint8Array)(value);
        expect(frame.byteLength % 8).toBe(0);
        // Sized exactly up front: the frame owns its whole buffer (one allocation, no final copy).
        expect(frame.buffer.byteLength).toBe(frame.byteLength);
        expect(decode(frame)).toEqual(value);
      }
    });
  });

  it('HealthHeartbeat.load is Float32: reads back as Math.fround', () => {
    const hb = { worker: 7, epoch: 1n, jobsDone: 2n, load: 0.1, timestampMs: 3n };
    expect(decodeHeartbeat(encodeHeartbeat(hb)).load).toBe(Math.fround(0.1));
  });

  it('empty strings and empty Data encode as null pointers and read back empty', () => {
    const req = {
      ...sample,
      id: '',
      library: '',
      method: '',
      params: '',
      input: { kind: 'inline' as const, bytes: new Uint8Array(0) },
    };
    const frame = encodeJobRequest(req);
    // Root pointer + 3 data words + 5 pointers, nothing else.
    expect(frame.byteLength).toBe(8 + (1 + 3 + 5) * 8);
    expect(decodeJobRequest(frame)).toEqual(req);
  });

  it('decoded Data is a private copy, not a view of the frame', () => {
    const frame = encodeJobRequest(sample);
    const decoded = decodeJobRequest(frame);
    frame.fill(0);
    expect(decoded.input).toEqual(sample.input);
  });
});

describe('encoders reject values that do not fit the schema', () => {
  it.each([
    [{ ...sample, budget: 5 }, 'JobRequest.budget'],
    [{ ...sample, budget: -1n }, 'JobRequest.budget'],
    [{ ...sample, deadlineMs: 2n ** 64n }, 'JobRequest.deadlineMs'],
    [{ ...sample, id: 42 }, 'JobRequest.id'],
    [{ ...sample, input: { kind: 'inline', bytes: [1, 2] } }, 'JobRequest.input.bytes'],
    [{ ...sample, input: { kind: 'disk' } }, 'JobRequest.input.kind'],
    [null, 'JobRequest'],
  ])('%#: names %s', (value, path) => {
    const run = (): Uint8Array => encodeJobRequest(value as unknown as JobRequestData);
    expect(run).toThrow(EncodeError);
    expect(run).toThrow(path);
  });

  it('rejects unknown enumerants and out-of-range u32', () => {
    expect(() =>
      encodeJobResult({
        jobId: '',
        status: 'great' as 'ok',
        output: { kind: 'inline', bytes: new Uint8Array() },
        costUsed: 0n,
        error: '',
      }),
    ).toThrow(/JobResult\.status: expected one of ok, badInput/);
    expect(() =>
      encodeHeartbeat({ worker: 2 ** 32, epoch: 0n, jobsDone: 0n, load: 0, timestampMs: 0n }),
    ).toThrow(/HealthHeartbeat\.worker/);
  });
});
