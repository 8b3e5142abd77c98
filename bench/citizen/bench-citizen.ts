/**
 * npm run bench:citizen — does contributing slow down what the user is doing? A page workload in the
 * front tab (tests/e2e/_citizen-page.ts: 3,000 DOM rows + layout, sort 200,000 numbers, JSON round
 * trip; six rounds) is timed with contributing off and on at the default in-use limits (1 worker at
 * 50%), interleaved, in the same run; also click → next-frame latency. Two configurations: the default
 * ("pause while other CPU use is above 25%", BOINC's rule) and that rule switched off, which shows what
 * the worker itself costs the page. Writes bench/results/citizen.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { CITIZEN_PAGE } from '../../tests/e2e/_citizen-page';
import { launchExtension, waitFor, type ExtensionUnderTest } from '../../tests/e2e/_extension';

const ROUNDS = Number(process.env.CITIZEN_ROUNDS ?? 6);
const CLICKS = 15;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)]!;

async function measure(page: Page): Promise<{ workMs: number; latencies: number[] }> {
  const workMs = (await page.evaluate('window.workload()')) as number;
  await page.evaluate('window.latencies = []');
  for (let i = 0; i < CLICKS; i++) {
    await page.mouse.click(100, 30);
    await page.waitForTimeout(60);
  }
  await page.waitForFunction(`window.latencies.length >= ${CLICKS}`);
  const latencies = (await page.evaluate('window.latencies')) as number[];
  return { workMs, latencies };
}

async function runConfig(ext: ExtensionUnderTest, busyThresholdPercent: number) {
  await ext.ask('settings/set', { busy: { thresholdPercent: busyThresholdPercent, resumeAfterSec: 15 } });
  const page = await ext.context.newPage();
  await page.setContent(CITIZEN_PAGE);
  await page.bringToFront();
  await measure(page); // warm-up: JIT, layout caches
  const off: number[] = [];
  const on: number[] = [];
  const latOff: number[] = [];
  const latOn: number[] = [];
  const onPhases: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await ext.ask('contribute/set', { on: false });
    await new Promise((res) => setTimeout(res, 1_500));
    const a = await measure(page);
    off.push(a.workMs);
    latOff.push(...a.latencies);

    await ext.ask('contribute/set', { on: true });
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.phase !== 'paused' && s.text !== 'Starting the compute host…',
      { timeoutMs: 20_000, what: 'contributing to start' },
    );
    await new Promise((res) => setTimeout(res, 1_500));
    const before = await ext.ask('status/get');
    const b = await measure(page);
    on.push(b.workMs);
    latOn.push(...b.latencies);
    onPhases.push(before.phase === 'suspended' ? `suspended:${before.reason}` : before.phase);
    console.log(
      `  busy rule ${busyThresholdPercent || 'off'}: round ${r + 1}: off ${a.workMs.toFixed(0)} ms, on ${b.workMs.toFixed(0)} ms (${onPhases.at(-1)})`,
    );
  }
  await page.close();
  const slowdown = median(on) / median(off) - 1;
  return {
    busy_threshold_percent: busyThresholdPercent,
    workload_ms_median_off: +median(off).toFixed(1),
    workload_ms_median_on: +median(on).toFixed(1),
    slowdown_percent: +(slowdown * 100).toFixed(1),
    input_latency_p95_ms_off: +p95(latOff).toFixed(1),
    input_latency_p95_ms_on: +p95(latOn).toFixed(1),
    extension_state_during_on_rounds: onPhases,
    runs_off_ms: off.map((x) => +x.toFixed(1)),
    runs_on_ms: on.map((x) => +x.toFixed(1)),
  };
}

const ext = await launchExtension({ testBuild: true });
try {
  console.log(`bench:citizen — ${ROUNDS} interleaved rounds per configuration`);
  const withRule = await runConfig(ext, 25);
  const withoutRule = await runConfig(ext, 0);
  const result = {
    goal: 'slowdown ≤ 3% at the default in-use limits',
    default_limits: withRule,
    busy_rule_off: withoutRule,
    meta: {
      chromium: execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim(),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      loadavg_1m_at_end: +(loadavg()[0] ?? 0).toFixed(2),
      date: new Date().toISOString(),
    },
  };
  console.table([
    { config: 'default (busy rule 25%)', ...pick(withRule) },
    { config: 'busy rule off', ...pick(withoutRule) },
  ]);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/citizen.json', JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/results/citizen.json');
} finally {
  await ext.close();
}

type ConfigResult = Awaited<ReturnType<typeof runConfig>>;

function pick(r: ConfigResult) {
  return {
    off_ms: r.workload_ms_median_off,
    on_ms: r.workload_ms_median_on,
    slowdown_pct: r.slowdown_percent,
    click_p95_off_ms: r.input_latency_p95_ms_off,
    click_p95_on_ms: r.input_latency_p95_ms_on,
  };
}
