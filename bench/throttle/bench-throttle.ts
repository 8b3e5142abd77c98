/**
 * npm run bench:throttle — the contributor's limits, measured in a real Chromium (test build, so idle
 * and power can be driven). CPU comes from the kernel (/proc thread times of this profile's
 * processes), latencies from polling that CPU in 100 ms windows. Writes bench/results/throttle.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { measureCpu } from '../../tests/e2e/_cpu';
import { launchExtension, waitFor, type ExtensionUnderTest } from '../../tests/e2e/_extension';

const WINDOW_S = Number(process.env.THROTTLE_WINDOW_S ?? 20);

async function quietAfter(ext: ExtensionUnderTest, action: () => Promise<unknown>): Promise<number> {
  await waitFor(
    () => measureCpu(ext.userDataDir, 300),
    (c) => c.workerPct > 50,
    { timeoutMs: 30_000, what: 'work' },
  );
  const t0 = performance.now();
  await action();
  for (;;) {
    const start = performance.now();
    const c = await measureCpu(ext.userDataDir, 100);
    if (c.workerPct < 5) return start - t0;
    if (performance.now() - t0 > 10_000) return Infinity;
  }
}

const ext = await launchExtension({ testBuild: true });
try {
  await ext.ask('settings/set', { backoffMinutes: 0 });
  await ext.ask('contribute/set', { on: true });
  const duty: Array<{ cap: number; measured: number; error_points: number }> = [];
  for (const cap of [25, 50, 75, 100]) {
    await ext.ask('settings/set', { active: { workers: 1, dutyPercent: cap } });
    await new Promise((r) => setTimeout(r, 2_000));
    const m = (await measureCpu(ext.userDataDir, WINDOW_S * 1000)).workerPct;
    duty.push({ cap, measured: +m.toFixed(1), error_points: +(m - cap).toFixed(1) });
    console.log(`cap ${cap}%: measured ${m.toFixed(1)}%`);
  }

  await ext.ask('settings/set', { active: { workers: 1, dutyPercent: 100 } });
  const pauseMs = await quietAfter(ext, () => ext.ask('contribute/set', { on: false }));
  const idle = await measureCpu(ext.userDataDir, 3_000);
  await ext.ask('contribute/set', { on: true });
  const batteryMs = await quietAfter(ext, () =>
    ext.askOffscreen('test/set-power', { charging: false, level: 0.5 }),
  );
  await ext.askOffscreen('test/set-power', null);

  const chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  const result = {
    duty_cycle: duty,
    max_abs_error_points: Math.max(...duty.map((d) => Math.abs(d.error_points))),
    pause_latency_ms: Math.round(pauseMs),
    paused_cpu_percent_all_processes: +idle.totalPct.toFixed(1),
    paused_cpu_percent_workers: +idle.workerPct.toFixed(1),
    battery_suspend_latency_ms: Math.round(batteryMs),
    meta: {
      window_s: WINDOW_S,
      chromium,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      loadavg_end: loadavg().map((x) => +x.toFixed(2)),
      date: new Date().toISOString(),
      method: 'worker CPU = utime+stime of DedicatedWorker threads of this profile (/proc), over wall time',
    },
  };
  console.table(duty);
  console.table({
    pause_latency_ms: result.pause_latency_ms,
    battery_suspend_latency_ms: result.battery_suspend_latency_ms,
    paused_cpu_all_processes: result.paused_cpu_percent_all_processes,
  });
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/throttle.json', JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/results/throttle.json');
} finally {
  await ext.close();
}
