/**
 * `inos run`: argument errors, exit statuses, hostile requests, budget and deadline stops, and interop
 * with independent tools (sha256sum, b3sum, brotli) on seeded random inputs. In-process jobs share one
 * real engine (one worker thread) so the file stays fast and shows the engine survives what it is
 * sent; a few cases run the esbuild bundle as a real process. Seed: SEED=<n> (printed on failure).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { MAX_PARAMS_BYTES } from '../../../src/engine/validate.ts';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../../../src/cli/cli-error.ts';
import {
  createRunCommand,
  EXIT_BUDGET_EXHAUSTED,
  EXIT_TIMEOUT,
  limitsTable,
  parseRunArgs,
} from '../../../src/cli/commands/run.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import { defaultStoreDir, startNodeEngine, type NodeEngine } from '../../../src/cli/node-engine.ts';
import { CommandRegistry } from '../../../src/cli/registry.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { needTools } from '../../_tools.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const SEED = seedFromEnv(0x5eed_2026);
const HAS_SHA256SUM = needTools('sha256sum');
const HAS_B3SUM = needTools('b3sum');
const HAS_BROTLI = needTools('brotli');
const skipNote = (present: boolean, t: string) => (present ? '' : ` (skipped: ${t} is not on PATH)`);

/** 80-byte header and a target no hash meets: the search runs until something stops it. */
const HOPELESS_SEARCH = JSON.stringify({
  header: 'ab'.repeat(80),
  nonceStart: 0,
  count: 2 ** 32,
  target: `${'0'.repeat(63)}1`,
});

let work: string;
let shared: NodeEngine;
let registry: CommandRegistry;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-run-'));
  shared = startNodeEngine({ workers: 1, storeDir: join(work, 'store') });
  // The command disposes its engine after each job; this one is kept for the whole file.
  registry = new CommandRegistry([
    createRunCommand(() => ({
      engine: shared.engine,
      ready: (ms) => shared.ready(ms),
      dispose: async () => {},
    })),
  ]);
  await shared.ready();
}, 30_000);

afterAll(async () => {
  await shared?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function inos(argv: string[], stdin: Uint8Array | string = '') {
  const io = memoryIo(stdin);
  const status = await main(['run', ...argv], io, registry);
  return { status, out: io.stdout(), text: io.stdoutText(), stderr: io.stderr() };
}

let fileSeq = 0;
function file(bytes: Uint8Array | string): string {
  const p = join(work, `in-${++fileSeq}.bin`);
  writeFileSync(p, bytes);
  return p;
}

function tool(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** Compressible text: random words from a small vocabulary. */
function randomText(rand: () => number, n: number): Uint8Array {
  const words = ['mesh', 'capsule', 'credit', 'worker', 'arena', 'ring', 'job', 'brotli', '\n', 'sha'];
  let s = '';
  while (s.length < n) s += `${words[(rand() * words.length) | 0]} `;
  return new TextEncoder().encode(s.slice(0, n));
}

const withSeed = (msg: string) => `${msg} (SEED=${SEED})`;

describe('arguments', () => {
  it.each([
    [['crypto'], /expected <library> <method>, got 1 argument/],
    [['crypto', 'sha256', 'extra'], /unexpected argument "extra"/],
    [['crypto', 'sha256', '-'], /did you mean --in -\?/],
    [['crypto', 'sha256', '--frobnicate'], /unknown option "--frobnicate"; allowed: --params, --in, --out/],
    [['crypto', 'sha256', '-x'], /unknown option "-x"/],
    [['crypto', 'sha256', '--in'], /--in needs a value/],
    [['crypto', 'sha256', '--params', '--budget', '5'], /--params needs a value/],
    [['crypto', 'sha256', '--budget', 'lots'], /--budget must be a whole number from 0 to \d+; got "lots"/],
    [['crypto', 'sha256', '--budget', '-5'], /--budget must be a whole number/],
    [['crypto', 'sha256', '--budget=1.5'], /--budget must be a whole number/],
    [['crypto', 'sha256', '--deadline-ms', '0'], /--deadline-ms must be a whole number from 1/],
    [['crypto', 'sha256', '--format', 'base64'], /--format must be one of raw, hex, json; got "base64"/],
    [['crypto', 'sha256', '--out', 'x', '--out', 'y'], /--out was given twice/],
  ])('%j -> exit 2, the reason and the usage', async (argv, message) => {
    const r = await inos(argv);
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toMatch(/^inos run: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: inos run <library> <method>');
    expect(r.out.length).toBe(0);
  });

  it('accepts --flag=value and --flag value, in any order', () => {
    expect(parseRunArgs(['--budget=7', 'pow', '--format', 'json', 'search', '--in', '-'])).toMatchObject({
      library: 'pow',
      method: 'search',
      budget: 7,
      format: 'json',
      in: '-',
    });
  });

  it('refuses unknown libraries and methods before starting anything, listing what exists', async () => {
    const lib = await inos(['nope', 'x']);
    expect(lib.status).toBe(EXIT_BAD_INPUT);
    const libraries = builtinCapsules.map((c) => c.library).sort();
    expect(lib.stderr).toContain(`unknown library "nope"; available: ${libraries.join(', ')}`);
    const m = await inos(['crypto', 'sha3']);
    expect(m.status).toBe(EXIT_BAD_INPUT);
    expect(m.stderr).toMatch(/unknown method "sha3" in library "crypto"; available: .*sha256/);
    const proto = await inos(['crypto', '__proto__']);
    expect(proto.status).toBe(EXIT_BAD_INPUT);
  });

  it('lists every capsule method in --help', async () => {
    const r = await inos(['--help']);
    expect(r.status).toBe(EXIT_OK);
    for (const c of builtinCapsules)
      for (const name of Object.keys(c.methods)) expect(r.text).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('defaults the chunk store to $INOS_STORE, else ~/.local/share/inos/chunks', () => {
    expect(defaultStoreDir({ INOS_STORE: '/x/y' })).toBe('/x/y');
    expect(defaultStoreDir({ HOME: '/h' })).toMatch(/\.local\/share\/inos\/chunks$/);
  });
});

describe('hashes agree with independent tools on seeded random inputs', () => {
  // 256 KiB + 1 crosses to WebCrypto for SHA-256; 1 MiB + 3 spans several checkpointed chunks.
  const sizes = [0, 1, 55, 64, 1000, (256 << 10) + 1, (1 << 20) + 3];

  it.skipIf(!HAS_SHA256SUM)(`crypto.sha256 = sha256sum${skipNote(HAS_SHA256SUM, 'sha256sum')}`, async () => {
    const rand = prng(SEED);
    for (const n of sizes) {
      const input = randomBytes(rand, n);
      const ours = await inos(['crypto', 'sha256', '--in', file(input), '--format', 'hex']);
      expect(ours.status, withSeed(ours.stderr)).toBe(EXIT_OK);
      const ref = tool('sha256sum', ['-b', '-'], input).toString().split(' ')[0];
      expect(ours.text, withSeed(`size ${n}`)).toBe(`${ref}\n`);
    }
  });

  it.skipIf(!HAS_B3SUM)(
    `crypto.blake3 = b3sum (input from stdin, raw output)${skipNote(HAS_B3SUM, 'b3sum')}`,
    async () => {
      const rand = prng(SEED + 1);
      for (const n of sizes) {
        const input = randomBytes(rand, n);
        const ours = await inos(['crypto', 'blake3', '--in', '-'], input);
        expect(ours.status, withSeed(ours.stderr)).toBe(EXIT_OK);
        const ref = tool('b3sum', ['--no-names'], input).toString().trim();
        expect(Buffer.from(ours.out).toString('hex'), withSeed(`size ${n}`)).toBe(ref);
      }
    },
  );
});

describe.skipIf(!HAS_BROTLI)(
  HAS_BROTLI ? 'brotli interop' : 'brotli interop (skipped: the brotli CLI is not on PATH)',
  () => {
    it('`brotli -d` reads our output at qualities 0, 5, 9 and 11; --out gets the bytes unchanged', async () => {
      const rand = prng(SEED + 2);
      for (const [q, n] of [
        [0, 70_000],
        [5, 300_000],
        [9, 200_000],
        [11, 50_000],
      ] as const) {
        const input = randomText(rand, n);
        const out = join(work, `ours-q${q}.br`);
        const r = await inos([
          'storage',
          'compress',
          '--params',
          `{"quality":${q}}`,
          '--in',
          file(input),
          '--out',
          out,
        ]);
        expect(r.status, withSeed(r.stderr)).toBe(EXIT_OK);
        expect(r.out.length).toBe(0);
        const back = tool('brotli', ['-d', '-c', out]);
        expect(Buffer.compare(back, Buffer.from(input)), withSeed(`quality ${q}`)).toBe(0);
      }
    });

    it('we read `brotli -q 11` output (text and random bytes)', async () => {
      const rand = prng(SEED + 3);
      for (const input of [randomText(rand, 400_000), randomBytes(rand, 100_000), new Uint8Array(0)]) {
        const compressed = tool('brotli', ['-q', '11', '-c'], input);
        const r = await inos(['storage', 'decompress', '--in', file(compressed)]);
        expect(r.status, withSeed(r.stderr)).toBe(EXIT_OK);
        expect(Buffer.compare(Buffer.from(r.out), Buffer.from(input)), withSeed('decompress')).toBe(0);
      }
    });
  },
);

describe('hostile requests: exit 2 with a message, and the engine keeps working', () => {
  const corrupt = (() => {
    const rand = prng(SEED + 4);
    const good = HAS_BROTLI ? tool('brotli', ['-q', '5', '-c'], randomText(rand, 20_000)) : null;
    return { random: randomBytes(rand, 4096), truncated: good ? good.subarray(0, good.length >> 1) : null };
  })();

  it.each([
    [
      'prototype pollution',
      ['crypto', 'sha256', '--params', '{"a":{"__proto__":{"polluted":1}}}'],
      /__proto__/,
    ],
    ['constructor key', ['crypto', 'sha256', '--params', '{"constructor":{"prototype":{}}}'], /constructor/],
    ['params that are not JSON', ['crypto', 'sha256', '--params', '{sha: 256'], /params are not valid JSON/],
    [
      'params nested too deep',
      ['crypto', 'sha256', '--params', '['.repeat(64) + ']'.repeat(64)],
      /nest deeper/,
    ],
    ['unknown params key', ['crypto', 'sha256', '--params', '{"rounds":2}'], /bad params for crypto\.sha256/],
    [
      'wrong key length',
      ['crypto', 'chacha20poly1305_encrypt', '--params', '{"key":"00","nonce":"00"}'],
      /key/,
    ],
    ['bad quality', ['storage', 'compress', '--params', '{"quality":12}'], /quality must be an integer 0-11/],
    ['bad pow header', ['pow', 'search', '--params', '{"header":"zz","nonceStart":0,"count":1}'], /header/],
  ])('%s', async (_name, argv, message) => {
    const r = await inos(argv);
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toMatch(/^inos run: bad input: /);
    expect(r.stderr).toMatch(message);
    expect(r.out.length).toBe(0);
  });

  it('params over 1 MiB, inline or from a file', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_PARAMS_BYTES) });
    const inline = await inos(['crypto', 'sha256', '--params', big]);
    expect(inline.status).toBe(EXIT_BAD_INPUT);
    expect(inline.stderr).toMatch(/at most 1048576 bytes \(1 MiB\)/);
    const fromFile = await inos(['crypto', 'sha256', '--params', `@${file(big)}`]);
    expect(fromFile.status).toBe(EXIT_BAD_INPUT);
    expect(fromFile.stderr).toMatch(/params are at most 1048576 bytes/);
    // Just under the limit travels to the worker, which judges it (strict schema: unknown key).
    const near = JSON.stringify({ pad: 'x'.repeat(MAX_PARAMS_BYTES - 20) });
    const r = await inos(['crypto', 'sha256', '--params', `@${file(near)}`]);
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toMatch(/bad params for crypto\.sha256/);
  });

  it('corrupt or truncated compressed data', async () => {
    const r = await inos(['storage', 'decompress', '--in', file(corrupt.random)]);
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toMatch(/^inos run: bad input: /);
    if (corrupt.truncated) {
      const t = await inos(['storage', 'decompress', '--in', '-'], corrupt.truncated);
      expect(t.status).toBe(EXIT_BAD_INPUT);
      expect(t.stderr).toMatch(/^inos run: bad input: /);
    }
  });

  it('oversize input, from a file (refused before reading) or stdin (refused by the engine)', async () => {
    const f = await inos(['pow', 'verify', '--in', file('x'), '--params', '{"header":"00"}']);
    expect(f.status).toBe(EXIT_BAD_INPUT);
    expect(f.stderr).toMatch(/input is 1 bytes; pow\.verify accepts at most 0 bytes/);
    const s = await inos(['crypto', 'ed25519_sign', '--in', '-'], new Uint8Array((1 << 20) + 1));
    expect(s.status).toBe(EXIT_BAD_INPUT);
    expect(s.stderr).toMatch(/input is 1048577 bytes; crypto\.ed25519_sign accepts at most 1048576 bytes/);
  });

  it('unreadable --in, unwritable --out', async () => {
    const missing = await inos(['crypto', 'sha256', '--in', join(work, 'absent')]);
    expect(missing.status).toBe(EXIT_BAD_INPUT);
    expect(missing.stderr).toMatch(/cannot read --in .*absent: no such file or directory/);
    const dir = await inos(['crypto', 'sha256', '--in', work]);
    expect(dir.stderr).toMatch(/it is a directory/);
    const out = await inos(['crypto', 'sha256', '--out', join(work, 'no', 'such', 'dir', 'x')]);
    expect(out.status).toBe(EXIT_BAD_INPUT);
    expect(out.stderr).toMatch(/cannot write --out .*does not exist/);
  });

  it('after all of that, a normal job runs in the same engine', async () => {
    const r = await inos(['crypto', 'sha256', '--format', 'hex', '--in', '-'], 'abc');
    expect(r.status).toBe(EXIT_OK);
    expect(r.text).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n');
  });
});

describe('jobs that never finish', () => {
  it('are stopped by their budget (exit 3, charged at most the budget); the next job runs', async () => {
    // Exit 3 and charged ≤ budget are the requirement; a job that ignored its budget would run until the
    // test's timeout. No wall-clock bound: the machine may be busy.
    const r = await inos([
      'pow',
      'search',
      '--params',
      HOPELESS_SEARCH,
      '--budget',
      '150',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(EXIT_BUDGET_EXHAUSTED);
    const report = JSON.parse(r.text) as { status: string; costUsed: number; error: string };
    expect(report.status).toBe('budgetExhausted');
    expect(report.costUsed).toBeGreaterThan(0);
    expect(report.costUsed).toBeLessThanOrEqual(150);
    expect(r.stderr).toMatch(/^inos run: budget exhausted: .*150 credits.*\(charged \d+ credits\)/);
    const next = await inos(['crypto', 'sha256', '--format', 'hex'], '');
    expect(next.status).toBe(EXIT_OK);
    expect(next.text).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n');
  });

  it('are stopped by --deadline-ms (exit 4) with a large budget; the next job runs', async () => {
    const t0 = performance.now();
    const r = await inos([
      'pow',
      'search',
      '--params',
      HOPELESS_SEARCH,
      '--budget',
      '100000',
      '--deadline-ms',
      '250',
    ]);
    expect(r.status).toBe(EXIT_TIMEOUT);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.stderr).toMatch(/^inos run: timeout: /);
    expect(r.out.length).toBe(0);
    const next = await inos(['crypto', 'blake3', '--format', 'hex'], '');
    expect(next.status).toBe(EXIT_OK);
  });

  it('a budget too small to move the input is refused without running (exit 3)', async () => {
    const r = await inos(['crypto', 'sha256', '--budget', '1', '--in', '-'], new Uint8Array(3 << 20));
    expect(r.status).toBe(EXIT_BUDGET_EXHAUSTED);
    expect(r.stderr).toMatch(/cannot cover moving/);
  });
});

describe('output formats and the chunk store', () => {
  it('json: parsed output when the job returns JSON, hex otherwise', async () => {
    const v = await inos([
      'pow',
      'verify',
      '--format',
      'json',
      '--params',
      JSON.stringify({ header: 'ab'.repeat(80), target: 'f'.repeat(64) }),
    ]);
    expect(v.status).toBe(EXIT_OK);
    const report = JSON.parse(v.text);
    expect(report).toMatchObject({ status: 'ok', outputEncoding: 'json', error: '' });
    expect(report.output).toMatchObject({ valid: true });
    expect(report.output.hash).toMatch(/^[0-9a-f]{64}$/);
    const h = await inos(['crypto', 'sha256', '--format', 'json', '--in', '-'], 'abc');
    expect(JSON.parse(h.text)).toMatchObject({
      status: 'ok',
      output: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      outputEncoding: 'hex',
    });
    const bad = await inos(['crypto', 'sha256', '--format', 'json', '--params', '[]']);
    expect(bad.status).toBe(EXIT_BAD_INPUT);
    expect(JSON.parse(bad.text)).toMatchObject({ status: 'badInput', costUsed: 0, output: '' });
  });

  it('writes nothing to --out when the job fails', async () => {
    const out = join(work, 'never.bin');
    const r = await inos(['storage', 'decompress', '--in', '-', '--out', out], 'not brotli at all');
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(existsSync(out)).toBe(false);
  });

  it('storage.put then storage.get round-trips through the directory store', async () => {
    const input = randomText(prng(SEED + 5), 3 << 20);
    const put = await inos(['storage', 'put', '--in', file(input), '--params', '{"chunkSize":1048576}']);
    expect(put.status, put.stderr).toBe(EXIT_OK);
    expect(put.out.length).toBe(32);
    const address = Buffer.from(put.out).toString('hex');
    const got = await inos(['storage', 'get', '--params', JSON.stringify({ address })]);
    expect(got.status, got.stderr).toBe(EXIT_OK);
    expect(Buffer.compare(Buffer.from(got.out), Buffer.from(input))).toBe(0);
    expect(existsSync(join(work, 'store', 'index.json'))).toBe(true);
  });
});

describe('the engine in Node', () => {
  it('disposes cleanly: jobs after dispose are cancelled, not lost', async () => {
    const h = startNodeEngine({ workers: 1, storeDir: null });
    await h.ready();
    expect((await h.engine.submit({ library: 'crypto', method: 'sha256' })).status).toBe('ok');
    await h.dispose();
    const late = await h.engine.submit({ library: 'crypto', method: 'sha256' });
    expect(late.status).toBe('cancelled');
    await h.dispose(); // idempotent
  });

  it('says when its worker cannot start', async () => {
    const h = startNodeEngine({
      workers: 1,
      storeDir: null,
      workerUrl: new URL('file:///nonexistent/worker.mjs'),
    });
    await expect(h.ready(10_000)).rejects.toThrow(/a worker thread failed/);
    await h.dispose();
  });

  it('without a store, storage.put says so (exit 1, an environment problem)', async () => {
    const h = startNodeEngine({ workers: 1, storeDir: null });
    const reg = new CommandRegistry([createRunCommand(() => h)]);
    const io = memoryIo('data');
    expect(await main(['run', 'storage', 'put', '--in', '-'], io, reg)).toBe(EXIT_FAILURE);
    expect(io.stderr()).toMatch(/no chunk store/);
  });
});

describe('docs/CREDITS.md', () => {
  it("lists every capsule method's limits as the capsule definitions state them", () => {
    const doc = readFileSync(join(REPO, 'docs/CREDITS.md'), 'utf8');
    expect(doc, `docs/CREDITS.md must contain this table verbatim:\n${limitsTable()}`).toContain(
      limitsTable(),
    );
  });
});

describe('the bundle as a real process', () => {
  // Built into a git-ignored folder inside the repo (node_modules must resolve for brotli-wasm), not
  // dist/: tests/unit/wire/cli.test.ts rebuilds dist/ concurrently.
  const out = join(REPO, '.tmp', `run-test-${process.pid}`);
  const bundle = join(out, 'inos.mjs');
  beforeAll(() => {
    mkdirSync(out, { recursive: true });
    const b = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--outfile', bundle], {
      cwd: REPO,
      encoding: 'utf8',
    });
    if (b.status !== 0) throw new Error(`build-cli failed: ${b.stderr}`);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const run = (args: string[], input?: Uint8Array | string) =>
    spawnSync(process.execPath, [bundle, 'run', ...args], {
      input,
      cwd: work,
      env: { ...process.env, INOS_STORE: join(work, 'bundle-store') },
      timeout: 15_000,
    });

  it.skipIf(!HAS_SHA256SUM)(
    `hashes a file, prints hex and exits 0${skipNote(HAS_SHA256SUM, 'sha256sum')}`,
    () => {
      const input = randomBytes(prng(SEED + 6), 1 << 20);
      const f = file(input);
      const r = run(['crypto', 'sha256', '--in', f, '--format', 'hex']);
      expect(r.stderr.toString()).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toBe(`${tool('sha256sum', ['-b', f]).toString().split(' ')[0]}\n`);
    },
  );

  it.skipIf(!HAS_BROTLI)(
    `pipes: brotli -q 11 | inos run storage decompress --in -${skipNote(HAS_BROTLI, 'brotli')}`,
    () => {
      const input = randomText(prng(SEED + 7), 200_000);
      const r = run(['storage', 'decompress', '--in', '-'], tool('brotli', ['-q', '11', '-c'], input));
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(Buffer.compare(r.stdout, Buffer.from(input))).toBe(0);
    },
  );

  it('exit statuses 2 and 3 from the real process', () => {
    const bad = run(['crypto', 'sha256', '--budget', 'abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/inos run: error: --budget must be a whole number/);
    const budget = run(['pow', 'search', '--params', HOPELESS_SEARCH, '--budget', '100']);
    expect(budget.status).toBe(3);
    // The engine's watchdog stopped it at its priced run time, and says so (before: "stopped:
    // cancelled" from the engine, which this command rewrote as the capsule's time limit or budget).
    expect(budget.stderr.toString()).toMatch(
      /inos run: budget exhausted: stopped: the budget of 100 credits ran out \(\d+ ms of run time: 10 × min\(its price bound of \d+, its budget of 100\) credits \+ \d+ ms\)/,
    );
  });
});
