/**
 * `npm run bench:market`: the market end to end with REAL BROWSERS as contributors, on
 * loopback, written to bench/results/market.json (what issue "Paid work from peers" asks for;
 * `npm run bench:market-node` measures the same with `inos contribute` processes).
 *
 *  - an `inos node` (relay + bootstrap, tests/slow/market/_procs.ts), three Chromium profiles with
 *    the test build contributing (launchMeshBrowsers, tests/e2e/_extension.ts), and a requester in
 *    this process through the library API (`Requester`, what `inos submit` runs), its wallet minted
 *    with bound proof-of-work first (not timed; a top-up mid-run is timed apart and left out);
 *  - tiny jobs: TINY × crypto.sha256 of 64 B, redundancy 2: jobs/s and time to the first result;
 *  - chunked input: BIG × crypto.sha256 of BIG_MB MiB (default 25 × 4 MiB ≈ 105 MB; 1 MiB chunks the
 *    browsers fetch from the requester through the relay / WebRTC; redundancy 2, so every byte
 *    crosses twice): MB/s of input;
 *  - the reference: the same jobs on this machine's engine as `inos run` runs them (node-engine.ts,
 *    as many worker threads as the browsers advertise together, as many jobs at once as the market
 *    keeps in flight), in the same run; every market output must equal it; overhead = market / local.
 *  - where the time goes: per run the requester's events (offered → claimed → running → result) and
 *    per job (last result → verified → paid), medians; the browsers' chunk fetches (their
 *    ChunkExchange phases, test/mesh-progress), the requester's serving, and the runs' own worker
 *    time (costUsed: a credit is a worker millisecond).
 *
 * Needs the test build (the npm script builds it). Env: MARKET_BROWSERS_TINY (default 20),
 * MARKET_BROWSERS_BIG (25), MARKET_BROWSERS_BIG_MB (4), MARKET_BROWSERS_VERBOSE=1 (every event).
 * The machine is shared: the load average is written with the numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_ESCROWED, Requester, type SubmitJob } from '../../src/cli/requester.ts';
import { peerOfNodeId } from '../../src/cli/mesh-peer.ts';
import { startNodeEngine } from '../../src/cli/node-engine.ts';
import { runLocally, sha256Jobs } from './_local.ts';
import { WalletFile } from '../../src/cli/wallet-file.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../src/ledger/index.ts';
import { priceOf } from '../../src/capsules/price.ts';
import type { ExchangePhases } from '../../src/mesh/protocol/chunk-exchange.ts';
import type { MarketEvent } from '../../src/trade/index.ts';
import { launchMeshBrowsers, waitFor, type ExtensionUnderTest } from '../../tests/e2e/_extension.ts';
import { startRelay, stopAll, waitUntil } from '../../tests/slow/market/_procs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', 'results', 'market.json');
const TINY = Number(process.env['MARKET_BROWSERS_TINY'] ?? 16);
const BIG = Number(process.env['MARKET_BROWSERS_BIG'] ?? 25);
const BIG_MB = Number(process.env['MARKET_BROWSERS_BIG_MB'] ?? 4);
const VERBOSE = process.env['MARKET_BROWSERS_VERBOSE'] !== undefined;
/** `off`: the browsers opt out of proof-of-work, so market jobs never queue behind a local slice. */
const LOCAL_POW = process.env['MARKET_BROWSERS_POW'] === 'off' ? 'off' : 'on';
const BROWSERS = 3;
const REDUNDANCY = 2;
// sha256 is priced by its work (src/capsules/price.ts): the requester pays min(claim, price, budget),
// so a budget of twice the price leaves room and the escrow (what must be minted first) stays small.
// Wall time no longer sets the charge; it only guards a runaway run at the capsule's cost cap.
const sha256Price = (bytes: number) =>
  priceOf('crypto', 'sha256')!({ inputBytes: bytes, params: {}, output: new Uint8Array(32) });
const TINY_BUDGET = 2 * sha256Price(64);
const BIG_BUDGET = 2 * sha256Price(BIG_MB * 2 ** 20);
/** What the verified runs of one 4 MiB job are paid at most: the price, to each of the quorum. */
const BIG_PAID_ESTIMATE = REDUNDANCY * sha256Price(BIG_MB * 2 ** 20);
const DEADLINE_MS = 120_000;
const SEED = 20261128;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return round(s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, 1);
};
const load = () => loadavg().map((x) => round(x, 2));
const say = (msg: string) => console.info(`[bench:market-browsers] ${msg} (load ${load().join(' ')})`);

const { tinyJobs, bigJobs } = sha256Jobs(SEED, TINY, BIG, BIG_MB);

/** Timestamps of one submission's events: per run (job index + contributor peer) and per job. */
class Timeline {
  readonly runs = new Map<string, Partial<Record<MarketEvent['kind'], number>>>();
  readonly jobs = new Map<
    number,
    { offered?: number; lastResult?: number; verified?: number; paid?: number }
  >();
  readonly reissued: string[] = [];
  paidMicro = 0;
  #peerOf = new Map<string, string>();

  /** `offered` names the contributor's PeerId, the later events its node id: one key for both. */
  #peer(contributor: string): string {
    if (!/^[0-9a-f]{64}$/.test(contributor)) return contributor;
    let p = this.#peerOf.get(contributor);
    if (p === undefined) this.#peerOf.set(contributor, (p = peerOfNodeId(contributor)));
    return p;
  }

  on(e: MarketEvent & { index: number }): void {
    const t = performance.now();
    if (VERBOSE)
      console.info(`job ${e.index} ${e.kind} ${e.contributor?.slice(0, 12) ?? ''} ${e.detail ?? ''}`);
    const job = this.jobs.get(e.index) ?? {};
    this.jobs.set(e.index, job);
    if (e.kind === 'reissued' || e.kind === 'declined' || e.kind === 'penalised') {
      this.reissued.push(`job ${e.index} ${e.kind}: ${e.detail ?? ''}`);
      console.warn(`[bench:market-browsers] job ${e.index} ${e.kind}: ${e.detail ?? ''}`);
    }
    if (e.kind === 'verified') job.verified = t;
    if (e.kind === 'paid') {
      job.paid = t;
      this.paidMicro += e.credits ?? 0;
    }
    if (e.contributor === undefined) return;
    const key = `${e.index}/${this.#peer(e.contributor)}`;
    const run = this.runs.get(key) ?? {};
    this.runs.set(key, run);
    run[e.kind] ??= t;
    if (e.kind === 'offered') job.offered ??= t;
    if (e.kind === 'result') job.lastResult = t;
  }

  /** Medians (ms) of each phase, over runs that reached it and jobs that were paid. */
  phases() {
    const span = (a: MarketEvent['kind'], b: MarketEvent['kind']) =>
      [...this.runs.values()].flatMap((r) => (r[a] !== undefined && r[b] !== undefined ? [r[b] - r[a]] : []));
    const jobs = [...this.jobs.values()];
    const jspan = (f: (j: (typeof jobs)[number]) => number | undefined) =>
      jobs.flatMap((j) => {
        const v = f(j);
        return v === undefined || Number.isNaN(v) ? [] : [v];
      });
    return {
      runs: this.runs.size,
      offer_to_claim_ms: median(span('offered', 'claimed')),
      claim_to_running_ms: median(span('claimed', 'running')),
      running_to_result_ms: median(span('running', 'result')),
      result_to_verified_ms: median(jspan((j) => (j.verified ?? NaN) - (j.lastResult ?? NaN))),
      verified_to_paid_ms: median(jspan((j) => (j.paid ?? NaN) - (j.verified ?? NaN))),
      whole_job_ms: median(jspan((j) => (j.paid ?? NaN) - (j.offered ?? NaN))),
    };
  }
}

type Progress = { exchange?: Record<string, number>; served?: Record<string, number> };
const diff = (a: Record<string, number> | undefined, b: Record<string, number> | undefined) =>
  Object.fromEntries(Object.entries(b ?? {}).map(([k, v]) => [k, Math.round(v - (a?.[k] ?? 0))]));
/** The sum over browsers of their chunk exchange's phases between two readings. */
function browserFetch(before: Progress[], after: Progress[]) {
  const sum: Record<string, number> = {};
  after.forEach((a, i) => {
    for (const [k, v] of Object.entries(diff(before[i]?.exchange, a.exchange))) sum[k] = (sum[k] ?? 0) + v;
  });
  return sum;
}

const work = mkdtempSync(join(tmpdir(), 'inos-bench-market-browsers-'));
const browsers: ExtensionUnderTest[] = [];
try {
  say(
    `seed ${SEED}: ${TINY} tiny jobs, ${BIG} × ${BIG_MB} MiB; the browsers' local proof-of-work ${LOCAL_POW}`,
  );
  // The requester's credits first (bound proof-of-work, not timed): the escrow of the jobs in flight
  // plus an estimate of what the runs are paid; a top-up later is timed apart.
  const file = await WalletFile.open(join(work, 'requester', 'wallet.json'));
  const need =
    MAX_ESCROWED * REDUNDANCY * BIG_BUDGET + BIG_PAID_ESTIMATE * BIG + REDUNDANCY * TINY_BUDGET * TINY;
  // Minted while the node and the browsers start (one CPU-bound thread; start-up is mostly waiting).
  const mintStart = performance.now();
  let mintMs = 0;
  const minting = file.wallet.mint(need).then(async () => {
    mintMs = performance.now() - mintStart;
    await file.save();
    say(`minted ${need} credits in ${Math.round(mintMs)} ms`);
  });

  const t0 = performance.now();
  const { boot } = await startRelay(work, { forSeconds: 3600 });
  await launchMeshBrowsers(BROWSERS, boot, browsers);
  if (LOCAL_POW === 'off')
    for (const b of browsers) {
      const s = await b.ask('settings/get');
      await b.ask('settings/set', { optOut: [...new Set([...s.optOut, 'pow'])] });
    }
  for (const [i, ext] of browsers.entries())
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 240_000, what: `browser ${i} connected with a relay reservation` },
    );
  const startMs = performance.now() - t0;
  await minting;
  const requester = await Requester.open({ bootstrap: [boot], wallet: file });
  await waitUntil(
    `${BROWSERS} browsers advertising crypto`,
    () => (requester.market.offering('crypto').length >= BROWSERS ? true : undefined),
    240_000,
  );
  const workers = requester.market.offering('crypto').reduce((n, a) => n + a.workers, 0);
  say(`inos node + ${BROWSERS} browsers up in ${Math.round(startMs)} ms; ${workers} worker(s) advertised`);

  let topUpMs = 0;
  let topUpCredits = 0;
  const before = await file.wallet.balance();
  const market = async (jobs: SubmitJob[], budget: number) => {
    const tl = new Timeline();
    const topUp0 = topUpMs;
    const t0 = performance.now();
    let firstMs = 0;
    const res = await requester.submit(jobs, {
      onResult: () => (firstMs ||= performance.now() - t0),
      onEvent: (e) => tl.on(e),
      budget,
      redundancy: REDUNDANCY,
      deadlineMs: DEADLINE_MS,
      topUp: async (missing) => {
        const credits = Math.ceil(missing / MICRO_CREDITS_PER_CREDIT) + 1500;
        const t = performance.now();
        await file.wallet.mint(credits);
        await file.save();
        topUpMs += performance.now() - t;
        topUpCredits += credits;
        say(`topped up ${credits} credits`);
      },
    });
    // Minting mid-run stops the lanes (a top-up happens only with nothing in flight): left out.
    const ms = performance.now() - t0 - (topUpMs - topUp0);
    // A job nobody could finish is counted and said, not fatal: the run reports what finished.
    const failed: string[] = [];
    const outs = res.map((r, i) => {
      if (r instanceof Error) failed.push(`job ${i}: ${r.message}`);
      else if (r.status !== 'ok') failed.push(`job ${i}: ${r.status} ${r.error}`);
      else return bytesToHex(r.output);
      return null;
    });
    for (const f of failed) console.warn(`[bench:market-browsers] FAILED ${f}`);
    // costUsed of the paid runs (one credit per worker ms, capped by the budget).
    const runMs = res.flatMap((r) =>
      r instanceof Error ? [] : Object.values(r.paid).map((m) => m / MICRO_CREDITS_PER_CREDIT),
    );
    return { ms, outs, firstMs, tl, runMs, reissued: tl.reissued.length, failed };
  };

  const tiny = await market(tinyJobs, TINY_BUDGET);
  say(`tiny: ${TINY} jobs in ${Math.round(tiny.ms)} ms`);
  const progress = () =>
    Promise.all(browsers.map((b) => b.askOffscreen('test/mesh-progress', undefined) as Promise<Progress>));
  const fetchBefore = await progress();
  const servedBefore: ExchangePhases = { ...requester.peer.node.chunks.phases };
  const big = await market(bigJobs, BIG_BUDGET);
  const fetchAfter = await progress();
  const servedAfter: ExchangePhases = { ...requester.peer.node.chunks.phases };
  say(`chunked: ${BIG} × ${BIG_MB} MiB in ${Math.round(big.ms)} ms`);
  const after = await file.wallet.balance();
  // The same tiny jobs once more with the browsers' local proof-of-work off: the latency a paid job
  // has when no slice holds the worker (what preempting slices should come near).
  let tinyOff: Awaited<ReturnType<typeof market>> | null = null;
  if (LOCAL_POW === 'on') {
    for (const b of browsers) {
      const s = await b.ask('settings/get');
      await b.ask('settings/set', { optOut: [...new Set([...s.optOut, 'pow'])] });
    }
    tinyOff = await market(tinyJobs, TINY_BUDGET);
    say(`tiny, local proof-of-work off: ${TINY} jobs in ${Math.round(tinyOff.ms)} ms`);
  }
  await requester.close();

  // The reference: the same jobs on this machine's engine, as `inos run` runs them.
  const engine = startNodeEngine({ workers: Math.max(1, workers), storeDir: null, preload: ['crypto'] });
  await engine.ready(120_000);
  const local = (jobs: SubmitJob[]) => runLocally(engine, jobs, MAX_ESCROWED);
  const tinyLocal = await local(tinyJobs);
  const bigLocal = await local(bigJobs);
  await engine.dispose();
  for (const [m, l, what] of [
    [tiny.outs, tinyLocal.outs, 'tiny'],
    [tinyOff?.outs ?? [], tinyLocal.outs, 'tiny (pow off)'],
    [big.outs, bigLocal.outs, 'chunked'],
  ] as const)
    m.forEach((o, i) => {
      if (o !== null && o !== l[i])
        throw new Error(`${what} job ${i}: the market's output differs from the local run`);
    });

  const bigDone = big.outs.filter((o) => o !== null).length;
  const tinyDone = tiny.outs.filter((o) => o !== null).length;
  const mb = (bigDone * BIG_MB * 1024 * 1024) / 1e6;
  const fetched = browserFetch(fetchBefore, fetchAfter);
  const served = diff(
    servedBefore as unknown as Record<string, number>,
    servedAfter as unknown as Record<string, number>,
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const section = (r: Awaited<ReturnType<typeof market>>, l: { ms: number }, n: number) => ({
    market_ms: round(r.ms, 1),
    local_ms: round(l.ms, 1),
    // Per job: a job that failed on the market still ran locally.
    overhead_ratio: round(r.ms / Math.max(1, r.outs.filter((o) => o !== null).length) / (l.ms / n), 1),
    time_to_first_result_ms: round(r.firstMs, 1),
    credits_paid: round(r.tl.paidMicro / MICRO_CREDITS_PER_CREDIT, 3),
    paid_credits_per_s: round(r.tl.paidMicro / MICRO_CREDITS_PER_CREDIT / (r.ms / 1000), 3),
    reissued_or_declined: r.reissued,
    verified: r.outs.filter((o) => o !== null).length,
    failed: r.failed,
    phases_median: r.tl.phases(),
    run_worker_ms: { median: median(r.runMs), sum: round(sum(r.runMs), 0), runs_paid: r.runMs.length },
    jobs: n,
  });
  const result = {
    bench: 'market-browsers',
    what:
      'inos node + 3 Chromium profiles (test build) contributing on loopback, requester through the ' +
      'library API in the bench process; the same jobs on the local engine (as `inos run`) in the same run',
    contributors: {
      count: BROWSERS,
      kind: 'chromium (extension test build)',
      workers_advertised: workers,
      local_proof_of_work: LOCAL_POW,
    },
    redundancy: REDUNDANCY,
    jobs_in_flight: MAX_ESCROWED,
    deadline_ms: DEADLINE_MS,
    tiny: {
      input_bytes: 64,
      capsule: 'crypto.sha256',
      budget: TINY_BUDGET,
      ...section(tiny, tinyLocal, TINY),
      market_jobs_per_s: round((tinyDone * 1000) / tiny.ms, 3),
      local_jobs_per_s: round((TINY * 1000) / tinyLocal.ms, 1),
    },
    chunked: {
      mib_each: BIG_MB,
      total_mb: round((BIG * BIG_MB * 1024 * 1024) / 1e6, 1),
      verified_mb: round(mb, 1),
      capsule: 'crypto.sha256',
      budget: BIG_BUDGET,
      ...section(big, bigLocal, BIG),
      market_mb_per_s: round((mb * 1000) / big.ms, 3),
      local_mb_per_s: round((((BIG * BIG_MB * 1024 * 1024) / 1e6) * 1000) / bigLocal.ms, 1),
      // ms summed over chunks; pipelined fetches overlap, so a sum can exceed the wall time.
      browsers_fetch: fetched,
      requester_serving: served,
    },
    ...(tinyOff
      ? {
          tiny_local_pow_off: {
            note: 'the same tiny jobs after the tiny and chunked runs, the browsers opted out of proof-of-work',
            ...section(tinyOff, tinyLocal, TINY),
            market_jobs_per_s: round((tinyOff.outs.filter((o) => o !== null).length * 1000) / tinyOff.ms, 3),
          },
        }
      : {}),
    outputs_equal_local: 'every verified output',
    requester_spent_credits: (after.spent - before.spent) / MICRO_CREDITS_PER_CREDIT,
    mint: { credits: need, ms: round(mintMs, 0), top_up_credits: topUpCredits, top_up_ms: round(topUpMs, 0) },
    start_node_and_browsers_ms: round(startMs, 0),
    seed: SEED,
    machine: {
      cpus: availableParallelism(),
      model: cpus()[0]?.model ?? '',
      loadavg_end: load(),
    },
    node: process.version,
    date: new Date().toISOString(),
  };
  writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.table({
    [`tiny ×${TINY}`]: {
      market: `${result.tiny.market_jobs_per_s} jobs/s`,
      local: `${result.tiny.local_jobs_per_s} jobs/s`,
      overhead: `${result.tiny.overhead_ratio}×`,
      'first result': `${result.tiny.time_to_first_result_ms} ms`,
      paid: `${result.tiny.credits_paid} credits`,
    },
    [`chunked ${BIG}×${BIG_MB} MiB`]: {
      market: `${result.chunked.market_mb_per_s} MB/s`,
      local: `${result.chunked.local_mb_per_s} MB/s`,
      overhead: `${result.chunked.overhead_ratio}×`,
      'first result': `${result.chunked.time_to_first_result_ms} ms`,
      paid: `${result.chunked.credits_paid} credits`,
    },
  });
  console.table({
    tiny: result.tiny.phases_median,
    chunked: result.chunked.phases_median,
    ...(tinyOff ? { 'tiny, pow off': tinyOff.tl.phases() } : {}),
  });
  say(`wrote ${resultsFile}`);
} finally {
  await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
