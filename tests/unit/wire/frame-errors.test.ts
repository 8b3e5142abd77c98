/** Known-answer error cases: each malformed frame gives a FrameError with the right code and a useful message. */
import { describe, expect, it } from 'vitest';
import {
  decodeDynamic,
  decodeJobRequest,
  decodeJobResult,
  encodeJobRequest,
  FrameError,
  type FrameErrorCode,
  type JobRequestData,
} from '../../../src/wire/index.ts';
import {
  bytesWord,
  capPtr,
  farPtr,
  frameOf,
  listPtr,
  NULL,
  structPtr,
  type Word,
} from './_support/frames.ts';
import { TEST_LAYOUTS } from './_support/test-layouts.ts';

function errorOf(run: () => unknown): FrameError {
  try {
    run();
  } catch (err) {
    if (err instanceof FrameError) return err;
    throw new Error(`expected a FrameError, got ${String(err)}`);
  }
  throw new Error('expected a FrameError, but decoding succeeded');
}

/** Root struct with no data and one pointer (JobRequest.id), followed by `rest`. */
const idFrame = (...rest: Word[]): Uint8Array => frameOf([structPtr(0, 0, 1), ...rest]);
const textWords = (s: string): Word[] => {
  const b = [...new TextEncoder().encode(s), 0];
  const out: Word[] = [];
  for (let i = 0; i < b.length; i += 8) out.push(bytesWord(b.slice(i, i + 8)));
  return out;
};

const valid: JobRequestData = {
  id: 'id',
  library: 'lib',
  method: 'm',
  params: '{}',
  budget: 1n,
  deadlineMs: 2n,
  input: { kind: 'inline', bytes: new Uint8Array([1]) },
};

const CASES: Array<[string, () => unknown, FrameErrorCode, RegExp]> = [
  [
    'a string instead of bytes',
    () => decodeJobRequest('abc' as unknown as Uint8Array),
    'input-type',
    /expected a Uint8Array frame, got string/,
  ],
  [
    'a null-prototype object',
    () => decodeJobRequest(Object.create(null) as Uint8Array),
    'input-type',
    /got Object/,
  ],
  [
    'an ArrayBuffer',
    () => decodeJobRequest(new ArrayBuffer(16) as unknown as Uint8Array),
    'input-type',
    /got ArrayBuffer/,
  ],
  ['no bytes', () => decodeJobRequest(new Uint8Array(0)), 'truncated', /frame is 0 byte\(s\)/],
  [
    '4 billion segments',
    () => decodeJobRequest(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0])),
    'segment-table',
    /4294967296 segments; at most 512/,
  ],
  [
    'a truncated segment table',
    () => decodeJobRequest(new Uint8Array([3, 0, 0, 0, 1, 0, 0, 0])),
    'truncated',
    /segment table for 4 segments needs 24 bytes/,
  ],
  [
    'a segment longer than the frame',
    () => decodeJobRequest(new Uint8Array([0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    'truncated',
    /declares 808 bytes/,
  ],
  [
    'trailing bytes',
    () => decodeJobRequest(new Uint8Array([...encodeJobRequest(valid), 0, 0, 0, 0, 0, 0, 0, 0])),
    'trailing-bytes',
    /8 byte\(s\) follow/,
  ],
  ['an empty first segment', () => decodeJobRequest(frameOf([])), 'segment-table', /no root pointer/],
  [
    'a root struct past the segment end',
    () => decodeJobRequest(frameOf([structPtr(10, 3, 5)])),
    'out-of-bounds',
    /words \[11, 19\) lies outside segment 0 \(1 words\)/,
  ],
  [
    'a root struct before the segment start',
    () => decodeJobRequest(frameOf([structPtr(-5, 1, 0)])),
    'out-of-bounds',
    /outside segment 0/,
  ],
  [
    'a list as root',
    () => decodeJobRequest(frameOf([listPtr(0, 2, 0)])),
    'pointer-kind',
    /root pointer must point to a struct/,
  ],
  [
    'Text without NUL',
    () => decodeJobRequest(idFrame(listPtr(0, 2, 3), bytesWord([97, 98, 99]))),
    'text',
    /JobRequest\.id: Text is not NUL-terminated/,
  ],
  [
    'Text that is not UTF-8',
    () => decodeJobRequest(idFrame(listPtr(0, 2, 3), bytesWord([0xff, 0xfe, 0]))),
    'text',
    /JobRequest\.id: Text is not valid UTF-8/,
  ],
  [
    'Text stored as a struct',
    () => decodeJobRequest(idFrame(structPtr(0, 1, 0), NULL)),
    'pointer-kind',
    /JobRequest\.id: expected Text \(list of bytes\), found struct/,
  ],
  [
    'Text stored as 4-byte list',
    () => decodeJobRequest(idFrame(listPtr(0, 4, 2), NULL)),
    'pointer-kind',
    /found list of 4-byte elements/,
  ],
  [
    'a Text list longer than its segment',
    () => decodeJobRequest(idFrame(listPtr(0, 2, 100), NULL)),
    'out-of-bounds',
    /list of 1-byte elements at words \[2, 15\)/,
  ],
  [
    'a far pointer to a missing segment',
    () => decodeJobRequest(idFrame(farPtr(5, 0))),
    'out-of-bounds',
    /in segment 5 but the frame has 1 segment/,
  ],
  [
    'a far pointer whose pad is far',
    () => decodeJobRequest(frameOf([structPtr(0, 0, 1), farPtr(1, 0)], [farPtr(0, 0)])),
    'pointer-kind',
    /landing pad is another far pointer/,
  ],
  [
    'a double-far pad without a far pointer',
    () =>
      decodeJobRequest(
        frameOf([structPtr(0, 0, 1), farPtr(1, 0, true)], [listPtr(0, 2, 1), listPtr(0, 2, 1)]),
      ),
    'pointer-kind',
    /double-far landing pad/,
  ],
  [
    'a far pad outside its segment',
    () => decodeJobRequest(frameOf([structPtr(0, 0, 1), farPtr(1, 3)], [NULL])),
    'out-of-bounds',
    /landing pad at words \[3, 4\)/,
  ],
  ['a capability pointer', () => decodeJobRequest(idFrame(capPtr(0))), 'unsupported', /capability pointer/],
  [
    'an unknown status',
    () => decodeJobResult(frameOf([structPtr(0, 2, 3), [99, 0], NULL, NULL, NULL, NULL])),
    'value',
    /JobResult\.status: unknown status 99/,
  ],
  [
    'an unknown union member',
    () => decodeJobRequest(frameOf([structPtr(0, 3, 0), NULL, NULL, [7, 0]])),
    'value',
    /JobRequest\.input: unknown union member 7/,
  ],
  [
    'a tiny traversal budget',
    () => decodeJobRequest(encodeJobRequest(valid), { traversalWords: 4, nesting: 64 }),
    'limit',
    /traversal limit of 4 words/,
  ],
  [
    'four Text pointers aliasing one 1000-word text',
    () =>
      decodeJobRequest(
        frameOf([
          structPtr(0, 0, 4),
          listPtr(3, 2, 8000),
          listPtr(2, 2, 8000),
          listPtr(1, 2, 8000),
          listPtr(0, 2, 8000),
          ...Array<Word>(1000).fill(bytesWord([97])),
        ]),
        { traversalWords: 2500, nesting: 64 },
      ),
    'limit',
    /pointers alias the same data/,
  ],
  [
    'a 100-deep struct chain',
    () =>
      decodeDynamic(
        frameOf([...Array<Word>(100).fill(structPtr(0, 0, 1)), NULL]),
        TEST_LAYOUTS,
        't.capnp:Node',
      ),
    'limit',
    /nesting deeper than 64 levels/,
  ],
  [
    'a struct list whose elements overflow it',
    () =>
      decodeDynamic(
        frameOf([
          structPtr(0, 0, 12),
          ...Array<Word>(9).fill(NULL),
          listPtr(2, 7, 2),
          NULL,
          NULL,
          structPtr(5, 1, 1),
          NULL,
          NULL,
        ]),
        TEST_LAYOUTS,
        't.capnp:Lists',
      ),
    'out-of-bounds',
    /struct list claims 5 elements of 2 words in 2 words/,
  ],
  [
    '2^29 - 1 empty structs (costs no bytes, would cost an array)',
    () =>
      decodeDynamic(
        frameOf([
          structPtr(0, 0, 12),
          ...Array<Word>(10).fill(NULL),
          listPtr(1, 7, 0),
          NULL,
          structPtr(2 ** 29 - 1, 0, 0),
        ]),
        TEST_LAYOUTS,
        't.capnp:Lists',
      ),
    'limit',
    /traversal limit/,
  ],
  [
    '2^29 - 1 Voids',
    () =>
      decodeDynamic(
        frameOf([structPtr(0, 0, 12), listPtr(11, 0, 2 ** 29 - 1), ...Array<Word>(11).fill(NULL)]),
        TEST_LAYOUTS,
        't.capnp:Lists',
      ),
    'limit',
    /traversal limit/,
  ],
  [
    'a list of floats where Text belongs',
    () =>
      decodeDynamic(
        frameOf([
          structPtr(0, 0, 12),
          ...Array<Word>(6).fill(NULL),
          listPtr(5, 4, 1),
          ...Array<Word>(5).fill(NULL),
          NULL,
        ]),
        TEST_LAYOUTS,
        't.capnp:Lists',
      ),
    'pointer-kind',
    /Lists\.texts: expected a list of text, found list of 4-byte elements/,
  ],
];

describe('malformed frames give a precise FrameError', () => {
  it.each(CASES)('%s', (_name, run, code, message) => {
    const err = errorOf(run);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('valid but unusual frames decode', () => {
  const hi = textWords('hi');

  it('a null root is a struct of defaults', () => {
    expect(decodeJobRequest(frameOf([NULL]))).toEqual({
      id: '',
      library: '',
      method: '',
      params: '',
      budget: 0n,
      deadlineMs: 0n,
      input: { kind: 'inline', bytes: new Uint8Array(0) },
    });
  });

  it('an older, smaller struct reads missing fields as defaults', () => {
    // 1 data word (budget) and 1 pointer (id): written by a schema version without the other fields.
    const frame = frameOf([structPtr(0, 1, 1), [42, 0], listPtr(0, 2, 3), ...hi]);
    expect(decodeJobRequest(frame)).toMatchObject({ id: 'hi', budget: 42n, deadlineMs: 0n, params: '' });
  });

  it('a newer, larger struct is read and its extra fields ignored', () => {
    const frame = frameOf([
      structPtr(0, 5, 7),
      [42, 0],
      NULL,
      NULL,
      [0xffff, 0xffff],
      [1, 1],
      listPtr(6, 2, 3),
      ...Array<Word>(6).fill(NULL),
      ...hi,
    ]);
    expect(decodeJobRequest(frame)).toMatchObject({ id: 'hi', budget: 42n });
  });

  it('a single far pointer', () => {
    expect(decodeJobRequest(frameOf([structPtr(0, 0, 1), farPtr(1, 0)], [listPtr(0, 2, 3), ...hi])).id).toBe(
      'hi',
    );
  });

  it('a double far pointer', () => {
    const frame = frameOf([structPtr(0, 0, 1), farPtr(1, 0, true)], [farPtr(2, 0), listPtr(0, 2, 3)], hi);
    expect(decodeJobRequest(frame).id).toBe('hi');
  });

  it('a zero-sized struct encoded with offset -1', () => {
    expect(decodeDynamic(frameOf([structPtr(-1, 0, 0)]), TEST_LAYOUTS, 't.capnp:Empty')).toEqual({});
  });

  it('frames that do not start at an 8-byte boundary', () => {
    const frame = encodeJobRequest(valid);
    const buf = new Uint8Array(frame.length + 3);
    buf.set(frame, 3);
    expect(decodeJobRequest(buf.subarray(3))).toEqual(valid);
  });
});
