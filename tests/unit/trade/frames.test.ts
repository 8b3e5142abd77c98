/** The market frames: the v1 fixtures (written by capnp from the .txt beside each) decode, our encoder round-trips, peer garbage is refused with a reason. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeAssign,
  decodeClaim,
  decodeOffer,
  decodePayment,
  decodeResult,
  encodeAssign,
  encodeClaim,
  encodeOffer,
  encodePayment,
  encodeResult,
  MARKET_LIMITS,
  signFrame,
  verifyFrame,
} from '../../../src/trade/index.ts';
import { Identity } from '../../../src/ledger/index.ts';
import { decodeDynamic, OUR_LAYOUTS } from '../../../src/wire/index.ts';
import { needTools } from '../../_tools.ts';
import { capnp, REPO, schemaPath } from '../wire/_support/capnp-tool.ts';

const DIR = join(REPO, 'tests/fixtures/frames/v1');
/** Structs that grew after v1: capnp's provenance check uses their v2 fixture (v1's still decodes). */
const V2 = join(REPO, 'tests/fixtures/frames/v2');
const GREW = new Set(['MarketClaim', 'MarketAssign', 'MarketPayment', 'MarketResult']);
const read = (name: string, dir = DIR): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const ascii = (s: string) => new TextEncoder().encode(s);
const R = '1'.repeat(64);
const C = '2'.repeat(64);
const H = ascii('0123456789abcdef0123456789abcdef');
const capnpHave = needTools('capnp');
const H2x = () => ascii('fedcba9876543210fedcba9876543210');
const STRUCTS = ['MarketOffer', 'MarketClaim', 'MarketAssign', 'MarketResult', 'MarketPayment'];

describe('market v1 fixtures', () => {
  it('decode with the market codecs', () => {
    expect(decodeOffer(read('MarketOffer.bin'))).toEqual({
      ok: true,
      frame: {
        jobId: 'job-1',
        requester: R,
        capsule: 'crypto',
        method: 'sha256',
        params: '{}',
        paramsHash: H,
        inputs: [H],
        inputBytes: 5,
        budget: 100,
        deadlineMs: 1800000060000,
        holdId: 'hold-1',
        sig: ascii('sig'),
      },
    });
    expect(decodeClaim(read('MarketClaim.bin'))).toEqual({
      ok: true,
      frame: { jobId: 'job-1', contributor: C, accept: true, free: 2, reason: '', sig: ascii('sig') },
    });
    expect(decodeAssign(read('MarketAssign.bin'))).toEqual({
      ok: true,
      frame: { jobId: 'job-1', requester: R, sig: ascii('sig') },
    });
    expect(decodeResult(read('MarketResult.bin'))).toEqual({
      ok: true,
      frame: {
        jobId: 'job-1',
        contributor: C,
        status: 'ok',
        costUsed: 3,
        outputHash: H,
        outputBytes: 5,
        inline: ascii('hello'),
        chunks: [],
        error: '',
        sig: ascii('sig'),
      },
    });
    expect(decodePayment(read('MarketPayment.bin'))).toEqual({
      ok: true,
      frame: { jobId: 'job-1', bundle: '{}' },
    });
  });

  it.skipIf(!needTools('capnp'))('capnp still produces each .bin from its .txt', () => {
    for (const s of STRUCTS) {
      const dir = GREW.has(s) ? V2 : DIR;
      const bytes = capnp(['encode', schemaPath('market.capnp'), s], readFileSync(join(dir, `${s}.txt`)));
      expect(new Uint8Array(bytes), s).toEqual(read(`${s}.bin`, dir));
    }
  });
});

describe('market v2 fixtures (a claim carries its audited head)', () => {
  it('decode; the v1 claim (before the field) decodes with no audited head', () => {
    expect(decodeClaim(read('MarketClaim.bin', V2))).toEqual({
      ok: true,
      frame: {
        jobId: 'job-1',
        contributor: C,
        accept: true,
        free: 2,
        reason: '',
        sig: ascii('sig'),
        audited: { seq: 42, hash: H },
      },
    });
    const v1 = decodeClaim(read('MarketClaim.bin'));
    expect(v1.ok && 'audited' in v1.frame).toBe(false);
  });
});

describe('market v2 fixtures (a result carries its audited head)', () => {
  it('decode; the v1 result (before the field) decodes with no audited head', () => {
    const v2 = decodeResult(read('MarketResult.bin', V2));
    expect(v2.ok && v2.frame.audited).toEqual({ seq: 42, hash: H });
    const v1 = decodeResult(read('MarketResult.bin'));
    expect(v1.ok && 'audited' in v1.frame).toBe(false);
  });
});

describe('market v2 fixtures (a chunked pledge or pay bundle)', () => {
  const H2 = ascii('fedcba9876543210fedcba9876543210');
  it('decode to a BundleRef; the v1 frames (inline) still decode without one', () => {
    expect(decodeAssign(read('MarketAssign.bin', V2))).toEqual({
      ok: true,
      frame: {
        jobId: 'job-1',
        requester: R,
        sig: ascii('sig'),
        pledgeRef: { hash: H, bytes: (1 << 20) + 1, chunks: [H, H2] },
      },
    });
    expect(decodePayment(read('MarketPayment.bin', V2))).toEqual({
      ok: true,
      frame: {
        jobId: 'job-1',
        bundle: '',
        ref: { payer: R, bundle: { hash: H, bytes: 5, chunks: [H2] }, sig: ascii('s'.repeat(64)) },
      },
    });
  });
});

describe('market frames', () => {
  const key = Identity.generate(0, new Uint8Array(32).fill(7));
  const other = Identity.generate(0, new Uint8Array(32).fill(8));

  it('a signed offer round-trips and verifies; a changed field or another key does not', () => {
    const offer = signFrame(
      'offer',
      {
        jobId: 'j',
        requester: key.nodeId,
        capsule: 'crypto',
        method: 'sha256',
        params: '{}',
        paramsHash: H,
        inputs: [],
        inputBytes: 0,
        budget: 5,
        deadlineMs: 123,
        holdId: 'h',
      },
      key,
    );
    const d = decodeOffer(encodeOffer(offer));
    expect(d.ok && verifyFrame('offer', d.frame, key.nodeId)).toBe(true);
    expect(verifyFrame('offer', { ...offer, budget: 6 }, key.nodeId)).toBe(false);
    expect(verifyFrame('offer', offer, other.nodeId)).toBe(false);
  });

  it('an assignment carries its escrow pledge; one without (a v1 sender before pledges) decodes without it', () => {
    const assign = signFrame('assign', { jobId: 'j', requester: key.nodeId }, key);
    const pledged = decodeAssign(encodeAssign({ ...assign, pledge: '{"pledge":{}}' }));
    expect(pledged).toMatchObject({ ok: true, frame: { pledge: '{"pledge":{}}' } });
    expect(pledged.ok && verifyFrame('assign', pledged.frame, key.nodeId)).toBe(true);
    const bare = decodeAssign(encodeAssign(assign));
    expect(bare.ok && 'pledge' in bare.frame).toBe(false);
  });

  it('a claim signs its audited head; one without signs what a v1 claim did', () => {
    const base = { jobId: 'j', contributor: key.nodeId, accept: true, free: 1, reason: '' };
    const bare = signFrame('claim', base, key);
    const headed = signFrame('claim', { ...base, audited: { seq: 7, hash: H } }, key);
    // The v1 signing bytes: a claim without a head verifies as it did before the field existed.
    expect(bare.sig).toEqual(signFrame('claim', { ...base }, key).sig);
    expect(bare.sig).not.toEqual(headed.sig);
    const d = decodeClaim(encodeClaim(headed));
    expect(d).toMatchObject({ ok: true, frame: { audited: { seq: 7, hash: H } } });
    expect(d.ok && verifyFrame('claim', d.frame, key.nodeId)).toBe(true);
    // A relay that changes or strips the head breaks the signature.
    expect(verifyFrame('claim', { ...headed, audited: { seq: 8, hash: H } }, key.nodeId)).toBe(false);
    const { audited: _dropped, ...stripped } = headed;
    expect(verifyFrame('claim', stripped, key.nodeId)).toBe(false);
    // Bad heads from a peer get a reason.
    const zeroWithHash = encodeClaim({ ...bare });
    expect(decodeClaim(zeroWithHash).ok).toBe(true);
    expect(() => encodeClaim({ ...headed, audited: { seq: 0, hash: H } })).toThrow(/seq ≥ 1/);
    expect(() => encodeClaim({ ...headed, audited: { seq: 3, hash: new Uint8Array(5) } })).toThrow(/32-byte/);
  });

  it('a result signs its audited head; one without signs what a v1 result did', () => {
    const base = {
      jobId: 'j',
      contributor: key.nodeId,
      status: 'ok' as const,
      costUsed: 1,
      outputHash: H,
      outputBytes: 2,
      inline: new Uint8Array([1, 2]),
      chunks: [],
      error: '',
    };
    const bare = signFrame('result', base, key);
    const headed = signFrame('result', { ...base, audited: { seq: 9, hash: H } }, key);
    expect(bare.sig).not.toEqual(headed.sig);
    const d = decodeResult(encodeResult(headed));
    expect(d).toMatchObject({ ok: true, frame: { audited: { seq: 9, hash: H } } });
    expect(d.ok && verifyFrame('result', d.frame, key.nodeId)).toBe(true);
    expect(verifyFrame('result', { ...headed, audited: { seq: 10, hash: H } }, key.nodeId)).toBe(false);
    const { audited: _dropped, ...stripped } = headed;
    expect(verifyFrame('result', stripped, key.nodeId)).toBe(false);
    expect(() => encodeResult({ ...headed, audited: { seq: 0, hash: H } })).toThrow(/MarketResult.audited/);
  });

  it('a chunked bundle reference is signed, bounded, and refused by a v1 node by version', () => {
    const ref = { hash: H, bytes: (1 << 20) + 10, chunks: [H, H] };
    const assign = signFrame('assign', { jobId: 'j', requester: key.nodeId, pledgeRef: ref }, key);
    const d = decodeAssign(encodeAssign(assign));
    expect(d).toMatchObject({ ok: true, frame: { pledgeRef: ref } });
    expect(d.ok && verifyFrame('assign', d.frame, key.nodeId)).toBe(true);
    // A relay that swaps the chunks (or strips the reference) breaks the assignment's signature.
    expect(verifyFrame('assign', { ...assign, pledgeRef: { ...ref, chunks: [H2x(), H] } }, key.nodeId)).toBe(
      false,
    );
    const bare = signFrame('assign', { jobId: 'j', requester: key.nodeId }, key);
    expect(verifyFrame('assign', { ...bare, pledgeRef: ref }, key.nodeId)).toBe(false);
    const pay = signFrame('payment', { jobId: 'j', payer: key.nodeId, bundle: ref }, key);
    const p = decodePayment(
      encodePayment({ jobId: 'j', bundle: '', ref: { payer: key.nodeId, bundle: ref, sig: pay.sig } }),
    );
    expect(p).toMatchObject({ ok: true, frame: { ref: { payer: key.nodeId, bundle: ref } } });
    const r = p.ok ? p.frame.ref : undefined;
    expect(
      r && verifyFrame('payment', { jobId: 'j', payer: r.payer, bundle: r.bundle, sig: r.sig }, key.nodeId),
    ).toBe(true);
    expect(
      verifyFrame('payment', { jobId: 'j', payer: key.nodeId, bundle: ref, sig: pay.sig }, other.nodeId),
    ).toBe(false);
    // The chunked frame goes out as version 2: a v1 node (which accepts version 1 only) refuses it by version.
    const v2 = encodePayment({
      jobId: 'j',
      bundle: '',
      ref: { payer: key.nodeId, bundle: ref, sig: pay.sig },
    });
    expect(decodeDynamic(v2, OUR_LAYOUTS, 'market.capnp:MarketPayment')['version']).toBe(2);
    expect(
      decodeDynamic(encodePayment({ jobId: 'j', bundle: '{}' }), OUR_LAYOUTS, 'market.capnp:MarketPayment')[
        'version'
      ],
    ).toBe(1);
    // Our own bad references are bugs: refused before they go out.
    expect(() => encodeAssign({ ...assign, pledgeRef: { ...ref, chunks: [H] } })).toThrow(/2 chunk address/);
    const cap = MARKET_LIMITS.chunkedBundleBytes;
    const huge = {
      hash: H,
      bytes: cap + 1,
      chunks: Array.from({ length: Math.ceil((cap + 1) / (1 << 20)) }, () => H),
    };
    expect(() => encodeAssign({ ...assign, pledgeRef: huge })).toThrow(/at most/);
    expect(() =>
      encodePayment({ jobId: 'j', bundle: '{}', ref: { payer: key.nodeId, bundle: ref, sig: pay.sig } }),
    ).toThrow(/inline or chunked/);
  });

  it('a peer’s chunked reference over the cap, with the wrong chunk count, or at version 3 is refused with a reason', () => {
    const edit = (txt: string, struct: 'MarketAssign' | 'MarketPayment') =>
      capnpHave
        ? new Uint8Array(capnp(['encode', schemaPath('market.capnp'), struct], Buffer.from(txt)))
        : undefined;
    const base = new TextDecoder().decode(read('MarketPayment.txt', V2)).trim();
    const cases: [string, RegExp][] = [
      [
        base.replace('bundleBytes = 5', `bundleBytes = ${MARKET_LIMITS.chunkedBundleBytes + 1}`),
        /at most 67108864/,
      ],
      [
        base.replace('bundleBytes = 5', 'bundleBytes = 2000000'),
        /1 chunk\(s\) for 2000000 bytes; expected 2/,
      ],
      [base.replace('version = 2', 'version = 3'), /version 3; this node speaks 1 to 2/],
      [base.replace('bundle = ""', 'bundle = "{}"'), /must be empty in a chunked/],
    ];
    for (const [txt, why] of cases) {
      const bytes = edit(txt, 'MarketPayment');
      if (bytes === undefined) continue;
      const d = decodePayment(bytes);
      expect(d.ok, txt).toBe(false);
      expect(!d.ok && d.error, txt).toMatch(why);
    }
  });

  it('refuses bad bytes and bad fields with a reason', () => {
    expect(decodeOffer(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
    expect(decodeOffer('x')).toEqual({ ok: false, error: 'MarketOffer: expected bytes' });
    const bad = encodeResult({
      jobId: 'j',
      contributor: C,
      status: 'ok',
      costUsed: 1,
      outputHash: new Uint8Array(31),
      outputBytes: 0,
      inline: new Uint8Array(0),
      chunks: [],
      error: '',
      sig: new Uint8Array(64),
    });
    const r = decodeResult(bad);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/outputHash: expected 32 bytes/);
  });
});
