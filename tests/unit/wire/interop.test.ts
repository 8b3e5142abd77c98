/**
 * Interop with the reference implementation (capnp 0.9 C++ tool): it must read our frames, and we
 * must read its frames, including multi-segment ones with far pointers that we never write.
 */
import { describe, expect, it } from 'vitest';
import {
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
  frameLength,
  type JobRequestData,
} from '../../../src/wire/index.ts';
import { capnp, HAS_CAPNP, schemaPath, SKIP_REASON } from './_support/capnp-tool.ts';
import { jobRequestLiteral } from './_support/capnp-text.ts';
import {
  randomEnvelope,
  randomHeartbeat,
  randomJobRequest,
  randomJobResult,
  randomLifecycleCmd,
  type TextOpts,
} from './_support/gen.ts';
import { type Rng, withSeed } from './_support/prng.ts';

if (!HAS_CAPNP) console.warn(`[wire interop] skipped: ${SKIP_REASON}`);
const suite = HAS_CAPNP
  ? 'interop with the capnp reference tool'
  : `interop with the capnp reference tool (skipped: ${SKIP_REASON})`;

const HELLO = 'héllo 世界 🚀';
const BIG = 2n ** 53n + 1n;
const MAX = 2n ** 64n - 1n;

function split(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < stream.length;) {
    const n = frameLength(stream.subarray(at));
    out.push(stream.subarray(at, at + n));
    at += n;
  }
  return out;
}

function concat(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

interface Case<T> {
  file: string;
  struct: string;
  gen: (rng: Rng, opts: TextOpts) => T;
  encode: (v: T) => Uint8Array;
  decode: (b: Uint8Array) => T;
}
const CASES: Case<never>[] = [
  {
    file: 'capsule.capnp',
    struct: 'JobRequest',
    gen: randomJobRequest,
    encode: encodeJobRequest,
    decode: decodeJobRequest,
  },
  {
    file: 'capsule.capnp',
    struct: 'JobResult',
    gen: randomJobResult,
    encode: encodeJobResult,
    decode: decodeJobResult,
  },
  {
    file: 'orchestration.capnp',
    struct: 'LifecycleCmd',
    gen: randomLifecycleCmd,
    encode: encodeLifecycleCmd,
    decode: decodeLifecycleCmd,
  },
  {
    file: 'orchestration.capnp',
    struct: 'HealthHeartbeat',
    gen: randomHeartbeat,
    encode: encodeHeartbeat,
    decode: decodeHeartbeat,
  },
  {
    file: 'base.capnp',
    struct: 'Envelope',
    gen: randomEnvelope,
    encode: encodeEnvelope,
    decode: decodeEnvelope,
  },
] as unknown as Case<never>[];

describe.skipIf(!HAS_CAPNP)(suite, () => {
  it('decodes what `capnp encode` writes from text: non-ASCII and 64-bit values above 2^53', () => {
    const text = `(id = "${HELLO}", library = "hash", method = "sha256", params = "{\\"k\\": \\"${HELLO}\\"}", budget = ${MAX}, deadlineMs = ${BIG}, input = (arena = (offset = ${BIG}, length = 4096)))`;
    const frame = new Uint8Array(capnp(['encode', schemaPath('capsule.capnp'), 'JobRequest'], text));
    expect(decodeJobRequest(frame)).toEqual({
      id: HELLO,
      library: 'hash',
      method: 'sha256',
      params: `{"k": "${HELLO}"}`,
      budget: MAX,
      deadlineMs: BIG,
      input: { kind: 'arena', offset: BIG, length: 4096n },
    });
  });

  it('`capnp decode` reads our frames: non-ASCII text and 64-bit values above 2^53', () => {
    const req: JobRequestData = {
      id: HELLO,
      library: 'hash',
      method: 'sha256',
      params: '{}',
      budget: MAX,
      deadlineMs: BIG,
      input: { kind: 'inline', bytes: new Uint8Array([1, 2, 255]) },
    };
    const text = capnp(
      ['decode', '--short', schemaPath('capsule.capnp'), 'JobRequest'],
      encodeJobRequest(req),
    ).toString('utf8');
    expect(text.trim()).toBe(
      `(id = "${HELLO}", library = "hash", method = "sha256", params = "{}", budget = ${MAX}, deadlineMs = ${BIG}, input = (inline = "\\001\\002\\377"))`,
    );
  });

  it('random JobRequests: capnp text literal -> `capnp encode` -> our decoder', () => {
    withSeed('capnp encode -> decodeJobRequest', (rng) => {
      for (let i = 0; i < 12; i++) {
        const req = randomJobRequest(rng, { nul: false, brackets: false });
        const frame = new Uint8Array(
          capnp(['encode', schemaPath('capsule.capnp'), 'JobRequest'], jobRequestLiteral(req)),
        );
        expect(decodeJobRequest(frame)).toEqual(req);
        // Same allocation order as the reference, so identical bytes, except that we write empty
        // Text/Data as null pointers where capnp writes zero-length lists.
        const texts = [req.id, req.library, req.method, req.params];
        const hasEmpty = texts.includes('') || (req.input.kind === 'inline' && req.input.bytes.length === 0);
        if (!hasEmpty) expect(encodeJobRequest(req)).toEqual(frame);
      }
    });
  });

  it.each(CASES.map((c) => [c.struct, c] as const))(
    '%s: ours -> capnp (binary:json) -> capnp (json:binary, 1 and many segments) -> ours',
    (struct, c) => {
      withSeed(`${struct} via capnp convert`, (rng) => {
        const values = Array.from({ length: 40 }, () => c.gen(rng, { brackets: false }));
        const schema = schemaPath(c.file);
        // binary:json reads a stream, so one process checks all 40 of our frames.
        const json = capnp(
          ['convert', 'binary:json', '--short', schema, struct],
          concat(values.map(c.encode)),
        );
        const lines = json.toString('utf8').trim().split('\n');
        expect(lines).toHaveLength(values.length);
        // json:binary reads one message per run; check a few in one segment and a few with
        // --segment-size=2, which forces far pointers and landing pads.
        lines.slice(0, 8).forEach((line, i) => {
          const args = [
            'convert',
            'json:binary',
            ...(i % 2 === 0 ? [] : ['--segment-size=2']),
            schema,
            struct,
          ];
          const back = split(new Uint8Array(capnp(args, line)));
          expect(back.map((f) => c.decode(f))).toEqual([values[i]]);
        });
      });
    },
  );

  it('reference multi-segment frames really use several segments (so far pointers were exercised)', () => {
    const json = `{"id": "${HELLO}", "params": "${'x'.repeat(100)}", "input": {"inline": [1, 2, 3]}}`;
    const frame = new Uint8Array(
      capnp(['convert', 'json:binary', '--segment-size=2', schemaPath('capsule.capnp'), 'JobRequest'], json),
    );
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0, true)).toBeGreaterThan(1);
    const req = decodeJobRequest(frame);
    expect([req.id, req.params, req.input]).toEqual([
      HELLO,
      'x'.repeat(100),
      { kind: 'inline', bytes: new Uint8Array([1, 2, 3]) },
    ]);
  });
});
