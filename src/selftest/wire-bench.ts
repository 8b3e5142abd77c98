/**
 * JobRequest encode/decode (src/wire, Cap'n Proto) vs JSON on this page's main thread, for the
 * request the engine sends (input by arena reference). "JSON" is typed: bigint fields go through
 * strings both ways, so both sides start and end with the same JobRequestData. Median of
 * interleaved rounds.
 */
import { decodeJobRequest, encodeJobRequest, type JobRequestData } from '../wire/index.ts';
import { median, round } from './_stats.ts';

const REQUEST: JobRequestData = {
  id: '7f1c2e9a-3b4d-4c5e-8f60-718293a4b5c6',
  library: 'crypto',
  method: 'chacha20poly1305_encrypt',
  params: JSON.stringify({
    key: '80'.repeat(32),
    nonce: '07000000'.padEnd(24, '4'),
    aad: '50515253c0c1c2c3c4c5c6c7',
  }),
  budget: 1_500_000n,
  deadlineMs: 1_735_689_600_000n,
  input: { kind: 'arena', offset: 1_048_576n, length: 262_144n },
};

export interface WireBench {
  frame_bytes: number;
  json_bytes: number;
  encode_us: number;
  decode_us: number;
  json_encode_us: number;
  json_decode_us: number;
  roundtrip_us: number;
  json_roundtrip_us: number;
  /** (encode + decode) / (JSON encode + JSON decode): below 1 means the wire format is faster. */
  roundtrip_vs_json_ratio: number;
}

interface JsonShape extends Omit<JobRequestData, 'budget' | 'deadlineMs' | 'input'> {
  budget: string;
  deadlineMs: string;
  input: { arena: { offset: string; length: string } };
}

function toJson(r: JobRequestData): string {
  if (r.input.kind !== 'arena') throw new TypeError('wire bench: arena input expected');
  const shape: JsonShape = {
    id: r.id,
    library: r.library,
    method: r.method,
    params: r.params,
    budget: r.budget.toString(),
    deadlineMs: r.deadlineMs.toString(),
    input: { arena: { offset: r.input.offset.toString(), length: r.input.length.toString() } },
  };
  return JSON.stringify(shape);
}

function fromJson(text: string): JobRequestData {
  const s = JSON.parse(text) as JsonShape;
  return {
    id: s.id,
    library: s.library,
    method: s.method,
    params: s.params,
    budget: BigInt(s.budget),
    deadlineMs: BigInt(s.deadlineMs),
    input: { kind: 'arena', offset: BigInt(s.input.arena.offset), length: BigInt(s.input.arena.length) },
  };
}

/** Results are summed here so the JIT cannot drop the calls being timed. */
let sink = 0;

/** µs per call of `f`, run for about `ms`. */
function timeIt(f: () => number, ms: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 200; i++) sink += f();
    n += 200;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n;
}

export function wireBench(rounds = 15, msPerRound = 30): WireBench {
  const frame = encodeJobRequest(REQUEST);
  const json = toJson(REQUEST);
  if (decodeJobRequest(frame).params !== REQUEST.params || fromJson(json).budget !== REQUEST.budget)
    throw new Error('wire bench: a codec did not round-trip the request');
  const s = { enc: [] as number[], dec: [] as number[], jenc: [] as number[], jdec: [] as number[] };
  for (let i = 0; i < rounds + 2; i++) {
    const enc = timeIt(() => encodeJobRequest(REQUEST).length, msPerRound);
    const dec = timeIt(() => decodeJobRequest(frame).id.length, msPerRound);
    const jenc = timeIt(() => toJson(REQUEST).length, msPerRound);
    const jdec = timeIt(() => fromJson(json).id.length, msPerRound);
    if (i < 2) continue; // warm-up rounds (JIT tiers)
    s.enc.push(enc);
    s.dec.push(dec);
    s.jenc.push(jenc);
    s.jdec.push(jdec);
  }
  if (sink <= 0) throw new Error('wire bench: nothing was measured');
  const [enc, dec, jenc, jdec] = [median(s.enc), median(s.dec), median(s.jenc), median(s.jdec)];
  return {
    frame_bytes: frame.length,
    json_bytes: new TextEncoder().encode(json).length,
    encode_us: round(enc, 3),
    decode_us: round(dec, 3),
    json_encode_us: round(jenc, 3),
    json_decode_us: round(jdec, 3),
    roundtrip_us: round(enc + dec, 3),
    json_roundtrip_us: round(jenc + jdec, 3),
    roundtrip_vs_json_ratio: round((enc + dec) / (jenc + jdec), 3),
  };
}
