/**
 * Property: for ANY bytes, every decoder either returns a value or throws a FrameError whose code is
 * not 'internal' (an unexpected exception inside a decoder), and the outcome does not depend on
 * bytes outside the frame. Shared by the fast suite and tests/slow/wire.
 */
import {
  decodeDynamic,
  decodeEnvelope,
  decodeHeartbeat,
  decodeJobRequest,
  decodeJobResult,
  decodeLifecycleCmd,
  encodeEnvelope,
  encodeHeartbeat,
  encodeJobRequest,
  encodeJobResult,
  encodeLifecycleCmd,
  FrameError,
  OUR_LAYOUTS,
} from '../../../../src/wire/index.ts';
import { farPtr, frameOf, listPtr, structPtr, type Word } from './frames.ts';
import {
  randomEnvelope,
  randomHeartbeat,
  randomJobRequest,
  randomJobResult,
  randomLifecycleCmd,
} from './gen.ts';
import type { Rng } from './prng.ts';
import { TEST_LAYOUTS } from './test-layouts.ts';

type Decoder = (bytes: Uint8Array) => unknown;

export const DECODERS: ReadonlyArray<readonly [string, Decoder]> = [
  ['JobRequest', decodeJobRequest],
  ['JobResult', decodeJobResult],
  ['LifecycleCmd', decodeLifecycleCmd],
  ['HealthHeartbeat', decodeHeartbeat],
  ['Envelope', decodeEnvelope],
  ['dynamic JobRequest', (b) => decodeDynamic(b, OUR_LAYOUTS, 'capsule.capnp:JobRequest', { json: true })],
  ['dynamic Lists', (b) => decodeDynamic(b, TEST_LAYOUTS, 't.capnp:Lists')],
  ['dynamic Node', (b) => decodeDynamic(b, TEST_LAYOUTS, 't.capnp:Node')],
];

export interface FuzzStats {
  cases: number;
  decodes: number;
  ok: number;
  errors: Record<string, number>;
}

function hex(b: Uint8Array): string {
  return (
    [...b.subarray(0, 256)].map((x) => x.toString(16).padStart(2, '0')).join('') + (b.length > 256 ? '…' : '')
  );
}

function randomWord(rng: Rng): Word {
  // Biased towards plausible pointers so the fuzzer gets past the first bounds check.
  switch (rng.int(6)) {
    case 0:
      return structPtr(rng.int(16) - 4, rng.int(4), rng.int(13));
    case 1:
      return listPtr(rng.int(16) - 4, rng.int(8), rng.int(40));
    case 2:
      return farPtr(rng.int(4), rng.int(8), rng.bool());
    case 3:
      return [0, 0];
    default:
      return [rng.u32(), rng.u32()];
  }
}

function validFrame(rng: Rng): Uint8Array {
  switch (rng.int(5)) {
    case 0:
      return encodeJobRequest(randomJobRequest(rng));
    case 1:
      return encodeJobResult(randomJobResult(rng));
    case 2:
      return encodeLifecycleCmd(randomLifecycleCmd(rng));
    case 3:
      return encodeHeartbeat(randomHeartbeat(rng));
    default:
      return encodeEnvelope(randomEnvelope(rng));
  }
}

/** One random or mutated frame. */
export function fuzzFrame(rng: Rng): Uint8Array {
  const strategy = rng.int(8);
  if (strategy === 0) return rng.bytes(rng.int(96));
  if (strategy === 1 || strategy === 2) {
    const segments = Array.from({ length: strategy === 1 ? 1 : 1 + rng.int(4) }, () =>
      Array.from({ length: rng.int(20) }, () => randomWord(rng)),
    );
    return frameOf(...segments);
  }
  const frame = validFrame(rng).slice();
  const v = new DataView(frame.buffer);
  switch (strategy) {
    case 3: // flip bits
      for (let i = 1 + rng.int(6); i > 0; i--) {
        const at = rng.int(frame.length);
        frame[at] = (frame[at] ?? 0) ^ (1 << rng.int(8));
      }
      return frame;
    case 4: // overwrite a word with a plausible pointer
      for (let i = 1 + rng.int(3); i > 0; i--) {
        const at = 8 + rng.int((frame.length - 8) / 8) * 8;
        const [lo, hi] = randomWord(rng);
        v.setUint32(at, lo, true);
        v.setUint32(at + 4, hi, true);
      }
      return frame;
    case 5: // truncate or extend
      return rng.bool()
        ? frame.subarray(0, rng.int(frame.length))
        : new Uint8Array([...frame, ...rng.bytes(1 + rng.int(16))]);
    case 6: // segment table lies
      v.setUint32(rng.bool() ? 0 : 4, rng.bool() ? rng.u32() : rng.int(8), true);
      return frame;
    default: // random bytes over a random range
      frame.set(rng.bytes(Math.min(8, frame.length)), rng.int(Math.max(1, frame.length - 8)));
      return frame;
  }
}

function outcome(decode: Decoder, bytes: Uint8Array): string {
  try {
    const value = decode(bytes);
    return `ok:${JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? hex(x) : x))}`;
  } catch (err) {
    if (err instanceof FrameError && err.code !== 'internal') return `err:${err.code}:${err.message}`;
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(`decoder threw something other than a non-internal FrameError: ${detail}`, {
      cause: err,
    });
  }
}

/** `bytes` copied into a larger buffer at an odd offset, surrounded by random bytes. */
function embedded(rng: Rng, bytes: Uint8Array): Uint8Array {
  const pad = 1 + rng.int(24);
  const buf = rng.bytes(bytes.length + pad + 1 + rng.int(24));
  buf.set(bytes, pad);
  return buf.subarray(pad, pad + bytes.length);
}

export function runFuzz(rng: Rng, cases: number): FuzzStats {
  const stats: FuzzStats = { cases, decodes: 0, ok: 0, errors: {} };
  for (let i = 0; i < cases; i++) {
    const bytes = fuzzFrame(rng);
    for (const [name, decode] of DECODERS) {
      let first: string;
      try {
        first = outcome(decode, bytes);
        // Every 4th case: the same frame with different neighbours must decode identically.
        if (i % 4 === 0) {
          const again = outcome(decode, embedded(rng, bytes));
          if (again !== first)
            throw new Error(`outcome depends on bytes outside the frame:\n  ${first}\n  ${again}`);
        }
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`${name}, case ${i}, frame ${hex(bytes)}: ${msg}`, { cause: err });
      }
      stats.decodes++;
      if (first.startsWith('ok:')) stats.ok++;
      else {
        const code = first.split(':')[1] ?? '?';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      }
    }
  }
  return stats;
}
