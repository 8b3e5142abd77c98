import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/ledger/_canonical.ts';
import {
  Identity,
  ReceiptRejectedError,
  ZERO_HASH,
  entryHash,
  parseEntry,
  signEntry,
  verifyEntrySignature,
  type RejectionCode,
  type UnsignedReceipt,
} from '../../../src/ledger/index.ts';
import { forge, identity, receiptAt, transitionAt } from './_fixtures.ts';

// Golden vector: the RFC 8032 TEST 1 key signing a fixed receipt. The canonical string, hash and
// signature were cross-checked with Python (json.dumps(sort_keys=True, separators=(',', ':')),
// hashlib.sha256, and the `cryptography` package's Ed25519), so another implementation can
// reproduce the format from the header of src/ledger/receipt.ts alone.
const RFC_KEY = Identity.fromSecretKey(
  hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  0,
);
const GOLDEN: UnsignedReceipt = {
  v: 1,
  kind: 'receipt',
  id: 'golden-1',
  ledger: RFC_KEY.nodeId,
  seq: 1,
  prev: ZERO_HASH,
  issuer: RFC_KEY.nodeId,
  issuedAt: 1736942400000,
  jobId: 'job-1',
  capsule: 'blake3',
  method: 'hash',
  credits: 1500000,
  cpuMs: 1234,
  bytesMoved: 65536,
  state: 'estimated',
  reason: '',
};
const GOLDEN_CANONICAL =
  '{"bytesMoved":65536,"capsule":"blake3","cpuMs":1234,"credits":1500000,"id":"golden-1","issuedAt":1736942400000,' +
  '"issuer":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a","jobId":"job-1","kind":"receipt",' +
  '"ledger":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a","method":"hash",' +
  '"prev":"0000000000000000000000000000000000000000000000000000000000000000","reason":"","seq":1,"state":"estimated","v":1}';
const GOLDEN_HASH = '741e6bc976ae868bf1a7c1bb21a12966714af6c979ce476a171883f9f19f9005';
const GOLDEN_SIG =
  '9ad4a8517c840ea5b6fa777b4c66c13189631899af4975db35cad14a6722602a6f7ec73ebf88df6fabdf0dc9e49dcb6b87597d2aa305ae597051163bb9d7b504';

function rejectionOf(fn: () => unknown): ReceiptRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReceiptRejectedError) return err;
    throw err;
  }
  throw new Error('expected a ReceiptRejectedError');
}

function expectRejected(fn: () => unknown, code: RejectionCode, detail: RegExp): void {
  const err = rejectionOf(fn);
  expect(err.reason).toBe(code);
  expect(err.code).toBe(code);
  expect(err.detail).toMatch(detail);
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: undefined, b: 'é' } })).toBe(
      '{"a":{"b":"é","d":[true,null,"x"]},"b":1}',
    );
  });

  it('has one spelling for zero', () => {
    expect(canonicalJson(-0)).toBe('0');
  });

  it.each([
    ['a float', 0.5],
    ['NaN', Number.NaN],
    ['an unsafe integer', 2 ** 53],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Uint8Array', new Uint8Array(1)],
    ['a function', () => 1],
  ])('refuses %s rather than sign something else', (_label, value) => {
    expect(() => canonicalJson({ x: value })).toThrow(/^\$\.x: /);
  });

  it('matches the golden canonical string', () => {
    expect(canonicalJson(GOLDEN)).toBe(GOLDEN_CANONICAL);
  });
});

describe('signing', () => {
  it('matches the golden hash and signature', () => {
    expect(entryHash(GOLDEN)).toBe(GOLDEN_HASH);
    const signed = signEntry(GOLDEN, RFC_KEY);
    expect(signed.sig).toBe(GOLDEN_SIG);
    expect(verifyEntrySignature(signed)).toBe(true);
    // The hash ignores `sig`, so `prev` names the record, whoever checks it.
    expect(entryHash(signed)).toBe(GOLDEN_HASH);
  });

  it('fails for any changed field', () => {
    const signed = signEntry(GOLDEN, RFC_KEY);
    const edits: Partial<UnsignedReceipt>[] = [
      { credits: 1500001 },
      { state: 'settled' },
      { reason: 'x' },
      { prev: '1'.repeat(64) },
      { seq: 2 },
      { jobId: 'job-2' },
      { issuedAt: 1736942400001 },
      { proof: { header: '0'.repeat(160), bits: 0x207fffff, nonce: 1, hash: '0'.repeat(64) } },
    ];
    for (const edit of edits)
      expect(verifyEntrySignature({ ...signed, ...edit }), JSON.stringify(edit)).toBe(false);
  });

  it('fails for a signature by another key, and never throws on garbage', () => {
    const signed = signEntry(GOLDEN, RFC_KEY);
    expect(verifyEntrySignature(forge(signed, identity(5)))).toBe(false);
    expect(verifyEntrySignature({ ...signed, sig: 'f'.repeat(128) })).toBe(false);
    expect(verifyEntrySignature({ ...signed, issuer: 'f'.repeat(64) })).toBe(false);
  });

  it('refuses to sign for another issuer', () => {
    expect(() => signEntry(GOLDEN, identity(5))).toThrow(/names issuer d75a980182b1… but the signer is/);
  });
});

describe('parseEntry', () => {
  const me = identity(1);
  const head = { ledger: me.nodeId, seq: 0, hash: ZERO_HASH };

  it('accepts valid receipts and transitions and returns a copy', () => {
    const r = receiptAt(head, me);
    const parsed = parseEntry(r);
    expect(parsed).toEqual(r);
    expect(parsed).not.toBe(r);
    expect(parseEntry(transitionAt(head, me, 'x', 'estimated', 'verified'))).toMatchObject({
      kind: 'transition',
    });
  });

  it('requires a reason for every zero and every rejection', () => {
    expectRejected(
      () => parseEntry(receiptAt(head, me, { credits: 0 })),
      'malformed',
      /^reason: a zero or a rejection needs a reason/,
    );
    expectRejected(
      () => parseEntry(receiptAt(head, me, { credits: 0, reason: '   ' })),
      'malformed',
      /^reason/,
    );
    expectRejected(() => parseEntry(receiptAt(head, me, { state: 'rejected' })), 'malformed', /^reason/);
    expectRejected(
      () => parseEntry(transitionAt(head, me, 'x', 'verified', 'rejected', { reason: '' })),
      'malformed',
      /^reason/,
    );
    expect(parseEntry(receiptAt(head, me, { credits: 0, reason: 'no work available' }))).toMatchObject({
      credits: 0,
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'receipt'],
    ['an unknown kind', { kind: 'gift' }],
  ])('calls %s malformed', (_label, input) => {
    expectRejected(() => parseEntry(input), 'malformed', /./);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['fractional credits', { credits: 1.5 }, /^credits/],
    ['negative cpu time', { cpuMs: -1 }, /^cpuMs/],
    ['upper-case hex', { prev: 'A'.repeat(64) }, /^prev: expected 64 lowercase hex digits/],
    ['an unknown state', { state: 'paid' }, /^state/],
    ['an unknown field', { bonus: 5 }, /bonus/],
    ['version 2', { v: 2 }, /^v/],
    ['an id with spaces', { id: 'a b' }, /^id: expected 1-128 characters/],
  ])('calls %s malformed', (_label, edit, detail) => {
    expectRejected(() => parseEntry({ ...receiptAt(head, me), ...edit }), 'malformed', detail);
  });

  it('calls a damaged proof bad-proof', () => {
    const proof = { header: 'ab', bits: 0x207fffff, nonce: 0, hash: '0'.repeat(64) };
    expectRejected(
      () => parseEntry(receiptAt(head, me, { proof })),
      'bad-proof',
      /^proof\.header: expected 160 lowercase hex/,
    );
  });

  it('reports a readable id on the error', () => {
    expect(rejectionOf(() => parseEntry({ id: 'abc', kind: 'receipt' })).entryId).toBe('abc');
    expect(rejectionOf(() => parseEntry({ id: 'a b' })).entryId).toBeUndefined();
  });
});
