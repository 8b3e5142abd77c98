/** Random values for the typed codecs, biased towards edges (empty, 2^53 +/- 1, 2^64 - 1, astral text, BOM). */
import type {
  EnvelopeData,
  HeartbeatData,
  JobRequestData,
  JobResultData,
  LifecycleCmdData,
  PayloadData,
} from '../../../../src/wire/index.ts';
import { JOB_STATUSES, LIFECYCLE_COMMANDS } from '../../../../src/wire/index.ts';
import type { Rng } from './prng.ts';

const PIECES = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '\n',
  'é',
  'ü',
  'ß',
  '世',
  '界',
  '🚀',
  '😀',
  '\uFEFF',
  '\u00A0',
  '\u2028',
  '{',
  '}',
];

/**
 * What the text may contain. `nul`: U+0000. `brackets`: ( ) [ ] { }. The capnp 0.9 tool finds
 * message boundaries in its text and JSON input by counting brackets without regard for string
 * literals, so `params = ")"` (capnp encode) or "}{" in a JSON string (capnp convert json:binary)
 * break it. Those are tool bugs, not format rules; tests that feed the tool avoid brackets.
 */
export interface TextOpts {
  nul?: boolean;
  brackets?: boolean;
}

/** Valid UTF-16 only (no lone surrogates), since TextEncoder would replace those. */
export function randomText(rng: Rng, maxPieces = 24, opts: TextOpts = {}): string {
  const n = rng.int(maxPieces + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    if (r < 5) s += rng.pick(PIECES);
    else if (r < 8) s += String.fromCharCode(0x20 + rng.int(0x5f));
    else if (r < 9) s += String.fromCodePoint(0x10000 + rng.int(0xfffff));
    else s += opts.nul === false ? 'x' : '\0';
  }
  return opts.brackets === false ? s.replace(/[()[\]{}]/g, '|') : s;
}

const EDGE_U64 = [
  0n,
  1n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];

export function randomU64(rng: Rng): bigint {
  const r = rng.int(4);
  if (r === 0) return rng.pick(EDGE_U64);
  if (r === 1) return BigInt(rng.int(1_000_000));
  return rng.u64();
}

export function randomPayload(rng: Rng): PayloadData {
  return rng.bool()
    ? { kind: 'inline', bytes: rng.bytes(rng.pick([0, 1, 7, 8, 9, rng.int(300)])) }
    : { kind: 'arena', offset: randomU64(rng), length: randomU64(rng) };
}

export function randomJobRequest(rng: Rng, opts: TextOpts = {}): JobRequestData {
  return {
    id: randomText(rng, 8, opts),
    library: randomText(rng, 6, opts),
    method: randomText(rng, 6, opts),
    params: randomText(rng, 40, opts),
    budget: randomU64(rng),
    deadlineMs: randomU64(rng),
    input: randomPayload(rng),
  };
}

export function randomJobResult(rng: Rng, opts: TextOpts = {}): JobResultData {
  return {
    jobId: randomText(rng, 8, opts),
    status: rng.pick(JOB_STATUSES),
    output: randomPayload(rng),
    costUsed: randomU64(rng),
    error: randomText(rng, 20, opts),
  };
}

export function randomLifecycleCmd(rng: Rng, opts: TextOpts = {}): LifecycleCmdData {
  return {
    command: rng.pick(LIFECYCLE_COMMANDS),
    reason: randomText(rng, 20, opts),
    timestampMs: randomU64(rng),
  };
}

export function randomHeartbeat(rng: Rng): HeartbeatData {
  return {
    worker: rng.u32(),
    epoch: randomU64(rng),
    jobsDone: randomU64(rng),
    load: Math.fround(rng.pick([0, 1, 0.5, rng.next(), -0, 1e-40])),
    timestampMs: randomU64(rng),
  };
}

export function randomEnvelope(rng: Rng, opts: TextOpts = {}): EnvelopeData {
  return {
    id: randomText(rng, 8, opts),
    type: randomText(rng, 8, opts),
    timestampMs: randomU64(rng),
    payload: rng.bytes(rng.int(200)),
  };
}
