/**
 * The schema-driven codec (what `inos encode/decode` use) against the reference tool, on a schema
 * with every field kind: tests/fixtures/frames/kitchen-sink.capnp.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSchema } from '../../../src/cli/schema-loader.ts';
import { decodeDynamic, EncodeError, encodeDynamic, type SchemaLayouts } from '../../../src/wire/index.ts';
import { capnp, HAS_CAPNP, REPO, SKIP_REASON } from './_support/capnp-tool.ts';

const SCHEMA = join(REPO, 'tests/fixtures/frames/kitchen-sink.capnp');
const KS = 'kitchen-sink.capnp:KitchenSink';
const suite = HAS_CAPNP
  ? 'schema-driven codec vs capnp'
  : `schema-driven codec vs capnp (skipped: ${SKIP_REASON})`;

/** Every field set; Data as base64 (our JSON flavour). */
const FULL = {
  flag: true,
  i8: -128,
  i16: -32768,
  i32: -2147483648,
  i64: '-9223372036854775808',
  u8: 255,
  u16: 65535,
  u32: 4294967295,
  u64: '18446744073709551615',
  f32: 1.5,
  f64: -0.25,
  text: 'héllo 世界 🚀',
  data: 'AAEC/w==',
  color: 'green',
  nothing: null,
  withDefault: 7,
  flagDefault: false,
  textDefault: '',
  bigDefault: '0',
  floatDefault: 0,
  colorDefault: 'red',
  inner: { name: 'a', value: -1, next: { name: 'b', value: 2, next: null } },
  bools: [true, false, true, true, false, false, false, false, true],
  ints: ['-1', '9007199254740993'],
  floats: [0.5, -2],
  texts: ['x', '', 'ü'],
  blobs: ['AQ==', ''],
  colors: ['blue', 'red'],
  inners: [
    { name: 'p', value: 1, next: null },
    { name: '', value: 0, next: null },
  ],
  matrix: [[1, -2], [], [3]],
  choice: { word: 'w' },
  settings: { depth: 3, label: 'L' },
  right: 'r',
};

/** The same value as `capnp convert binary:json` prints it: Data as byte arrays, null pointers omitted. */
const FULL_AS_CAPNP_JSON = {
  ...FULL,
  data: [0, 1, 2, 255],
  blobs: [[1], []],
  inner: { name: 'a', value: -1, next: { name: 'b', value: 2 } },
  inners: [{ name: 'p', value: 1 }, { value: 0 }],
};

describe.skipIf(!HAS_CAPNP)(suite, () => {
  let cached: SchemaLayouts | undefined;
  const layouts = (): SchemaLayouts => (cached ??= loadSchema(SCHEMA).layouts);
  const toJson = (frame: Uint8Array): unknown =>
    JSON.parse(capnp(['convert', 'binary:json', SCHEMA, 'KitchenSink'], frame).toString('utf8'));

  it('capnp reads what encodeDynamic writes, field for field', () => {
    expect(toJson(encodeDynamic(FULL, layouts(), KS))).toEqual(FULL_AS_CAPNP_JSON);
  });

  it('decodeDynamic reads what capnp writes (one segment and far pointers)', () => {
    const L = layouts();
    for (const extra of [[], ['--segment-size=3']]) {
      const frame = new Uint8Array(
        capnp(
          ['convert', 'json:binary', ...extra, SCHEMA, 'KitchenSink'],
          JSON.stringify(FULL_AS_CAPNP_JSON),
        ),
      );
      expect(decodeDynamic(frame, L, KS, { json: true })).toEqual(FULL);
    }
  });

  it('decode -> encode -> decode is stable, and capnp JSON (byte arrays) is accepted as input', () => {
    const L = layouts();
    const once = decodeDynamic(encodeDynamic(FULL_AS_CAPNP_JSON, L, KS), L, KS, { json: true });
    expect(decodeDynamic(encodeDynamic(once, L, KS), L, KS, { json: true })).toEqual(FULL);
  });

  it('explicit defaults: absent fields read as the default; values equal to zero survive XOR encoding', () => {
    const L = layouts();
    const empty = decodeDynamic(encodeDynamic({}, L, KS), L, KS, { json: true });
    expect(empty).toMatchObject({
      withDefault: 42,
      flagDefault: true,
      textDefault: 'hi',
      bigDefault: '12345678901234567890',
      floatDefault: 1.5,
      colorDefault: 'blue',
      choice: { none: null },
      left: 0,
    });
    expect(toJson(encodeDynamic({}, L, KS))).toMatchObject({
      withDefault: 42,
      flagDefault: true,
      colorDefault: 'blue',
    });
    const zeros = {
      withDefault: 0,
      flagDefault: false,
      textDefault: '',
      bigDefault: '0',
      floatDefault: 0,
      colorDefault: 'red',
    };
    expect(toJson(encodeDynamic(zeros, L, KS))).toMatchObject(zeros);
  });

  it('non-finite floats travel as "NaN" / "Infinity" strings', () => {
    const L = layouts();
    const v = decodeDynamic(encodeDynamic({ f32: 'NaN', f64: '-Infinity' }, L, KS), L, KS, { json: true });
    expect([v.f32, v.f64]).toEqual(['NaN', '-Infinity']);
  });

  it.each([
    [{ nope: 1 }, /KitchenSink\.nope: unknown field; expected one of: flag, i8/],
    [{ i8: 200 }, /KitchenSink\.i8: expected an integer in \[-128, 127\]/],
    [{ u64: 2 ** 60 }, /beyond 2\^53 - 1, where JSON numbers lose precision/],
    [{ u64: '-1' }, /KitchenSink\.u64: expected an integer in \[0, 2\^64 - 1\]/],
    [{ data: 'not base64!' }, /KitchenSink\.data: expected Data as a padded base64 string/],
    [{ left: 1, right: 'x' }, /a union takes one member, got left and right/],
    [{ choice: { number: 1, word: 'x' } }, /KitchenSink\.choice: a union takes one member/],
    [{ color: 'purple' }, /expected one of red, green, blue/],
    [{ inners: [{ name: 5 }] }, /KitchenSink\.inners\[0\]\.name: expected a string/],
    [{ matrix: [[1], 'x'] }, /KitchenSink\.matrix\[1\]: expected an array/],
    [[], /KitchenSink: expected an object/],
  ])('rejects %j', (value, message) => {
    const L = layouts();
    expect(() => encodeDynamic(value, L, KS)).toThrow(EncodeError);
    expect(() => encodeDynamic(value, L, KS)).toThrow(message);
  });
});
