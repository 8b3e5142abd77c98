/**
 * Frames that live in a SharedArrayBuffer. Chrome's TextDecoder throws on views of shared memory
 * (Node's does not), so this suite swaps in a decoder that behaves like Chrome's and re-imports the
 * codec under it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Wire from '../../../src/wire/index.ts';
import { randomEnvelope, randomJobRequest, randomJobResult, randomLifecycleCmd } from './_support/gen.ts';
import { makeRng, withSeed } from './_support/prng.ts';

const RealTextDecoder = globalThis.TextDecoder;

function isShared(input: unknown): boolean {
  const buffer = ArrayBuffer.isView(input) ? input.buffer : input;
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** Same message Chrome gives. */
class ChromeLikeTextDecoder extends RealTextDecoder {
  override decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string {
    if (isShared(input)) {
      throw new TypeError(
        "Failed to execute 'decode' on 'TextDecoder': The provided ArrayBufferView value must not be shared.",
      );
    }
    return super.decode(input, options);
  }
}

/** Copies `frame` into a fresh SAB at `offset`, surrounded by random bytes, and returns the view. */
function inSharedMemory(frame: Uint8Array, offset: number, seed: number): Uint8Array {
  const sab = new SharedArrayBuffer(offset + frame.length + 64);
  const all = new Uint8Array(sab);
  all.set(makeRng(seed).bytes(all.length));
  all.set(frame, offset);
  return new Uint8Array(sab, offset, frame.length);
}

let wire: typeof Wire;

beforeAll(async () => {
  vi.stubGlobal('TextDecoder', ChromeLikeTextDecoder);
  vi.resetModules();
  wire = await import('../../../src/wire/index.ts');
});
afterAll(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('decoding frames in a SharedArrayBuffer (Chrome TextDecoder semantics)', () => {
  it('the stand-in decoder really rejects shared memory, as Chrome does', () => {
    const view = new Uint8Array(new SharedArrayBuffer(8));
    expect(() => new TextDecoder().decode(view)).toThrow(/must not be shared/);
  });

  it.each([0, 8, 13, 4093])('decodes every struct from a SAB view at byte offset %i', (offset) => {
    withSeed(`SAB offset ${offset}`, (rng, seed) => {
      for (let i = 0; i < 50; i++) {
        const req = randomJobRequest(rng);
        expect(wire.decodeJobRequest(inSharedMemory(wire.encodeJobRequest(req), offset, seed + i))).toEqual(
          req,
        );
        const res = randomJobResult(rng);
        expect(wire.decodeJobResult(inSharedMemory(wire.encodeJobResult(res), offset, seed + i))).toEqual(
          res,
        );
        const cmd = randomLifecycleCmd(rng);
        expect(
          wire.decodeLifecycleCmd(inSharedMemory(wire.encodeLifecycleCmd(cmd), offset, seed + i)),
        ).toEqual(cmd);
        const env = randomEnvelope(rng);
        expect(wire.decodeEnvelope(inSharedMemory(wire.encodeEnvelope(env), offset, seed + i))).toEqual(env);
      }
    });
  });

  it('non-ASCII text from shared memory', () => {
    const req: Wire.JobRequestData = {
      id: 'héllo 世界 🚀',
      library: '\uFEFFlib',
      method: 'm',
      params: '{}',
      budget: 2n ** 64n - 1n,
      deadlineMs: 2n ** 53n + 1n,
      input: { kind: 'arena', offset: 1n, length: 2n },
    };
    expect(wire.decodeJobRequest(inSharedMemory(wire.encodeJobRequest(req), 24, 1))).toEqual(req);
  });

  it('returns Data as private (non-shared) copies', () => {
    const env = { id: 'e', type: 't', timestampMs: 1n, payload: new Uint8Array([9, 8, 7]) };
    const view = inSharedMemory(wire.encodeEnvelope(env), 16, 2);
    const decoded = wire.decodeEnvelope(view);
    expect(isShared(decoded.payload)).toBe(false);
    view.fill(0);
    expect(decoded.payload).toEqual(new Uint8Array([9, 8, 7]));
  });

  it('schema-driven decoding works on shared memory too', () => {
    const req = randomJobRequest(makeRng(3));
    const view = inSharedMemory(wire.encodeJobRequest(req), 40, 3);
    const value = wire.decodeDynamic(view, wire.OUR_LAYOUTS, 'capsule.capnp:JobRequest');
    expect(value.id).toBe(req.id);
    expect(value.params).toBe(req.params);
  });
});
