/**
 * Chromium benchmarks: `npx tsx bench/chromium/run.ts [bus|capsules|pow|dispatch|chacha]` (no argument: all).
 * Launches the test build (`npm run build:test` first) headless, opens its selftest.html
 * (src/selftest) and measures in the browser what bench/bus and bench/pow measure under Node:
 *  - bus      → bench/results/bus.json "chromium": ring vs postMessage (two Workers), ring and
 *               postMessage round trips, arena handoff of 1 KiB / 16 MiB, JobRequest encode/decode
 *               vs JSON on the page, and the engine's empty-job dispatch round trip;
 *  - capsules → bench/results/capsules.json: dispatch_p50_us_chromium (+ a "chromium" section);
 *  - chacha   → bench/results/chacha.json "chromium": ChaCha20-Poly1305 on the page's thread, the
 *               WebAssembly SIMD kernel vs noble, interleaved (wall MB/s: no CPU clock in a page);
 *  - pow      → bench/results/pow.json "chromium": CPU MH/s of one Worker and of one Worker per
 *               core (best of 5), GPU MH/s and adapter (SwiftShader under --enable-unsafe-webgpu).
 * Each file keeps its other sections. Every figure is measured in this run; meta records the
 * Chromium version, the date and the load average, because these machines are shared and noisy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { findChromium } from '../../scripts/find-chromium.mjs';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import { pickBackend } from '../../src/capsules/pow/search-gpu.ts';
import { DISPATCH_SPIN_DEFAULTS } from '../../src/sab/layout.ts';
import type { SelfTestGlobal, SelfTestInfo } from '../../src/selftest/index.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const SUITES = ['bus', 'capsules', 'pow', 'dispatch', 'chacha'] as const;
type Suite = (typeof SUITES)[number];
/** Jobs timed for the dispatch round trip (after the engine's own warm-up). */
const DISPATCH_JOBS = 2000;
const GPU_MEASURE_MS = 2000;

function parseArgs(argv: string[]): Suite[] {
  if (argv.length === 0) return [...SUITES];
  for (const a of argv)
    if (!(SUITES as readonly string[]).includes(a))
      throw new Error(`unknown benchmark "${a}"; use one or more of: ${SUITES.join(', ')} (none: all)`);
  return argv as Suite[];
}

function chromiumVersion(): string {
  try {
    return execFileSync(findChromium(), ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

/** Writes `patch` over the top-level keys of a results file, keeping every other key. */
function merge(file: string, patch: Record<string, unknown>): void {
  const path = join(RESULTS, file);
  const existing = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(path, JSON.stringify({ ...existing, ...patch }, null, 2) + '\n');
  console.log(`wrote ${join('bench', 'results', file)} (${Object.keys(patch).join(', ')})`);
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

async function openSelfTest(
  context: Awaited<ReturnType<typeof launchWithExtension>>['context'],
  id: string,
): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[selftest page error]', e));
  await page.goto(`chrome-extension://${id}/selftest.html`);
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
  return page;
}

function dispatch(page: Page, spin?: { workerUs: number; hostUs: number }) {
  return page.evaluate(
    ([n, s]) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.dispatchLatency(n, s ?? undefined),
    [DISPATCH_JOBS, spin ?? null] as const,
  );
}

async function main(): Promise<void> {
  const suites = parseArgs(process.argv.slice(2));
  const loadStart = loadavg()[0] ?? 0;
  const started = performance.now();
  const launched = await launchWithExtension({ headless: true, extensionDir: TEST_EXTENSION_DIR });
  try {
    const page = await openSelfTest(launched.context, launched.extensionId);
    const info: SelfTestInfo = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.info(),
    );
    if (!info.crossOriginIsolated)
      throw new Error('selftest.html is not cross-origin isolated: nothing to measure');
    const meta = (extra: Record<string, unknown> = {}) => ({
      date: new Date().toISOString(),
      chromium: chromiumVersion(),
      user_agent: info.userAgent,
      headless: true,
      cpu: cpus()[0]?.model ?? 'unknown',
      hardware_concurrency: info.hardwareConcurrency,
      // Cross-origin isolated pages get a coarsened clock (5 µs steps in Chromium): latencies are multiples.
      timer_resolution_us: info.timerResolutionUs,
      loadavg_1m_before_after: [r2(loadStart), r2(loadavg()[0] ?? 0)],
      bench_seconds: r2((performance.now() - started) / 1000),
      ...extra,
    });

    if (suites.includes('bus')) {
      const bus = await page.evaluate(() =>
        (globalThis as unknown as SelfTestGlobal).inosSelfTest.busBench(),
      );
      const d = await dispatch(page);
      const { jobrequest: w, ...ring } = bus;
      const chromium = {
        ...ring,
        jobrequest_encode_us: w.encode_us,
        jobrequest_decode_us: w.decode_us,
        json_encode_us: w.json_encode_us,
        json_decode_us: w.json_decode_us,
        jobrequest_vs_json_roundtrip_ratio: w.roundtrip_vs_json_ratio,
        jobrequest_frame_bytes: w.frame_bytes,
        json_bytes: w.json_bytes,
        dispatch_p50_us: d.p50Us,
        dispatch_p99_us: d.p99Us,
        meta: meta({
          definitions: {
            threads:
              "two dedicated Workers of the test build's selftest.html (cross-origin isolated), sharing one job bus and one MessageChannel; same commands as bench/bus/_bench-worker.ts",
            throughput: '64 B messages a -> b, first send to last receive, best of 3 after a warm-up',
            roundtrip:
              'ring ping-pong with Atomics.wait/notify on both sides, 64 B, after dropping the first tenth',
            handoff:
              'an 8 B {offset,length} arena ref frame, the receiver touches the first and last byte, 1 B ack; p50',
            jobrequest:
              'src/wire encodeJobRequest/decodeJobRequest vs typed JSON (bigints as strings) of an arena-ref JobRequest on the page main thread; median of 15 rounds',
            dispatch: `full round trip of crypto.sha256 of 0 bytes through the JobEngine (2 pool workers), ${DISPATCH_JOBS} jobs after warm-up`,
          },
        }),
      };
      merge('bus.json', { chromium });
      console.table(
        Object.entries(chromium)
          .filter(([k]) => k !== 'meta')
          .map(([metric, value]) => ({ metric, value })),
      );
    }

    if (suites.includes('dispatch')) {
      // The dispatch path's bounded spins (CTRL.WORKER_SPIN_US: a worker polls its inbox after a job;
      // HOST_SPIN_US: the page polls the outbox after a dispatch) against none, each alone, the
      // defaults, a shorter and the longest pair; as many rounds as variants, each in a rotated order. Ratios are against "none" of the same round
      // (median over the rounds), so load from other processes cancels out as far as it can.
      const D = DISPATCH_SPIN_DEFAULTS;
      const VARIANTS: Array<{ name: string; workerUs: number; hostUs: number }> = [
        { name: 'none', workerUs: 0, hostUs: 0 },
        { name: 'worker', workerUs: D.workerUs, hostUs: 0 },
        { name: 'host', workerUs: 0, hostUs: D.hostUs },
        { name: 'defaults', workerUs: D.workerUs, hostUs: D.hostUs },
        { name: 'short', workerUs: 50, hostUs: 50 },
        { name: 'max', workerUs: 1000, hostUs: 1000 },
      ];
      // Each round starts one variant later (a Latin-square order): in fixed order the later variants
      // of every round measured faster whatever they were (a warm page), which decided nothing.
      const ROUNDS = VARIANTS.length;
      const runs: Array<{
        round: number;
        variant: string;
        worker_us: number;
        host_us: number;
        p50: number;
        batch_p50: number;
        p99: number;
        codec_us: number;
        host_spin_hit_rate: number | null;
      }> = [];
      for (let round = 0; round < ROUNDS; round++)
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(round + k) % VARIANTS.length]!;
          const d = await dispatch(page, { workerUs: v.workerUs, hostUs: v.hostUs });
          if (!d.allCorrect) throw new Error(`dispatch variant ${v.name}: a job returned a wrong result`);
          runs.push({
            round,
            variant: v.name,
            worker_us: d.spin.workerUs,
            host_us: d.spin.hostUs,
            p50: d.p50Us,
            batch_p50: d.batchP50Us,
            p99: d.p99Us,
            codec_us: d.codecUs,
            host_spin_hit_rate:
              d.hostSpinHits + d.hostSpinMisses + d.hostSpinSkips > 0
                ? r2(d.hostSpinHits / (d.hostSpinHits + d.hostSpinMisses + d.hostSpinSkips))
                : null,
          });
        }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
      const of = (name: string, round: number) => runs.find((r) => r.variant === name && r.round === round)!;
      const table = VARIANTS.map((v) => {
        const mine = runs.filter((r) => r.variant === v.name);
        const ratio = (key: 'p50' | 'batch_p50') =>
          r2(med(mine.map((r) => r[key] / Math.max(1e-9, of('none', r.round)[key]))));
        return {
          variant: v.name,
          worker_us: v.workerUs,
          host_us: v.hostUs,
          p50_us_median: med(mine.map((r) => r.p50)),
          batch_p50_us_median: r2(med(mine.map((r) => r.batch_p50))),
          p99_us_median: med(mine.map((r) => r.p99)),
          host_spin_hit_rate:
            mine[0]?.host_spin_hit_rate == null ? null : r2(med(mine.map((r) => r.host_spin_hit_rate ?? 0))),
          p50_vs_none_ratio: ratio('p50'),
          batch_p50_vs_none_ratio: ratio('batch_p50'),
        };
      });
      const def = table.find((t) => t.variant === 'defaults')!;
      const dispatchSpin = {
        defaults: { worker_us: D.workerUs, host_us: D.hostUs },
        dispatch_p50_us_defaults: def.p50_us_median,
        dispatch_batch_p50_us_defaults: def.batch_p50_us_median,
        defaults_vs_none_p50_ratio: def.p50_vs_none_ratio,
        defaults_vs_none_batch_p50_ratio: def.batch_p50_vs_none_ratio,
        page_codec_us_per_job: r2(med(runs.map((r) => r.codec_us))),
        table,
        runs,
        meta: meta({
          definition: `empty-job round trip (crypto.sha256 of 0 bytes) through the JobEngine on selftest.html (dispatchLatency), ${DISPATCH_JOBS} sequential jobs per run after a warm-up; ${ROUNDS} interleaved rounds of the variants; p50/p99 of per-job times (5 µs clock steps), batch_p50 = median over batches of 50 jobs of the batch mean; codec_us = the page's encodeJobRequest + decodeJobResult per job; host_spin_hit_rate = share of the page's post-dispatch spins that caught the result (misses and skips of a collapsed budget are the rest); workers also keep the ring's adaptive 2,000-poll spin before Atomics.wait`,
        }),
      };
      merge('dispatch.json', { chromium: dispatchSpin });
      console.table(table);
      console.log(`load average (1 min) before/after: ${r2(loadStart)} / ${r2(loadavg()[0] ?? 0)}`);
    }

    if (suites.includes('chacha')) {
      const c = await page.evaluate(() =>
        (globalThis as unknown as SelfTestGlobal).inosSelfTest.chachaThroughput(1 << 20, 5),
      );
      merge('chacha.json', {
        chromium: {
          ...c,
          wasm_vs_noble_ratio: r2(c.wasmMBps / c.nobleMBps),
          meta: meta({
            definition:
              'chacha20poly1305 encryption of 1 MiB on selftest.html (chachaThroughput): the WebAssembly SIMD kernel and noble, 5 interleaved rounds of >= 250 ms each, best of each, MB per wall second',
          }),
        },
      });
      console.table({ chacha: c });
    }

    if (suites.includes('capsules')) {
      const d = await dispatch(page);
      merge('capsules.json', {
        dispatch_p50_us_chromium: d.p50Us,
        chromium: {
          dispatch_p50_us: d.p50Us,
          dispatch_p99_us: d.p99Us,
          dispatch_mean_us: d.meanUs,
          dispatch_min_us: d.minUs,
          jobs: d.jobs,
          meta: meta({
            definition: `full round trip of an empty job (crypto.sha256 of 0 bytes) through the JobEngine on selftest.html: encode, inbox ring, worker wakes (Atomics.wait), outbox ring, page wakes (Atomics.waitAsync); ${d.jobs} sequential jobs after ${d.warmup} warm-up jobs`,
          }),
        },
      });
      console.table({ dispatch: { p50_us: d.p50Us, p99_us: d.p99Us, mean_us: d.meanUs, min_us: d.minUs } });
    }

    if (suites.includes('pow')) {
      const cpu = await page.evaluate(() =>
        (globalThis as unknown as SelfTestGlobal).inosSelfTest.powCpuMhps(),
      );
      const gpu = await page.evaluate(
        (ms) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.powGpu(ms),
        GPU_MEASURE_MS,
      );
      const a = gpu.adapterInfo;
      const chromium = {
        cpu_mhps_per_worker: cpu.perWorkerMhps,
        cpu_mhps_all_workers: cpu.allWorkersMhps,
        workers: cpu.workers,
        cpu_path: cpu.path,
        gpu_mhps: gpu.mhps === null ? null : Math.round(gpu.mhps * 1000) / 1000,
        gpu_adapter: a
          ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')
          : null,
        gpu_software: a ? /swiftshader|llvmpipe|software/i.test(`${a.architecture} ${a.description}`) : null,
        gpu_self_test_ok: gpu.ok,
        gpu_block_nonces_found: gpu.checks.filter((c) => c.name.startsWith('block ') && c.pass).length,
        backend_pick: pickBackend(cpu.allWorkersMhps, gpu.ok ? gpu.mhps : null),
        meta: meta({
          cpu_mhps_samples: cpu.perWorkerSamples,
          cpu_all_workers_samples: cpu.allWorkersSamples,
          cpu_method:
            "dedicated Workers of selftest.html, the pow capsule's CPU path (sharedSimdKernel) on a target nothing meets; best of 5 samples of 700 ms",
          gpu_method: `powGpuSelfTest(navigator.gpu, {measureMs: ${GPU_MEASURE_MS}}) on the page${gpu.error ? `; error: ${gpu.error}` : ''}`,
        }),
      };
      merge('pow.json', { chromium });
      console.table(
        Object.entries(chromium)
          .filter(([k]) => k !== 'meta')
          .map(([metric, value]) => ({ metric, value })),
      );
    }
  } finally {
    await launched.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
