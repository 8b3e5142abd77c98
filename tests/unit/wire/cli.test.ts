/** `inos` CLI: dispatcher, encode/decode, exit statuses; in-process and as a real process. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../../../src/cli/cli-error.ts';
import { COMMANDS } from '../../../src/cli/commands/index.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import { CommandRegistry } from '../../../src/cli/registry.ts';
import { decodeJobRequest } from '../../../src/wire/index.ts';
import { HAS_CAPNP, REPO, schemaPath, SKIP_REASON } from './_support/capnp-tool.ts';
import { makeRng } from './_support/prng.ts';

const CAPSULE = schemaPath('capsule.capnp');
const REQUEST_JSON = {
  id: 'héllo 世界 🚀',
  library: 'hash',
  method: 'sha256',
  params: '{}',
  budget: '18446744073709551615',
  deadlineMs: '9007199254740993',
  input: { inline: 'AAEC/w==' },
};

async function run(argv: string[], stdin: Uint8Array | string = '') {
  const io = memoryIo(stdin);
  const status = await main(argv, io);
  return { status, stdout: io.stdout(), text: io.stdoutText(), stderr: io.stderr() };
}

describe('dispatcher', () => {
  it('lists commands on --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await run(['--help']);
    expect(help.status).toBe(EXIT_OK);
    expect(help.text).toMatch(/decode\s+Cap'n Proto frame on stdin -> JSON/);
    expect(help.text).toMatch(/encode\s+JSON on stdin/);
    expect((await run([])).status).toBe(EXIT_BAD_INPUT);
  });

  it('prints a command usage on `<command> --help` and `help <command>`', async () => {
    for (const argv of [
      ['encode', '--help'],
      ['help', 'encode'],
    ]) {
      const r = await run(argv);
      expect(r.status).toBe(EXIT_OK);
      expect(r.text).toMatch(/Usage: inos encode <schema.capnp> <Struct>/);
      expect(r.text).toMatch(/padded base64/);
    }
  });

  it('rejects an unknown command with exit 2', async () => {
    const r = await run(['frobnicate']);
    expect(r.status).toBe(EXIT_BAD_INPUT);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('maps unexpected exceptions to exit 1 and says so', async () => {
    const registry = new CommandRegistry([
      { name: 'boom', summary: '', usage: '', run: () => Promise.reject(new TypeError('kaput')) },
    ]);
    const io = memoryIo();
    expect(await main(['boom'], io, registry)).toBe(EXIT_FAILURE);
    expect(io.stderr()).toMatch(/inos boom: internal error \(please report\): TypeError: kaput/);
  });

  it('refuses duplicate or badly named commands', () => {
    const cmd = COMMANDS[0];
    if (cmd === undefined) throw new Error('no commands');
    expect(() => new CommandRegistry([cmd, cmd])).toThrow(/registered twice/);
    expect(() => new CommandRegistry([{ ...cmd, name: 'Bad Name' }])).toThrow(/bad command name/);
  });

  it('every file in src/cli/commands/ is a registered command', () => {
    const files = readdirSync(join(REPO, 'src/cli/commands')).filter(
      (f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'),
    );
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });
});

describe.skipIf(!HAS_CAPNP)(
  HAS_CAPNP ? 'encode / decode' : `encode / decode (skipped: ${SKIP_REASON})`,
  () => {
    it('round-trips JSON -> frame -> JSON, and the frame is a real JobRequest', async () => {
      const enc = await run(['encode', CAPSULE, 'JobRequest'], JSON.stringify(REQUEST_JSON));
      expect(enc.stderr).toBe('');
      expect(enc.status).toBe(EXIT_OK);
      expect(decodeJobRequest(enc.stdout)).toMatchObject({
        id: 'héllo 世界 🚀',
        budget: 2n ** 64n - 1n,
        deadlineMs: 2n ** 53n + 1n,
      });
      const dec = await run(['decode', CAPSULE, 'JobRequest'], enc.stdout);
      expect(dec.status).toBe(EXIT_OK);
      expect(JSON.parse(dec.text)).toEqual(REQUEST_JSON);
    });

    it.each([
      ['random bytes', makeRng(7).bytes(40), /bad frame \(/],
      ['no bytes', new Uint8Array(0), /bad frame \(truncated\): frame is 0 byte/],
      ['a truncated frame', new Uint8Array([0, 0, 0, 0, 9, 0, 0, 0, 1, 2, 3]), /bad frame \(truncated\)/],
    ])('decode: %s -> exit 2 and a message on stderr', async (_name, bytes, message) => {
      const r = await run(['decode', CAPSULE, 'JobRequest'], bytes);
      expect(r.status).toBe(EXIT_BAD_INPUT);
      expect(r.stderr).toMatch(/^inos decode: /);
      expect(r.stderr).toMatch(message);
      expect(r.stdout.length).toBe(0);
    });

    it.each([
      [['encode', CAPSULE, 'JobRequest'], '{"id": ', /stdin is not valid JSON/],
      [
        ['encode', CAPSULE, 'JobRequest'],
        '{"budget": -1}',
        /bad value: JobRequest\.budget: expected an integer in \[0, 2\^64 - 1\]/,
      ],
      [
        ['encode', CAPSULE, 'JobRequest'],
        '{"input": {"inline": "AQ==", "arena": {}}}',
        /a union takes one member, got inline and arena/,
      ],
      [
        ['encode', CAPSULE, 'Nope'],
        '{}',
        /no struct "Nope" in capsule\.capnp; structs: ArenaRef, JobRequest, JobResult/,
      ],
      [['decode', CAPSULE, 'JobResult.Status'], '', /JobResult\.Status is an enum, not a struct/],
      [['decode', join(REPO, 'schemas/missing.capnp'), 'X'], '', /schema file not found/],
      [['decode', CAPSULE], '', /expected <schema\.capnp> <Struct>, got 1 argument/],
    ])('%j -> exit 2 with a clear message', async (argv, stdin, message) => {
      const r = await run(argv, stdin);
      expect(r.status).toBe(EXIT_BAD_INPUT);
      expect(r.stderr).toMatch(message);
    });
  },
);

describe.skipIf(!HAS_CAPNP)(
  HAS_CAPNP ? 'the real process' : `the real process (skipped: ${SKIP_REASON})`,
  () => {
    beforeAll(() => {
      const build = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: REPO, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`build-cli failed: ${build.stderr}`);
    }, 60_000);

    const inos = (args: string[], input: Uint8Array | string) =>
      spawnSync(process.execPath, ['bin/inos.mjs', ...args], { cwd: REPO, input });

    it('bin/inos.mjs: encode | decode round-trips through real pipes', () => {
      const enc = inos(['encode', 'schemas/capsule.capnp', 'JobRequest'], JSON.stringify(REQUEST_JSON));
      expect(enc.stderr.toString()).toBe('');
      expect(enc.status).toBe(0);
      const dec = inos(['decode', 'schemas/capsule.capnp', 'JobRequest'], enc.stdout);
      expect(dec.status).toBe(0);
      expect(JSON.parse(dec.stdout.toString('utf8'))).toEqual(REQUEST_JSON);
    });

    it('bin/inos.mjs: bad bytes exit 2 with the reason on stderr', () => {
      const r = inos(
        ['decode', 'schemas/capsule.capnp', 'JobRequest'],
        new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      );
      expect(r.status).toBe(2);
      expect(r.stderr.toString()).toMatch(
        /inos decode: bad frame \(segment-table\): segment table declares 67305986 segments; at most 512/,
      );
    });

    it('bin/inos.mjs says what to do when the bundle is missing and cannot be built', () => {
      const dir = mkdtempSync(join(tmpdir(), 'inos-bin-'));
      try {
        mkdirSync(join(dir, 'bin'));
        copyFileSync(join(REPO, 'bin/inos.mjs'), join(dir, 'bin/inos.mjs'));
        const r = spawnSync(process.execPath, [join(dir, 'bin/inos.mjs'), '--help'], { encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/Run `npm ci`/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('bin/inos.mjs builds a missing bundle itself: `npx inos --help` works right after `npm ci`', () => {
      const dir = mkdtempSync(join(tmpdir(), 'inos-fresh-'));
      try {
        mkdirSync(join(dir, 'bin'));
        copyFileSync(join(REPO, 'bin/inos.mjs'), join(dir, 'bin/inos.mjs'));
        symlinkSync(join(REPO, 'scripts'), join(dir, 'scripts'));
        copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
        symlinkSync(join(REPO, 'src'), join(dir, 'src'));
        symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
        const r = spawnSync(process.execPath, [join(dir, 'bin/inos.mjs'), '--help'], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^Usage: inos <command>/);
        expect(existsSync(join(dir, 'dist/cli/inos.mjs'))).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
