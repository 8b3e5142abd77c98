/**
 * `npm run bench:market-node`: the market end to end on loopback with Node contributors, written to
 * bench/results/market-node.json (`npm run bench:market` is the same with three browsers).
 *
 *  - an `inos node` (relay/bootstrap) and CONTRIBUTORS `inos contribute --capsules crypto --workers 1`
 *    processes (Node contributors: the extension's contributor side is another branch's work), and a
 *    requester in this process through the library API (`Requester`, what `inos submit` runs), its
 *    wallet minted with bound proof-of-work first (not timed);
 *  - tiny jobs: TINY × crypto.sha256 of 64 B, redundancy 2 (every result checked by a second
 *    identity): jobs/s;
 *  - chunked input: BIG × crypto.sha256 of BIG_MB MiB each (1 MiB chunks the contributors fetch from
 *    the requester over /inos/chunks/1; redundancy 2, so every byte crosses twice): MB/s of input;
 *  - the reference: the same jobs on this machine's engine as `inos run` runs them (node-engine.ts,
 *    as many worker threads as the contributors have together, as many jobs at once as the market
 *    keeps in flight), in the same run; overhead = market time / local time (what offering,
 *    claiming, moving the bytes, verifying by a second identity and paying cost). Every market output
 *    is checked against the local one. Also: time to the first verified result, paid credits/s.
 *  - the processes start through tests/slow/market/_procs.ts, shared with the market's slow tests.
 *
 * The issue asks for 100 MB of chunked input through 3 browsers; on a shared 2-core box this measures
 * BIG × BIG_MB MiB through Node contributors and says so in the json.
 * Env: MARKET_BENCH_TINY (default 30), MARKET_BENCH_BIG (4), MARKET_BENCH_BIG_MB (4).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_ESCROWED, Requester, type SubmitJob } from '../../src/cli/requester.ts';
import {
  startContributor,
  startRelay,
  stopAll,
  waitUntil as waitFor,
} from '../../tests/slow/market/_procs.ts';
import { startNodeEngine } from '../../src/cli/node-engine.ts';
import { runLocally, sha256Jobs } from './_local.ts';
import { WalletFile } from '../../src/cli/wallet-file.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../src/ledger/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', 'results', 'market-node.json');
const TINY = Number(process.env['MARKET_BENCH_TINY'] ?? 30);
const BIG = Number(process.env['MARKET_BENCH_BIG'] ?? 4);
const BIG_MB = Number(process.env['MARKET_BENCH_BIG_MB'] ?? 4);
const CONTRIBUTORS = 2;
const REDUNDANCY = 2;
// A run is charged its worker's wall time: at load ~30 a 64-byte sha256 ran out of 20 (00:00 UTC run).
const TINY_BUDGET = 100;
const BIG_BUDGET = 600;
const SEED = 20261127;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const work = mkdtempSync(join(tmpdir(), 'inos-bench-market-'));

const { tinyJobs, bigJobs } = sha256Jobs(SEED, TINY, BIG, BIG_MB);

try {
  const t0 = performance.now();
  // Process launching shared with tests/slow/market (one helper module).
  const { boot } = await startRelay(work, { forSeconds: 900 });
  await Promise.all(
    Array.from({ length: CONTRIBUTORS }, (_, i) =>
      startContributor(join(work, `c${i}`), boot, { capsules: 'crypto', workers: 1, forSeconds: 880 }),
    ),
  );
  const startMs = performance.now() - t0;

  // The requester's credits: enough escrow for the jobs in flight plus what they spend.
  const file = await WalletFile.open(join(work, 'requester', 'wallet.json'));
  const need = MAX_ESCROWED * REDUNDANCY * BIG_BUDGET + 800;
  const mintStart = performance.now();
  await file.wallet.mint(need);
  const mintMs = performance.now() - mintStart;
  await file.save();
  const requester = await Requester.open({ bootstrap: [boot], wallet: file });
  await waitFor(
    `${REDUNDANCY} contributors advertising crypto`,
    () => (requester.market.offering('crypto').length >= REDUNDANCY ? true : undefined),
    240_000,
  );

  const before = await file.wallet.balance();
  const market = async (jobs: SubmitJob[], budget: number) => {
    const t0 = performance.now();
    let firstMs = 0;
    const res = await requester.submit(jobs, {
      onResult: () => (firstMs ||= performance.now() - t0),
      budget,
      redundancy: REDUNDANCY,
      deadlineMs: 60_000,
      onEvent: (e) => {
        if (e.kind === 'reissued' || e.kind === 'declined' || e.kind === 'penalised')
          console.warn(`job ${e.index} ${e.kind}: ${e.detail ?? ''}`);
      },
    });
    const ms = performance.now() - t0;
    const outs = res.map((r, i) => {
      if (r instanceof Error) throw new Error(`market job ${i}: ${r.message}`);
      if (r.status !== 'ok') throw new Error(`market job ${i}: ${r.status} ${r.error}`);
      return bytesToHex(r.output);
    });
    const paid = res.reduce(
      (n, r) => n + (r instanceof Error ? 0 : Object.values(r.paid).reduce((a, b) => a + b, 0)),
      0,
    );
    return { ms, outs, paid, firstMs };
  };
  const tiny = await market(tinyJobs, TINY_BUDGET);
  const big = await market(bigJobs, BIG_BUDGET);
  const after = await file.wallet.balance();
  await requester.close();

  // The reference: the same jobs on this machine's engine, as `inos run` runs them.
  const engine = startNodeEngine({ workers: CONTRIBUTORS, storeDir: null, preload: ['crypto'] });
  await engine.ready(120_000);
  const local = (jobs: SubmitJob[]) => runLocally(engine, jobs, MAX_ESCROWED);
  const tinyLocal = await local(tinyJobs);
  const bigLocal = await local(bigJobs);
  await engine.dispose();
  for (const [m, l, what] of [
    [tiny.outs, tinyLocal.outs, 'tiny'],
    [big.outs, bigLocal.outs, 'chunked'],
  ] as const)
    m.forEach((o, i) => {
      if (o !== l[i]) throw new Error(`${what} job ${i}: the market's output differs from the local run`);
    });

  const mb = (BIG * BIG_MB * 1024 * 1024) / 1e6;
  const result = {
    bench: 'market',
    what:
      'inos node + Node `inos contribute` processes on loopback, requester through the library API; ' +
      'the same jobs on the local engine (as `inos run`) in the same run',
    contributors: { count: CONTRIBUTORS, kind: 'node (inos contribute)', workers_each: 1 },
    redundancy: REDUNDANCY,
    jobs_in_flight: MAX_ESCROWED,
    tiny: {
      jobs: TINY,
      input_bytes: 64,
      capsule: 'crypto.sha256',
      market_ms: round(tiny.ms, 1),
      market_jobs_per_s: round((TINY * 1000) / tiny.ms, 2),
      local_ms: round(tinyLocal.ms, 1),
      local_jobs_per_s: round((TINY * 1000) / tinyLocal.ms, 1),
      overhead_ratio: round(tiny.ms / tinyLocal.ms, 1),
      time_to_first_result_ms: round(tiny.firstMs, 1),
      credits_paid: tiny.paid / MICRO_CREDITS_PER_CREDIT,
      paid_credits_per_s: round(tiny.paid / MICRO_CREDITS_PER_CREDIT / (tiny.ms / 1000), 3),
    },
    chunked: {
      jobs: BIG,
      mib_each: BIG_MB,
      total_mb: round(mb, 1),
      note: `the issue asks for 100 MB through 3 browsers; measured ${round(mb, 1)} MB through Node contributors on a shared 2-core box`,
      capsule: 'crypto.sha256',
      market_ms: round(big.ms, 1),
      market_mb_per_s: round((mb * 1000) / big.ms, 2),
      local_ms: round(bigLocal.ms, 1),
      local_mb_per_s: round((mb * 1000) / bigLocal.ms, 1),
      overhead_ratio: round(big.ms / bigLocal.ms, 1),
      time_to_first_result_ms: round(big.firstMs, 1),
      credits_paid: big.paid / MICRO_CREDITS_PER_CREDIT,
      paid_credits_per_s: round(big.paid / MICRO_CREDITS_PER_CREDIT / (big.ms / 1000), 3),
    },
    outputs_equal_local: true,
    requester_spent_credits: (after.spent - before.spent) / MICRO_CREDITS_PER_CREDIT,
    mint: { credits: need, ms: round(mintMs, 0) },
    start_node_and_contributors_ms: round(startMs, 0),
    seed: SEED,
    machine: {
      cpus: availableParallelism(),
      model: cpus()[0]?.model ?? '',
      loadavg: loadavg().map((x) => round(x, 2)),
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
      paid: `${result.tiny.paid_credits_per_s} credits/s`,
    },
    [`chunked ${BIG}×${BIG_MB} MiB`]: {
      market: `${result.chunked.market_mb_per_s} MB/s`,
      local: `${result.chunked.local_mb_per_s} MB/s`,
      overhead: `${result.chunked.overhead_ratio}×`,
      'first result': `${result.chunked.time_to_first_result_ms} ms`,
      paid: `${result.chunked.paid_credits_per_s} credits/s`,
    },
  });
  console.info(`seed ${SEED}; wrote ${resultsFile}`);
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
