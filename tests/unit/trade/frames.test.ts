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
  encodeResult,
  signFrame,
  verifyFrame,
} from '../../../src/trade/index.ts';
import { Identity } from '../../../src/ledger/index.ts';
import { needTools } from '../../_tools.ts';
import { capnp, REPO, schemaPath } from '../wire/_support/capnp-tool.ts';

const DIR = join(REPO, 'tests/fixtures/frames/v1');
/** Structs that grew after v1: capnp's provenance check uses their v2 fixture (v1's still decodes). */
const V2 = join(REPO, 'tests/fixtures/frames/v2');
const GREW = new Set(['MarketClaim']);
const read = (name: string, dir = DIR): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const ascii = (s: string) => new TextEncoder().encode(s);
const R = '1'.repeat(64);
const C = '2'.repeat(64);
const H = ascii('0123456789abcdef0123456789abcdef');
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
