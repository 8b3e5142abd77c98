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
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prng, seedFromEnv } from '../../unit/_prng.ts';
import { INOS, localRun, startContributor, startRelay, stopAll, walletOf as wallet } from './_procs.ts';

const SEED = seedFromEnv(1127);

afterAll(() => stopAll());

describe(`market with real processes (seed ${SEED})`, () => {
  it('node + 3 contributors + 1 tamperer; submit --mint of mixed jobs; outputs equal inos run; books balance', async () => {
    console.info(`[market processes] seed ${SEED}`);
    const dir = mkdtempSync(join(tmpdir(), 'inos-market-'));
    const { boot } = await startRelay(dir, { forSeconds: 900 });
    const homes = ['c1', 'c2', 'c3', 'liar'].map((n) => join(dir, n));
    const contributors = await Promise.all(
      homes.map((home, i) =>
        startContributor(home, boot, { capsules: 'crypto,storage,pow', forSeconds: 880, corrupt: i === 3 }),
      ),
    );

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
    // A run is charged its worker's wall time (docs/CREDITS.md): at load 35 on 2 cores a 500-byte
    // sha256 ran out of a budget of 100 on 3 of 4 contributors ("no other contributor is left").
    const submit = (args: string[]) =>
      spawnSync(
        process.execPath,
        [INOS, 'submit', ...args, '--bootstrap', boot, '--budget', '300', '--json', '--mint', '--wait', '60'],
        {
          env: { ...process.env, INOS_HOME: requester, INOS_DEBUG: '1' },
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
    // On a failure: the requester's event log and each contributor's last lines.
    const why = (stderr: string) =>
      [stderr.slice(-4000), ...contributors.map((c, i) => `--- ${homes[i]}\n${c.out().slice(-1500)}`)].join(
        '\n',
      );
    const check = (line: string, expected: string, stderr: string) => {
      const j = JSON.parse(line) as {
        status: string;
        outputHash: string;
        output?: string;
        paid: Record<string, number>;
      };
      expect(j.status, `${line}\n${why(stderr)}`).toBe('ok');
      expect(j.output).toBe(expected);
      for (const [k, v] of Object.entries(j.paid)) {
        paidTotal += v;
        paidTo.set(k, (paidTo.get(k) ?? 0) + v);
      }
      return j;
    };
    const local = (lib: string[], params: string, input?: string) =>
      localRun(lib[0]!, lib[1]!, params, input, join(dir, 'local-chunks'));
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
      for (const [i, line] of byIndex) check(line, local(r.lib, r.params, r.inputs[i]), res.stderr);
    }
    for (let k = 0; k < 2; k++) {
      const res = submit(['pow', 'search', '--params', powParams]);
      const line = res.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith('{'));
      expect(line, res.stderr).toBeDefined();
      check(line!, local(['pow', 'search'], powParams), res.stderr);
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
      // The wallet journal (src/cli/wallet-file.ts): a header line, then {"o": record} per own record.
      const history = readFileSync(join(home, 'wallet.json'), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as { o?: { kind: string; jobId?: string } })
        .flatMap((r) => (r.o === undefined ? [] : [r.o]));
      const pays = history
        .filter((e) => e.kind === 'receipt' && e.jobId?.startsWith('pay:'))
        .map((e) => e.jobId);
      expect(new Set(pays).size).toBe(pays.length);
    }
  }, 900_000);
});
