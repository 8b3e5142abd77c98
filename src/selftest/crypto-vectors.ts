/**
 * cryptoVectors: every official known-answer vector in src/capsules/crypto/vectors (NIST FIPS 180-4
 * SHA-2, BLAKE3's test_vectors.json, RFC 4231 HMAC-SHA256, RFC 8032 Ed25519, RFC 8439
 * ChaCha20-Poly1305, and the GCM spec's AES-GCM cases) through the JobEngine: real pool Workers,
 * the input copied into the arena and handed over by reference, the output read back from it.
 * The fixtures are bundled as text (`?raw`) and validated here, so a renamed or emptied fixture
 * fails loudly instead of passing with nothing to check.
 */
import { z } from 'zod';
import blake3Text from '../capsules/crypto/vectors/blake3.json?raw';
import gcmText from '../capsules/crypto/vectors/gcm-spec-aes-gcm.json?raw';
import hmacText from '../capsules/crypto/vectors/rfc4231-hmac-sha256.json?raw';
import edText from '../capsules/crypto/vectors/rfc8032-ed25519.json?raw';
import chachaText from '../capsules/crypto/vectors/rfc8439-aead.json?raw';
import sha2Text from '../capsules/crypto/vectors/sha2.json?raw';
import { fromHex, toHex } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const fixture = <T extends z.ZodType>(text: string, file: string, item: T) => {
  const parsed = z.object({ cases: z.array(item).min(1) }).safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`fixture ${file} is malformed: ${parsed.error.message}`);
  return parsed.data.cases;
};

export type Suite =
  | 'SHA-2 (FIPS 180-4)'
  | 'BLAKE3'
  | 'HMAC-SHA256 (RFC 4231)'
  | 'Ed25519 (RFC 8032)'
  | 'ChaCha20-Poly1305 (RFC 8439)'
  | 'AES-GCM (GCM spec)';

/** One vector as a crypto job: method, params, input and the expected output (hex). */
export interface VectorJob {
  suite: Suite;
  name: string;
  method: string;
  params: Record<string, string>;
  input: Uint8Array;
  expected: string;
}

export interface VectorResult {
  suite: Suite;
  name: string;
  method: string;
  pass: boolean;
  status: string;
  worker: number;
  /** Only when the vector failed. */
  got?: string;
  expected?: string;
  error?: string;
}

export interface CryptoVectorsResult {
  total: number;
  passed: number;
  failed: number;
  /** Vectors per suite, so a test can check that none went missing. */
  suites: Record<string, number>;
  results: VectorResult[];
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every vector of every fixture, as jobs. */
export function loadVectorJobs(): VectorJob[] {
  const jobs: VectorJob[] = [];
  const sha2 = fixture(
    sha2Text,
    'sha2.json',
    z.object({
      name: z.string(),
      ascii: z.string(),
      repeat: z.number().int().optional(),
      sha256: hex,
      sha512: hex,
    }),
  );
  for (const c of sha2) {
    const input = ascii(c.ascii.repeat(c.repeat ?? 1));
    for (const m of ['sha256', 'sha512'] as const)
      jobs.push({ suite: 'SHA-2 (FIPS 180-4)', name: c.name, method: m, params: {}, input, expected: c[m] });
  }
  const blake3 = fixture(blake3Text, 'blake3.json', z.object({ input_len: z.number().int(), hash: hex }));
  for (const c of blake3)
    jobs.push({
      suite: 'BLAKE3',
      name: `input_len ${c.input_len}`,
      method: 'blake3',
      params: {},
      input: Uint8Array.from({ length: c.input_len }, (_, i) => i % 251),
      expected: c.hash.slice(0, 64),
    });
  const hmac = fixture(
    hmacText,
    'rfc4231-hmac-sha256.json',
    z.object({
      name: z.string(),
      key: hex,
      data: hex.optional(),
      data_ascii: z.string().optional(),
      hmac: hex,
    }),
  );
  for (const c of hmac)
    jobs.push({
      suite: 'HMAC-SHA256 (RFC 4231)',
      name: c.name,
      method: 'hmac_sha256',
      params: { key: c.key },
      input: c.data_ascii !== undefined ? ascii(c.data_ascii) : fromHex(c.data ?? ''),
      expected: c.hmac,
    });
  const ed = fixture(
    edText,
    'rfc8032-ed25519.json',
    z.object({ name: z.string(), secretKey: hex, publicKey: hex, message: hex, signature: hex }),
  );
  for (const c of ed) {
    const input = fromHex(c.message);
    const suite = 'Ed25519 (RFC 8032)';
    const verify = { publicKey: c.publicKey, signature: c.signature };
    const flipped = fromHex(c.signature);
    flipped[7]! ^= 0x10;
    jobs.push(
      {
        suite,
        name: `${c.name}: sign`,
        method: 'ed25519_sign',
        params: { secretKey: c.secretKey },
        input,
        expected: c.signature,
      },
      { suite, name: `${c.name}: verify`, method: 'ed25519_verify', params: verify, input, expected: '01' },
      {
        suite,
        name: `${c.name}: reject a flipped bit`,
        method: 'ed25519_verify',
        params: { ...verify, signature: toHex(flipped) },
        input,
        expected: '00',
      },
    );
  }
  const chacha = fixture(
    chachaText,
    'rfc8439-aead.json',
    z.object({
      name: z.string(),
      key: hex,
      nonce: hex,
      aad: hex,
      plaintext_ascii: z.string(),
      ciphertext: hex,
      tag: hex,
    }),
  );
  for (const c of chacha) {
    const suite = 'ChaCha20-Poly1305 (RFC 8439)';
    const params = { key: c.key, nonce: c.nonce, aad: c.aad };
    const plain = ascii(c.plaintext_ascii);
    jobs.push(
      {
        suite,
        name: `${c.name}: encrypt`,
        method: 'chacha20poly1305_encrypt',
        params,
        input: plain,
        expected: c.ciphertext + c.tag,
      },
      {
        suite,
        name: `${c.name}: decrypt`,
        method: 'chacha20poly1305_decrypt',
        params,
        input: fromHex(c.ciphertext + c.tag),
        expected: toHex(plain),
      },
    );
  }
  const gcm = fixture(
    gcmText,
    'gcm-spec-aes-gcm.json',
    z.object({ name: z.string(), key: hex, iv: hex, aad: hex, plaintext: hex, ciphertext: hex, tag: hex }),
  );
  for (const c of gcm) {
    const suite = 'AES-GCM (GCM spec)';
    const params = { key: c.key, iv: c.iv, aad: c.aad };
    jobs.push(
      {
        suite,
        name: `${c.name}: encrypt`,
        method: 'aes_gcm_encrypt',
        params,
        input: fromHex(c.plaintext),
        expected: c.ciphertext + c.tag,
      },
      {
        suite,
        name: `${c.name}: decrypt`,
        method: 'aes_gcm_decrypt',
        params,
        input: fromHex(c.ciphertext + c.tag),
        expected: c.plaintext,
      },
    );
  }
  return jobs;
}

export async function cryptoVectors(host: SelfTestHost): Promise<CryptoVectorsResult> {
  const { engine } = await host.engine();
  const jobs = loadVectorJobs();
  const results = await Promise.all(
    jobs.map(async (j): Promise<VectorResult> => {
      const out = await engine.submit({
        library: 'crypto',
        method: j.method,
        params: JSON.stringify(j.params),
        input: j.input,
      });
      const got = toHex(out.output);
      const pass = out.status === 'ok' && got === j.expected;
      return {
        suite: j.suite,
        name: j.name,
        method: j.method,
        pass,
        status: out.status,
        worker: out.worker,
        ...(pass ? {} : { got, expected: j.expected, error: out.error }),
      };
    }),
  );
  const suites: Record<string, number> = {};
  for (const r of results) suites[r.suite] = (suites[r.suite] ?? 0) + 1;
  const passed = results.filter((r) => r.pass).length;
  return { total: results.length, passed, failed: results.length - passed, suites, results };
}
