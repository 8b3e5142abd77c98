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
 * Then browser A spends what it earned on the Submit page (files, capsule/method, budget) and B and
 * C run its jobs: the downloads equal `inos run`, A's spending equals what B and C were paid. Last, a
 * browser's Chromium is SIGKILLed while it runs a paid job: the requester reissues it, every output
 * still equals `inos run`, the dead one is paid nothing, the books balance.
 *
 * The reference outputs come first, from real `inos run` processes (its own test: 30+ engine
 * start-ups take minutes on a loaded box and must not eat the market's bound).
 *
 * Traffic: the node and the requester listen on 127.0.0.1 only; WebRTC has `iceServers: []`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EarningsView } from '../../../src/messaging/protocol';
import { prng, seedFromEnv } from '../../unit/_prng';
import { launchMeshBrowsers, waitFor, type ExtensionUnderTest } from '../../e2e/_extension';
import {
  localRuns,
  startInos,
  startRelay,
  stopAll,
  submitLines as linesOf,
  walletOf,
  type Inos,
  type RunSpec,
} from './_procs';

const SEED = seedFromEnv(20261127);
/** Mixed jobs of the first test (hashes, compressions, proof-of-work). */
const JOBS = Number(process.env['MARKET_E2E_JOBS'] ?? 8);
const VERBOSE = process.env['MARKET_E2E_VERBOSE'] !== undefined;

let dir = '';
let boot = '';
const browsers: ExtensionUnderTest[] = [];
const nodeIds: string[] = [];
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const REQUESTER_HOME = () => join(dir, 'requester');

// The requester learns the browsers' adverts by soliciting them when it joins (adverts.ts); it no
// longer needs the browsers to toggle an opt-out to re-advertise.
/** `inos submit --mint` of one run as a background process. */
function startSubmit(args: string[], budget = 100, home = REQUESTER_HOME()): Inos {
  return startInos(
    ['submit', ...args, '--bootstrap', boot, '--budget', String(budget), '--json', '--mint', '--wait', '90'],
    { INOS_HOME: home, INOS_DEBUG: '1' },
    VERBOSE ? 'submit' : undefined,
  );
}

/**
 * Its exit code, once it printed all `jobs` results (a directory input is one job per file: `jobs`
 * counts the input files). Two requirements, not timings, each failing with the requester's own
 * account of what it waited for:
 * - its results come within `--wait` (90 s for adverts) plus `perJobMs` per job (the step's own bound
 *   divided among its jobs), so a stuck submit fails here with its stderr, not as a bare vitest timeout;
 * - after its last result only saving the wallet and leaving the mesh remain, so it exits within its
 *   --deadline (60 s) of that line. A finished `inos submit` once stayed alive 1,300 s:
 *   node-datachannel's RTC/SCTP threads, left running after the WebRTC connections to the browsers
 *   (src/cli/mesh-peer.ts).
 */
async function exitAfterLast(
  p: Inos,
  jobs: number,
  { perJobMs = 20_000, deadlineMs = 60_000 } = {},
): Promise<number | null> {
  const tick = () => new Promise<false>((r) => setTimeout(() => r(false), 200));
  const resultsBy = Date.now() + 90_000 + jobs * perJobMs;
  while (linesOf(p.stdout()).length < jobs) {
    if (await Promise.race([p.exited.then(() => true), tick()])) return p.exited;
    if (Date.now() > resultsBy)
      throw new Error(
        `inos submit printed ${linesOf(p.stdout()).length}/${jobs} results in 90 s + ${jobs} × ${perJobMs / 1000} s:\n` +
          p.stderr().slice(-6000),
      );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = new Promise<'alive'>((r) => (timer = setTimeout(() => r('alive'), deadlineMs)));
  const code = await Promise.race([p.exited, alive]);
  clearTimeout(timer);
  if (code === 'alive')
    throw new Error(
      `inos submit still alive ${deadlineMs / 1000} s (its --deadline) after its last result:\n${p.stderr().slice(-2000)}`,
    );
  return code;
}

async function submit(args: string[], jobs: number, budget = 100, home = REQUESTER_HOME()) {
  const p = startSubmit(args, budget, home);
  const code = await exitAfterLast(p, jobs);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Every step starts from a known state: no browser corrupts its outputs. */
async function honestAll(): Promise<void> {
  for (const b of browsers)
    expect(await b.askOffscreen('test/market-tamper', { on: false })).toEqual({ on: false });
}

const earnings = (b: ExtensionUnderTest) =>
  b.ask('earnings/get', { utcOffsetMin: 0 }) as Promise<EarningsView>;

// Inputs, written once in beforeAll from the seed; their `inos run` outputs in the first test.
const pad = (i: number) => String(i).padStart(3, '0');
const nHash = Math.ceil(JOBS / 2);
const nPack = Math.max(1, JOBS - nHash - 1);
const N_LIAR = 6;
const N_PAGE = 3;
const N_KILL = 3;
/** Big enough that a contributor is still fetching it from the requester when it is killed. */
const KILL_MB = 8;
const POW_PARAMS = JSON.stringify({ header: '00'.repeat(80), nonceStart: 0, count: 5_000, bits: 0x1f00ffff });
const dirs = { hash: '', pack: '', liar: '', page: '', kill: '' };
const expected = {
  hash: [] as string[],
  pack: [] as string[],
  pow: '',
  liar: [] as string[],
  page: [] as string[],
  kill: [] as string[],
};

function writeInputs(): void {
  const rand = prng(SEED);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) {
    dirs[k] = join(dir, `in-${k}`);
    mkdirSync(dirs[k]);
  }
  // `inos submit --in DIR` takes the files in name order: zero-padded names keep it the index order.
  for (let i = 0; i < nHash; i++) writeFileSync(join(dirs.hash, `f${pad(i)}.bin`), bytes(300 + i * 70_000));
  // The first compresses to more than the 256 KiB inline limit: its output returns as chunks.
  for (let i = 0; i < nPack; i++)
    writeFileSync(
      join(dirs.pack, `p${pad(i)}.bin`),
      i === 0 ? bytes(400_000) : 'INOS market '.repeat(200 + i),
    );
  for (let i = 0; i < N_LIAR; i++) writeFileSync(join(dirs.liar, `x${pad(i)}.bin`), bytes(1000 + i));
  for (let i = 0; i < N_PAGE; i++) writeFileSync(join(dirs.page, `s${pad(i)}.bin`), bytes(2000 + 500 * i));
  for (let i = 0; i < N_KILL; i++)
    writeFileSync(join(dirs.kill, `k${pad(i)}.bin`), bytes(KILL_MB * 1024 * 1024));
}
const inputsOf = (d: string) =>
  readdirSync(d)
    .sort()
    .map((f) => join(d, f));

/** The main process of the Chromium that runs this profile (its children exit with it). */
function chromiumPid(userDataDir: string): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes(`--user-data-dir=${userDataDir}`) && !args.some((a) => a.startsWith('--type=')))
      return Number(d);
  }
  throw new Error(`no Chromium process runs the profile ${userDataDir}`);
}

beforeAll(async () => {
  console.info(`market e2e seed ${SEED} (SEED to replay), ${JOBS} mixed jobs; load ${load()}`);
  dir = mkdtempSync(join(tmpdir(), 'inos-market-e2e-'));
  writeInputs();
  const t0 = Date.now();
  const relay = await startRelay(dir, { echo: 'inos node' });
  boot = relay.boot;
  expect(boot.startsWith('/ip4/127.0.0.1/')).toBe(true);
  await launchMeshBrowsers(3, boot, browsers);
  for (const [i, ext] of browsers.entries()) {
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 180_000, what: `browser ${i} connected with a relay reservation` },
    );
    nodeIds.push((await earnings(ext)).nodeId);
  }
  console.info(`market e2e: node + 3 browsers connected in ${Date.now() - t0} ms; load ${load()}`);
}, 420_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('paid mesh jobs run by three browsers', () => {
  it('reference outputs: `inos run` of every input', async () => {
    const t0 = Date.now();
    const specs: RunSpec[] = [
      ...inputsOf(dirs.hash).map((input) => ({ lib: 'crypto', method: 'sha256', params: '{}', input })),
      ...inputsOf(dirs.pack).map((input) => ({ lib: 'storage', method: 'compress', params: '{}', input })),
      { lib: 'pow', method: 'search', params: POW_PARAMS },
      ...[dirs.liar]
        .flatMap(inputsOf)
        .map((input) => ({ lib: 'crypto', method: 'blake3', params: '{}', input })),
      ...[dirs.page, dirs.kill]
        .flatMap(inputsOf)
        .map((input) => ({ lib: 'crypto', method: 'sha256', params: '{}', input })),
    ];
    // One `inos run` is an engine start-up and a few MB of work: 5 minutes means it hung (killed and
    // reported with its output), well inside this step's bound for 40-odd runs, 3 at a time.
    const outs = await localRuns(specs, join(dir, 'local-chunks'), 3, {
      timeoutMs: 300_000,
      onDone: (i, ms) => {
        if (VERBOSE) console.info(`[market e2e] inos run ${i + 1}/${specs.length} in ${ms} ms`);
      },
    });
    let k = 0;
    const take = (n: number) => outs.slice(k, (k += n));
    expected.hash = take(nHash);
    expected.pack = take(nPack);
    expected.pow = take(1)[0]!;
    expected.liar = take(N_LIAR);
    expected.page = take(N_PAGE);
    expected.kill = take(N_KILL);
    expect(outs.every((o) => /^[0-9a-f]+$/.test(o))).toBe(true);
    console.info(`[market e2e] ${specs.length} inos run references in ${Date.now() - t0} ms; load ${load()}`);
  }, 900_000);

  // The bound: 3 submits, each may wait up to 90 s for adverts (--wait 90) and mints first; then each
  // job is 2 runs (redundancy 2) of at most a few seconds of work plus its transfers and payment, 2
  // jobs in flight over 3 browsers: 20 s a job on a loaded 2-core box is a generous bound.
  it(
    'mixed jobs from `inos submit --mint`: outputs equal inos run, each browser paid and shown, nothing paid twice',
    async () => {
      const t0 = Date.now();
      const requesterHome = REQUESTER_HOME();
      const before = Number.isFinite(walletOf(requesterHome).spent) ? walletOf(requesterHome).spent : 0;
      const earnedBefore = await Promise.all(browsers.map(earnings));
      const paidTo = new Map<string, number>();
      let paidTotal = 0;
      let jobs = 0;
      // A run is charged its worker's wall time (docs/CREDITS.md), many times its CPU time on a loaded
      // box: a cold storage.compress (brotli's wasm start-up, 400 KB of noise) can pass 100, and at
      // load 35 a 1 MB sha256 was charged 91 with 4 of 15 jobs running out of budget on every
      // browser. A run stopped by its budget is reissued; with three contributors a job can run out
      // of them. 300 keeps the escrow (2 jobs × 300 × 2) a few seconds of minting.
      const runs: { args: string[]; expect: string[]; budget?: number }[] = [
        { args: ['crypto', 'sha256', '--in', dirs.hash], budget: 300, expect: expected.hash },
        { args: ['storage', 'compress', '--in', dirs.pack], budget: 300, expect: expected.pack },
        { args: ['pow', 'search', '--params', POW_PARAMS], expect: [expected.pow] },
      ];
      for (const r of runs) {
        const t1 = Date.now();
        const res = await submit(r.args, r.expect.length, r.budget);
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
        console.info(
          `[market e2e] ${r.args.slice(0, 2).join('.')}: ${lines.length}/${r.expect.length} verified in ${Date.now() - t1} ms; load ${load()}`,
        );
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
              Math.abs(e.paidByPeers - earnedBefore[i]!.paidByPeers - (paidTo.get(nodeIds[i]!) ?? 0) * 1e6) <
              1,
          ),
        { timeoutMs: 30_000, what: 'every browser booking its payments' },
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
          { timeoutMs: 20_000, what: `browser ${i}'s popup listing its paid jobs` },
        );
        const texts = await rows.allTextContents();
        const paid = texts.filter((t) => t.includes('paid') && !t.includes('not paid'));
        expect(paid.length, texts.join('\n')).toBe(
          after[i]!.market!.filter((j) => j.state === 'paid').length,
        );
        for (const t of paid) expect(t).toContain(`from ${requesterId.slice(0, 8)}`);
        const peers = await popup.getByTestId('earned-peers').textContent();
        if ((paidTo.get(nodeIds[i]!) ?? 0) > 0) expect(peers).not.toMatch(/^0 —/);
        else expect(peers).toMatch(/^0 — /); // a zero says why
        await popup.close();
      }
      console.info(
        `[market e2e] ${jobs}/${JOBS} jobs verified in ${Date.now() - t0} ms (load ${load()}); paid ${paidTotal.toFixed(3)} credits: ` +
          nodeIds.map((id) => `${id.slice(0, 8)} ${(paidTo.get(id) ?? 0).toFixed(3)}`).join(', '),
      );
    },
    3 * 90_000 + JOBS * 20_000,
  );

  it('a browser that corrupts its outputs is caught by the quorum, paid nothing and given no more work', async () => {
    const liar = browsers[2]!;
    const liarId = nodeIds[2]!;
    await honestAll();
    const liarBefore = await earnings(liar);
    expect(await liar.askOffscreen('test/market-tamper', { on: true })).toEqual({ on: true });
    let res: Awaited<ReturnType<typeof submit>>;
    try {
      // Its own requester: should an earlier test time out with its `inos submit` still running, two
      // processes signing on one wallet would fork it, and every browser would refuse its payments.
      res = await submit(['crypto', 'blake3', '--in', dirs.liar], N_LIAR, 100, join(dir, 'requester-liar'));
    } finally {
      // Off whatever happened: the later steps need three honest browsers.
      await honestAll();
    }
    const lines = linesOf(res.stdout);
    expect(lines, res.stderr.slice(-3000)).toHaveLength(N_LIAR);
    for (const [i, l] of lines.entries()) {
      expect(l.output).toBe(expected.liar[i]);
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
    console.info(`[market e2e] tamper: ${lines.length}/${N_LIAR} verified, liar paid 0; load ${load()}`);
  }, 300_000);

  it('browser A spends what it earned on the Submit page: B and C run the jobs, downloads equal inos run, A spent what B and C were paid', async () => {
    const [a, b, c] = browsers as [ExtensionUnderTest, ExtensionUnderTest, ExtensionUnderTest];
    await honestAll();
    const aBefore = await a.ask('market/balance');
    const bcBefore = await Promise.all([b, c].map(earnings));
    const budget = 20;
    // 2 jobs in escrow at once × budget × redundancy 2: A earned that in the tests above.
    expect(aBefore.available, 'what A earned (micro-credits)').toBeGreaterThanOrEqual(2 * budget * 2 * 1e6);
    const page = await a.context.newPage();
    await page.goto(`chrome-extension://${a.extensionId}/submit.html`);
    await expect
      .poll(() => page.getByTestId('submit-host').textContent(), { timeout: 30_000 })
      .toMatch(/Mesh: [1-9]\d* peer\(s\) connected/);
    await page.getByTestId('submit-capsule').selectOption('crypto');
    await page.getByTestId('submit-method').selectOption('sha256');
    await page.getByTestId('submit-files').setInputFiles(inputsOf(dirs.page));
    await page.getByTestId('submit-budget').fill(String(budget));
    await page.getByTestId('submit-redundancy').fill('2');
    await page.getByTestId('submit-go').click();
    await waitFor(
      () =>
        page
          .getByTestId('submit-counts')
          .textContent({ timeout: 1_000 })
          .catch(() => ''),
      (t) => (t ?? '').includes('finished'),
      { timeoutMs: 240_000, what: 'the Submit page finishing its jobs' },
    );
    const done = await Promise.all(
      [...Array(N_PAGE).keys()].map((i) => page.getByTestId(`job-${i}`).getAttribute('data-status')),
    );
    if (done.some((d) => d !== 'ok'))
      // What B and C saw of A's jobs (declined, failed, returned: with their reasons), for the log.
      console.warn(
        `[market e2e] Submit page: B and C's market jobs:\n${JSON.stringify(await Promise.all([b, c].map((x) => x.ask('market/jobs'))), null, 1).slice(0, 8000)}`,
      );
    expect(done, (await page.getByTestId('submit-progress').textContent()) ?? '').toEqual(
      Array(N_PAGE).fill('ok'),
    );
    // The downloads: the bytes the page offers, read back from its blob URLs.
    for (let i = 0; i < N_PAGE; i++) {
      const href = await page.getByTestId(`download-${i}`).getAttribute('href');
      const hex = await page.evaluate(async (url) => {
        const b = new Uint8Array(await (await fetch(url)).arrayBuffer());
        return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      }, href!);
      expect(hex, `Submit-page job ${i}`).toBe(expected.page[i]);
    }
    // A's spending equals what B and C booked (A's own proof-of-work mints meanwhile: compare spent).
    const bcAfter = await waitFor(
      () => Promise.all([b, c].map(earnings)),
      (es) => es.reduce((n, e, k) => n + e.paidByPeers - bcBefore[k]!.paidByPeers, 0) > 0,
      { timeoutMs: 30_000, what: 'B and C booking their payments' },
    );
    await new Promise((r) => setTimeout(r, 3_000)); // a last payment in flight
    const bcFinal = await Promise.all([b, c].map(earnings));
    const aAfter = await a.ask('market/balance');
    const earnedBC = bcFinal.reduce((n, e, k) => n + e.paidByPeers - bcBefore[k]!.paidByPeers, 0);
    expect(bcAfter.length).toBe(2);
    expect(aAfter.spent - aBefore.spent).toBe(earnedBC);
    expect(aAfter.held).toBe(0);
    await page.close();
    console.info(
      `[market e2e] Submit page: ${N_PAGE}/${N_PAGE} verified; A spent ${(earnedBC / 1e6).toFixed(3)} credits = B ${((bcFinal[0]!.paidByPeers - bcBefore[0]!.paidByPeers) / 1e6).toFixed(3)} + C ${((bcFinal[1]!.paidByPeers - bcBefore[1]!.paidByPeers) / 1e6).toFixed(3)}; load ${load()}`,
    );
  }, 360_000);

  it('a browser killed mid-job (SIGKILL): the job is reissued and completed, the dead one is not paid, books balance', async () => {
    // A fresh requester: the first one penalised browser 2 (the liar, honest again now).
    const home = join(dir, 'requester-kill');
    await honestAll();
    let killed = -1;
    let killedJob = -1;
    let res: { stdout: string; stderr: string };
    {
      const p = startSubmit(['crypto', 'sha256', '--in', dirs.kill, '--deadline', '60s'], 600, home);
      // The first run handed to a browser: its Chromium dies while it fetches the input / runs the job.
      const victim = await Promise.race([
        (async () => {
          for (;;) {
            const m = /^\[submit\] job (\d+) running ([0-9a-f]{16})/m.exec(p.stderr());
            const i = m ? nodeIds.findIndex((id) => id.startsWith(m[2]!)) : -1;
            if (m && i >= 0) {
              killedJob = Number(m[1]);
              return i;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        p.exited.then(() => -1),
      ]);
      expect(victim, p.stderr().slice(-3000)).toBeGreaterThanOrEqual(0);
      killed = victim;
      process.kill(chromiumPid(browsers[victim]!.userDataDir), 'SIGKILL');
      console.info(
        `[market e2e] SIGKILLed browser ${victim} (${nodeIds[victim]!.slice(0, 8)}) mid-job; load ${load()}`,
      );
      // Each 8 MB job may wait out its --deadline (60 s) on the dead browser before it is reissued.
      await exitAfterLast(p, N_KILL, { perJobMs: 100_000 });
      res = { stdout: p.stdout(), stderr: p.stderr() };
    }
    const deadId = nodeIds[killed]!;
    const lines = linesOf(res.stdout);
    expect(lines, res.stderr.slice(-4000)).toHaveLength(N_KILL);
    let paidTotal = 0;
    for (const [i, l] of lines.entries()) {
      expect(l.status, `${JSON.stringify(l)}\n${res.stderr.slice(-4000)}`).toBe('ok');
      expect(l.output, `job ${i}`).toBe(expected.kill[i]);
      expect(Object.keys(l.paid), `job ${i}: the killed browser was paid`).not.toContain(deadId);
      for (const v of Object.values(l.paid)) paidTotal += v;
    }
    // The run handed to the dead browser was given up (disconnect or deadline) and went elsewhere.
    const events = res.stderr.split('\n').filter((l) => l.startsWith(`[submit] job ${killedJob} `));
    const ran = events.findIndex((l) => / running /.test(l) && l.includes(deadId.slice(0, 16)));
    expect(
      events.slice(ran + 1).some((l) => / reissued /.test(l)),
      `job ${killedJob}'s run on the dead browser reissued:\n${events.join('\n')}`,
    ).toBe(true);
    expect(walletOf(home).spent).toBeCloseTo(paidTotal, 2);
    console.info(
      `[market e2e] kill: ${lines.length}/${N_KILL} verified by the survivors; paid ${paidTotal.toFixed(3)}; load ${load()}`,
    );
  }, 600_000);
});
