/**
 * The market with real processes on loopback: `inos node` (relay/bootstrap, as it is today), three
 * honest `inos contribute` processes and one started with the test-only --test-corrupt-outputs, and
 * `inos submit --mint` of mixed jobs (crypto, storage, pow). Every output must equal what `inos run`
 * gives locally; each contributor's wallet holds what it was paid; the requester's balance fell by
 * the same total; nothing was paid twice; the tampering contributor is paid nothing.
 *
 * Slow (minutes on a busy 2-core box: four engines, a libp2p node each, real proof-of-work), hence
 * tests/slow (`npm run test:slow`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prng, seedFromEnv } from '../../unit/_prng.ts';

const ROOT = join(import.meta.dirname, '../../..');
const INOS = join(ROOT, 'bin/inos.mjs');
const SEED = seedFromEnv(1127);
const procs: ChildProcess[] = [];

function start(args: string[], env: Record<string, string>): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, [INOS, ...args], { env: { ...process.env, ...env } });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  procs.push(proc);
  return { proc, out: () => out };
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function wallet(home: string): { balance: number; peer: number; spent: number; nodeId: string } {
  const r = spawnSync(process.execPath, [INOS, 'wallet'], {
    env: { ...process.env, INOS_HOME: home },
    encoding: 'utf8',
  });
  const num = (label: string) => Number(new RegExp(`^${label}\\s+([0-9.]+)`, 'm').exec(r.stdout)?.[1]);
  return {
    balance: num('balance'),
    peer: num('from peers'),
    spent: num('spent'),
    nodeId: /^node id\s+([0-9a-f]{64})/m.exec(r.stdout)?.[1] ?? '',
  };
}

afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

describe(`market with real processes (seed ${SEED})`, () => {
  it('node + 3 contributors + 1 tamperer; submit --mint of mixed jobs; outputs equal inos run; books balance', async () => {
    console.info(`[market processes] seed ${SEED}`);
    const dir = mkdtempSync(join(tmpdir(), 'inos-market-'));
    const node = start(['node', '--for', '400'], { INOS_HOME: join(dir, 'node') });
    const boot = await waitFor(
      'inos node',
      () => /\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\S+/.exec(node.out())?.[0],
      60_000,
    );
    const homes = ['c1', 'c2', 'c3', 'liar'].map((n) => join(dir, n));
    const contributors = homes.map((home, i) =>
      start(
        [
          'contribute',
          '--bootstrap',
          boot,
          '--capsules',
          'crypto,storage,pow',
          '--for',
          '380',
          ...(i === 3 ? ['--test-corrupt-outputs'] : []),
        ],
        { INOS_HOME: home, INOS_STORE: join(home, 'chunks'), INOS_TEST_FLAGS: '1' },
      ),
    );
    for (const c of contributors)
      await waitFor('a contributor', () => (/^contributing /m.test(c.out()) ? true : undefined), 180_000);

    // Mixed jobs: 4 sha256 over files, 4 compressions (one directory each), 2 proof-of-work searches.
    const rand = prng(SEED);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const hashDir = join(dir, 'in-hash');
    const textDir = join(dir, 'in-text');
    mkdirSync(hashDir);
    mkdirSync(textDir);
    for (let i = 0; i < 4; i++) writeFileSync(join(hashDir, `f${i}.bin`), bytes(500 + i * 300_000));
    for (let i = 0; i < 4; i++)
      writeFileSync(join(textDir, `t${i}.txt`), 'INOS market '.repeat(100 + i * 50));
    const requester = join(dir, 'requester');
    const submit = (args: string[]) =>
      spawnSync(
        process.execPath,
        [INOS, 'submit', ...args, '--bootstrap', boot, '--budget', '100', '--json', '--mint', '--wait', '60'],
        {
          env: { ...process.env, INOS_HOME: requester },
          encoding: 'utf8',
          timeout: 400_000,
        },
      );
    const runs = [
      {
        args: ['crypto', 'sha256', '--in', hashDir],
        inputs: [0, 1, 2, 3].map((i) => join(hashDir, `f${i}.bin`)),
        lib: ['crypto', 'sha256'],
        params: '{}',
      },
      {
        args: ['storage', 'compress', '--in', textDir],
        inputs: [0, 1, 2, 3].map((i) => join(textDir, `t${i}.txt`)),
        lib: ['storage', 'compress'],
        params: '{}',
      },
    ];
    const powParams = JSON.stringify({
      header: '00'.repeat(80),
      nonceStart: 0,
      count: 20_000,
      bits: 0x1f00ffff,
    });
    const before = wallet(requester);
    let paidTotal = 0;
    const paidTo = new Map<string, number>();
    const check = (line: string, expected: string) => {
      const j = JSON.parse(line) as {
        status: string;
        outputHash: string;
        output?: string;
        paid: Record<string, number>;
      };
      expect(j.status, line).toBe('ok');
      expect(j.output).toBe(expected);
      for (const [k, v] of Object.entries(j.paid)) {
        paidTotal += v;
        paidTo.set(k, (paidTo.get(k) ?? 0) + v);
      }
      return j;
    };
    const local = (lib: string[], params: string, input?: string) =>
      spawnSync(
        process.execPath,
        [
          INOS,
          'run',
          lib[0]!,
          lib[1]!,
          '--params',
          params,
          '--format',
          'hex',
          ...(input ? ['--in', input] : []),
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, INOS_STORE: join(dir, 'local-chunks') },
        },
      ).stdout.trim();
    for (const r of runs) {
      const res = submit(r.args);
      const lines = res.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(lines, res.stderr).toHaveLength(r.inputs.length);
      const byIndex = lines
        .map((l) => JSON.parse(l) as { index: number })
        .map((j, k) => [j.index, lines[k]!] as const);
      for (const [i, line] of byIndex) check(line, local(r.lib, r.params, r.inputs[i]));
    }
    for (let k = 0; k < 2; k++) {
      const res = submit(['pow', 'search', '--params', powParams]);
      const line = res.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith('{'));
      expect(line, res.stderr).toBeDefined();
      check(line!, local(['pow', 'search'], powParams));
    }
    const after = wallet(requester);
    // The requester's balance fell by exactly what the contributors were paid (minting added the rest).
    expect(after.spent - before.spent).toBeCloseTo(paidTotal, 2);
    const liar = wallet(homes[3]!);
    expect(liar.balance).toBe(0);
    expect(paidTo.has(liar.nodeId)).toBe(false);
    for (const home of homes.slice(0, 3)) {
      const w = wallet(home);
      expect(w.peer).toBeCloseTo(paidTo.get(w.nodeId) ?? 0, 2);
    }
    // Nothing paid twice: each payment is one receipt in its payee's chain (the ledger refuses a replay).
    for (const home of homes) {
      const file = JSON.parse(readFileSync(join(home, 'wallet.json'), 'utf8')) as {
        history: { kind: string; jobId?: string }[];
      };
      const pays = file.history
        .filter((e) => e.kind === 'receipt' && e.jobId?.startsWith('pay:'))
        .map((e) => e.jobId);
      expect(new Set(pays).size).toBe(pays.length);
    }
  }, 900_000);
});
