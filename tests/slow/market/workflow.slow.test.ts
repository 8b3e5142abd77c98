/**
 * `inos submit workflow` with real processes on loopback: `inos node`, two `inos contribute` and the
 * requester. The design's examples run with their pure steps as market jobs (redundancy 2, so both
 * contributors run each) and their store-bound steps on the requester's own engine and store:
 *
 *   - storage compress → encrypt → put → get → decrypt → decompress: the input comes back;
 *   - a conditional step taken and one skipped;
 *   - a rollback: a failing third step (a decryption with the wrong key, verified as badInput by the
 *     quorum) undoes the put, whose blob is gone from the requester's store afterwards;
 *
 * each output equal to `inos run workflow`'s for the same definition and input; the workflow never
 * spends more than its budget (the wallet's `spent` grew by at most the budget).
 *
 * Slow (a libp2p node and an engine per process, proof-of-work minting: the round trip alone took
 * 89 s by hand at load ~25 on 2 cores, over 9 min at load ~30), hence tests/slow (`npm run
 * test:slow`). Seed: SEED=<n>.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng, seedFromEnv } from '../../unit/_prng.ts';
import { INOS, startContributor, startRelay, stopAll, walletOf } from './_procs.ts';

const SEED = seedFromEnv(0x13_2026);
const dir = mkdtempSync(join(tmpdir(), 'inos-mesh-wf-'));
const requester = join(dir, 'requester');
const STORE = join(requester, 'chunks');
let boot = '';

const spent = (): number => walletOf(requester).spent;

const submitArgs = (def: string, input: string, extra: string[] = []) => [
  INOS,
  'submit',
  'workflow',
  '--params',
  def,
  '--in',
  input,
  '--store',
  STORE,
  '--bootstrap',
  boot,
  '--mint',
  '--wait',
  '60',
  ...extra,
];

function submit(def: string, input: string, extra: string[] = ['--format', 'hex']) {
  return spawnSync(process.execPath, submitArgs(def, input, extra), {
    env: { ...process.env, INOS_HOME: requester, INOS_DEBUG: '1' },
    encoding: 'utf8',
    timeout: 560_000,
  });
}

function runLocal(def: string, input: string) {
  return spawnSync(
    process.execPath,
    [INOS, 'run', 'workflow', '--params', def, '--in', input, '--format', 'hex'],
    {
      env: { ...process.env, INOS_HOME: join(dir, 'local'), INOS_STORE: join(dir, 'local', 'chunks') },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

function hasBlob(address: string): string {
  return spawnSync(
    process.execPath,
    [INOS, 'run', 'storage', 'has', '--params', JSON.stringify({ address }), '--format', 'hex'],
    { env: { ...process.env, INOS_STORE: STORE }, encoding: 'utf8' },
  ).stdout.trim();
}

const rand = prng(SEED);
const hex = (n: number) =>
  Array.from({ length: n }, () =>
    Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
const KEY = hex(32);
const NONCE = hex(12);
const chacha = (method: string, key = KEY) => ({
  library: 'crypto',
  method: `chacha20poly1305_${method}`,
  params: { key, nonce: NONCE },
});

const roundTrip = {
  steps: [
    { name: 'compress', library: 'storage', method: 'compress', params: { quality: 5 } },
    { name: 'encrypt', ...chacha('encrypt') },
    { name: 'put', library: 'storage', method: 'put' },
    {
      name: 'get',
      library: 'storage',
      method: 'get',
      params: { address: '${steps.put.hex}' },
      input: 'none',
    },
    { name: 'decrypt', ...chacha('decrypt') },
    { name: 'decompress', library: 'storage', method: 'decompress' },
  ],
  onError: 'rollback',
  budget: 2000,
};

const conditional = {
  steps: [
    { name: 'hash', library: 'crypto', method: 'sha256', input: 'workflow' },
    {
      name: 'big',
      library: 'storage',
      method: 'compress',
      input: 'workflow',
      conditional: { field: 'steps.hash.length', operator: '>', value: 100 },
    },
    {
      name: 'small',
      library: 'crypto',
      method: 'sha256',
      conditional: { field: 'steps.hash.length', operator: '==', value: 32 },
    },
  ],
  budget: 1000,
};

afterAll(() => stopAll());

beforeAll(async () => {
  console.info(`[submit workflow processes] seed ${SEED}, dir ${dir}`);
  boot = (await startRelay(dir, { forSeconds: 3000 })).boot;
  await Promise.all(
    ['c1', 'c2'].map((n) =>
      startContributor(join(dir, n), boot, { capsules: 'crypto,storage', forSeconds: 2980 }),
    ),
  );
}, 600_000);

describe(`inos submit workflow with real processes (seed ${SEED})`, () => {
  it('storage round trip: pure steps on the mesh, put/get here; output equals inos run workflow and the input', () => {
    const input = join(dir, 'in.txt');
    writeFileSync(input, `INOS workflow ${hex(64)} `.repeat(2000));
    const def = join(dir, 'round-trip.json');
    writeFileSync(def, JSON.stringify(roundTrip));
    const before = spent();
    const r = submit(`@${def}`, input);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /committed; steps: compress ok, encrypt ok, put ok, get ok, decrypt ok, decompress ok/,
    );
    expect(r.stderr).toMatch(/4 step job\(s\) on the mesh, 2 here/);
    expect(r.stdout.trim()).toBe(readFileSync(input).toString('hex'));
    expect(r.stdout.trim()).toBe(runLocal(`@${def}`, input).stdout.trim());
    const used = Number(/; (\d+)\/2000 credits/.exec(r.stderr)?.[1]);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(2000);
    // The wallet paid out what the mesh steps cost (the local steps count against the budget, unpaid).
    const paid = Number(/(\d+) credits paid to contributors/.exec(r.stderr)?.[1]);
    expect(spent() - before).toBeCloseTo(paid, 2);
    expect(paid).toBeLessThanOrEqual(used);
  }, 600_000);

  it('a conditional step taken and one skipped, as inos run workflow', () => {
    const input = join(dir, 'cond.bin');
    writeFileSync(input, Buffer.from(hex(3000), 'hex'));
    const def = join(dir, 'cond.json');
    writeFileSync(def, JSON.stringify(conditional));
    const r = submit(`@${def}`, input);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/committed; steps: hash ok, big skipped, small ok/);
    const local = runLocal(`@${def}`, input);
    expect(local.stderr).toMatch(/committed; steps: hash ok, big skipped, small ok/);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stdout.trim()).toBe(local.stdout.trim());
  }, 600_000);

  it('rollback: a failing third step undoes the put; the blob is gone from this machine’s store', () => {
    const input = join(dir, 'rb.txt');
    writeFileSync(input, `rollback ${hex(32)} `.repeat(500));
    const def = join(dir, 'rollback.json');
    writeFileSync(
      def,
      JSON.stringify({
        steps: [
          { name: 'encrypt', ...chacha('encrypt') },
          { name: 'put', library: 'storage', method: 'put' },
          // Decrypting with another key fails authentication: badInput, agreed by both contributors.
          { name: 'bad', ...chacha('decrypt', hex(32)), input: 'steps.encrypt' },
        ],
        onError: 'rollback',
        budget: 2000,
      }),
    );
    const r = submit(`@${def}`, input, ['--format', 'json', '--out', join(dir, 'rb.json')]);
    expect(r.status, r.stderr).toBe(1);
    expect(readFileSync(join(dir, 'rb.json'), 'utf8'), r.stderr).toMatch(/"rolledBack"/);
    const report = JSON.parse(readFileSync(join(dir, 'rb.json'), 'utf8')) as {
      status: string;
      steps: { name: string; status: string }[];
      error: string;
    };
    expect(report.status).toBe('rolledBack');
    expect(report.steps.map((s) => s.status)).toEqual(['ok', 'compensated', 'failed']);
    expect(report.error).toMatch(/step bad: badInput/);
    // The address put returned: the same encrypt + put, locally, on another store.
    const local = runLocal(
      JSON.stringify({ steps: [{ ...chacha('encrypt') }, { library: 'storage', method: 'put' }] }),
      input,
    );
    const address = local.stdout.trim();
    expect(address).toMatch(/^[0-9a-f]{64}$/);
    expect(hasBlob(address)).toBe('00');
  }, 600_000);
});
