/**
 * Paid mesh jobs run by real browsers (the contributor side of the market in the extension), all on
 * loopback: an `inos node` (relay + bootstrap), three Chromium profiles with the test build, and
 * `inos submit --mint` (a real CLI process, its own wallet) of mixed jobs. Every output equals what
 * `inos run` gives locally; each contributor's ledger and popup show what it was paid; the
 * requester's balance fell by the same total; nothing is paid twice. Then one profile switched to
 * corrupt its outputs (test/market-tamper, test builds only) is caught by the quorum, paid nothing,
 * and gets no more work from that requester after its penalty.
 *
 * In `npm run test:slow` (it needs `npm run build:test` first; minutes: every `inos submit` waits
 * for adverts and mints). MARKET_E2E_JOBS sets the mixed-job count (default 8, then 6 for the
 * tamperer; the 30: MARKET_E2E_JOBS=30); MARKET_E2E_VERBOSE=1 streams the requester's
 * progress lines.
 *
 * Traffic: the node and the requester listen on 127.0.0.1 only; WebRTC has `iceServers: []`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EarningsView } from '../../../src/messaging/protocol';
import { prng, seedFromEnv } from '../../unit/_prng';
import { launchExtension, waitFor, type ExtensionUnderTest } from '../../e2e/_extension';

const ROOT = join(import.meta.dirname, '../../..');
const INOS = join(ROOT, 'bin/inos.mjs');
const SEED = seedFromEnv(20261127);
/** Mixed jobs of the first test (hashes, compressions, proof-of-work). */
const JOBS = Number(process.env['MARKET_E2E_JOBS'] ?? 8);

let node: ChildProcess;
let dir = '';
let boot = '';
const browsers: ExtensionUnderTest[] = [];
const nodeIds: string[] = [];

function startNode(): Promise<string> {
  node = spawn(
    process.execPath,
    [INOS, 'node', '--listen', '127.0.0.1:0', '--store', join(dir, 'node-store')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, INOS_HOME: join(dir, 'node') },
    },
  );
  node.stderr?.on('data', (d: Buffer) => process.stderr.write(`[inos node] ${d.toString()}`));
  const lines = createInterface({ input: node.stdout! });
  return new Promise((resolve, reject) => {
    node.once('exit', (code) => reject(new Error(`inos node exited with ${code} before its addresses`)));
    lines.once('line', (line) => resolve(line.split(' ').find((a) => a.includes('/ws/'))!));
  });
}

/** A CLI run in the background; resolves with its output when it exits. */
function inos(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [INOS, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (process.env['MARKET_E2E_VERBOSE']) process.stderr.write(d);
  });
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stdout, stderr })));
}

function local(lib: string, method: string, params: string, input?: string): string {
  const r = spawnSync(
    process.execPath,
    [INOS, 'run', lib, method, '--params', params, '--format', 'hex', ...(input ? ['--in', input] : [])],
    { encoding: 'utf8', env: { ...process.env, INOS_STORE: join(dir, 'local-chunks') } },
  );
  if (r.status !== 0) throw new Error(`inos run ${lib} ${method} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function walletOf(home: string): { spent: number; nodeId: string } {
  const r = spawnSync(process.execPath, [INOS, 'wallet'], {
    env: { ...process.env, INOS_HOME: home },
    encoding: 'utf8',
  });
  return {
    spent: Number(/^spent\s+([0-9.]+)/m.exec(r.stdout)?.[1]),
    nodeId: /^node id\s+([0-9a-f]{64})/m.exec(r.stdout)?.[1] ?? '',
  };
}

const REQUESTER_ENV = () => ({ INOS_HOME: join(dir, 'requester'), INOS_DEBUG: '1' });

// The requester learns the browsers' adverts by soliciting them when it joins (adverts.ts); it no
// longer needs the browsers to toggle an opt-out to re-advertise.
async function submit(args: string[], budget = 100) {
  return inos(
    ['submit', ...args, '--bootstrap', boot, '--budget', String(budget), '--json', '--mint', '--wait', '90'],
    REQUESTER_ENV(),
  );
}

interface Line {
  index: number;
  status: string;
  output?: string;
  paid: Record<string, number>;
  penalised: string[];
}
const linesOf = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line)
    .sort((a, b) => a.index - b.index);

const earnings = (b: ExtensionUnderTest) =>
  b.ask('earnings/get', { utcOffsetMin: 0 }) as Promise<EarningsView>;

beforeAll(async () => {
  console.info(`market e2e seed ${SEED} (SEED to replay), ${JOBS} mixed jobs`);
  dir = mkdtempSync(join(tmpdir(), 'inos-market-e2e-'));
  const t0 = Date.now();
  boot = await startNode();
  expect(boot.startsWith('/ip4/127.0.0.1/')).toBe(true);
  for (let i = 0; i < 3; i++) {
    const ext = await launchExtension({ testBuild: true });
    browsers.push(ext);
    const settings = await ext.ask('settings/get');
    await ext.ask('settings/set', { mesh: { ...settings.mesh, bootstrap: [boot] } });
    await ext.ask('contribute/set', { on: true });
  }
  for (const [i, ext] of browsers.entries()) {
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 90_000, what: `browser ${i} connected with a relay reservation` },
    );
    nodeIds.push((await earnings(ext)).nodeId);
  }
  console.info(`market e2e: node + 3 browsers connected in ${Date.now() - t0} ms`);
}, 240_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  node?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('paid mesh jobs run by three browsers', () => {
  it('mixed jobs from `inos submit --mint`: outputs equal inos run, each browser paid and shown, nothing paid twice', async () => {
    const rand = prng(SEED);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    // `inos submit --in DIR` takes the files in name order: zero-padded names keep it the index order.
    const pad = (i: number) => String(i).padStart(3, '0');
    const hashDir = join(dir, 'in-hash');
    const packDir = join(dir, 'in-pack');
    mkdirSync(hashDir);
    mkdirSync(packDir);
    const nHash = Math.ceil(JOBS / 2);
    const nPack = Math.max(1, JOBS - nHash - 1);
    for (let i = 0; i < nHash; i++) writeFileSync(join(hashDir, `f${pad(i)}.bin`), bytes(300 + i * 70_000));
    // The first compresses to more than the 256 KiB inline limit: its output returns as chunks.
    for (let i = 0; i < nPack; i++)
      writeFileSync(
        join(packDir, `p${pad(i)}.bin`),
        i === 0 ? bytes(400_000) : 'INOS market '.repeat(200 + i),
      );
    const powParams = JSON.stringify({
      header: '00'.repeat(80),
      nonceStart: 0,
      count: 5_000,
      bits: 0x1f00ffff,
    });

    const requesterHome = join(dir, 'requester');
    const before = Number.isFinite(walletOf(requesterHome).spent) ? walletOf(requesterHome).spent : 0;
    const earnedBefore = await Promise.all(browsers.map(earnings));
    const paidTo = new Map<string, number>();
    let paidTotal = 0;
    let jobs = 0;
    // A cold storage.compress (brotli's wasm start-up in a fresh worker, 400 KB of noise) can take more
    // than 100 CPU ms on a busy machine: a run stopped by its budget is reissued, and with only three
    // contributors a job could run out of them.
    const runs: { args: string[]; expect: string[]; budget?: number }[] = [
      {
        args: ['crypto', 'sha256', '--in', hashDir],
        expect: [...Array(nHash).keys()].map((i) =>
          local('crypto', 'sha256', '{}', join(hashDir, `f${pad(i)}.bin`)),
        ),
      },
      {
        args: ['storage', 'compress', '--in', packDir],
        budget: 300,
        expect: [...Array(nPack).keys()].map((i) =>
          local('storage', 'compress', '{}', join(packDir, `p${pad(i)}.bin`)),
        ),
      },
      { args: ['pow', 'search', '--params', powParams], expect: [local('pow', 'search', powParams)] },
    ];
    for (const r of runs) {
      const res = await submit(r.args, r.budget);
      const lines = linesOf(res.stdout);
      expect(lines, res.stderr.slice(-3000)).toHaveLength(r.expect.length);
      for (const [i, l] of lines.entries()) {
        expect(l.status, `${JSON.stringify(l)}\n${res.stderr.slice(-4000)}`).toBe('ok');
        expect(l.output, `${r.args.slice(0, 2).join('.')} job ${i}`).toBe(r.expect[i]);
        for (const [k, v] of Object.entries(l.paid)) {
          paidTotal += v;
          paidTo.set(k, (paidTo.get(k) ?? 0) + v);
        }
        jobs++;
      }
    }
    expect(jobs).toBe(nHash + nPack + 1);
    // Only the three browsers ran them.
    for (const k of paidTo.keys()) expect(nodeIds).toContain(k);
    // The requester's balance fell by exactly what the contributors were paid.
    expect(walletOf(requesterHome).spent - before).toBeCloseTo(paidTotal, 2);
    // Each browser's ledger booked what the requester says it paid, once per payment.
    const after = await waitFor(
      () => Promise.all(browsers.map(earnings)),
      (es) =>
        es.every(
          (e, i) =>
            Math.abs(e.paidByPeers - earnedBefore[i]!.paidByPeers - (paidTo.get(nodeIds[i]!) ?? 0) * 1e6) < 1,
        ),
      { timeoutMs: 20_000, what: 'every browser booking its payments' },
    );
    for (const [i, e] of after.entries()) {
      const paidRows = (e.market ?? []).filter((j) => j.state === 'paid');
      const keys = paidRows.map((j) => `${j.requester}/${j.jobId}`);
      expect(new Set(keys).size, `browser ${i}: a job paid twice`).toBe(keys.length);
      const pays = e.recent.filter((r) => r.payer !== undefined).map((r) => r.jobId);
      expect(new Set(pays).size, `browser ${i}: a receipt booked twice`).toBe(pays.length);
    }
    // What each browser's popup shows: every paid job with its requester, capsule and credits.
    const requesterId = walletOf(requesterHome).nodeId;
    for (const [i, b] of browsers.entries()) {
      const popup = await b.openPopup();
      const rows = popup.getByTestId('paid-job');
      await waitFor(
        () => rows.count(),
        (n) => n > 0,
        { timeoutMs: 10_000, what: `browser ${i}'s popup listing its paid jobs` },
      );
      const texts = await rows.allTextContents();
      const paid = texts.filter((t) => t.includes('paid') && !t.includes('not paid'));
      expect(paid.length, texts.join('\n')).toBe(after[i]!.market!.filter((j) => j.state === 'paid').length);
      for (const t of paid) expect(t).toContain(`from ${requesterId.slice(0, 8)}`);
      const peers = await popup.getByTestId('earned-peers').textContent();
      if ((paidTo.get(nodeIds[i]!) ?? 0) > 0) expect(peers).not.toMatch(/^0 —/);
      else expect(peers).toMatch(/^0 — /); // a zero says why
      await popup.close();
    }
    console.info(
      `[market e2e] ${jobs} jobs; paid ${paidTotal.toFixed(3)} credits: ` +
        nodeIds.map((id) => `${id.slice(0, 8)} ${(paidTo.get(id) ?? 0).toFixed(3)}`).join(', '),
    );
  }, 420_000);

  it('a browser that corrupts its outputs is caught by the quorum, paid nothing and given no more work', async () => {
    const liar = browsers[2]!;
    const liarId = nodeIds[2]!;
    expect(await liar.askOffscreen('test/market-tamper', { on: true })).toEqual({ on: true });
    const liarBefore = await earnings(liar);
    const rand = prng(SEED + 1);
    const inDir = join(dir, 'in-liar');
    mkdirSync(inDir);
    const n = 6;
    for (let i = 0; i < n; i++)
      writeFileSync(
        join(inDir, `x${i}.bin`),
        Uint8Array.from({ length: 1000 + i }, () => Math.floor(rand() * 256)),
      );
    const res = await submit(['crypto', 'blake3', '--in', inDir]);
    await liar.askOffscreen('test/market-tamper', { on: false });
    const lines = linesOf(res.stdout);
    expect(lines, res.stderr.slice(-3000)).toHaveLength(n);
    for (const [i, l] of lines.entries()) {
      expect(l.output).toBe(local('crypto', 'blake3', '{}', join(inDir, `x${i}.bin`)));
      expect(Object.keys(l.paid)).not.toContain(liarId);
    }
    const events = res.stderr.split('\n').filter((l) => l.startsWith('[submit] job '));
    const short = liarId.slice(0, 16);
    const penalty = events.findIndex((l) => / penalised /.test(l) && l.includes(short));
    expect(penalty, 'the liar is penalised').toBeGreaterThanOrEqual(0);
    const claimedAfter = events.slice(penalty + 1).filter((l) => / claimed /.test(l) && l.includes(short));
    expect(claimedAfter, 'work claimed by the liar after its penalty').toEqual([]);
    const liarAfter = await earnings(liar);
    expect(liarAfter.paidByPeers).toBe(liarBefore.paidByPeers);
    const unpaid = (liarAfter.market ?? []).filter((j) => j.capsule === 'crypto' && j.method === 'blake3');
    expect(unpaid.length).toBeGreaterThan(0);
    expect(unpaid.every((j) => j.credits === 0 && j.reason !== '')).toBe(true);
  }, 300_000);
});
