/**
 * `npm run bench:image-chromium`: the image capsule's lazy library loading in the built test
 * extension (headless Chromium, `npm run build:test` first): how long the page's pool takes to be
 * ready, and what memory wasm-vips adds, measured on selftest.html (the same pool-worker.ts Workers
 * and built-in capsules as the offscreen host). Writes the `chromium` section of
 * bench/results/image-memory.json (the soak's figures there are kept).
 *
 * Steps, one Chromium:
 *  1. the page alone (no pool);
 *  2. pool ready (POOL_WORKERS workers, no library loaded: the state of a pool whose user opted out
 *     of image jobs, and of one opted in before its first image job) — time to ready;
 *  3. after 400 non-image jobs (crypto.sha256, dispatchLatency): opted out, serving other jobs;
 *  4. after the first image jobs (4 at once, 2 MP JPEG → fliph → JPEG: each worker that takes one
 *     loads wasm-vips then, on the job's clock) — their times;
 *  5. after 8 more image jobs (warm).
 * Memory at each step, two ways:
 *  - performance.measureUserAgentSpecificMemory() on the page (cross-origin isolated), per realm:
 *    the page, each pool Worker and wasm-vips' thread Workers (Chromium is started with
 *    --enable-blink-features=ForceEagerMeasureMemory so the result does not wait for a GC);
 *  - the renderer processes' Pss/Rss from /proc (Linux): everything the browser's renderers hold,
 *    the other extension pages included, so the step-to-step differences are what matter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from '../../scripts/find-chromium.mjs';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import type { PageMemory, SelfTestGlobal } from '../../src/selftest/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsFile = join(root, 'bench', 'results', 'image-memory.json');
const MiB = 1 << 20;
const mib = (b: number) => Math.round((b / MiB) * 10) / 10;
const load = () => loadavg().map((v) => +v.toFixed(1));

/** Every process under the browser whose command line has `--user-data-dir=<dir>`. */
function rendererMemory(userDataDir: string): { pss_mib: number; rss_mib: number; processes: number } {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const info = new Map<string, { ppid: string; cmd: string }>();
  for (const pid of procs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]!;
      info.set(pid, { ppid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  const browser = [...info].find(
    ([, p]) => p.cmd.includes(`--user-data-dir=${userDataDir}`) && !p.cmd.includes('--type='),
  )?.[0];
  if (!browser) throw new Error('the browser process was not found in /proc');
  const under = (pid: string): boolean => {
    for (let p: string | undefined = pid, n = 0; p && n < 64; p = info.get(p)?.ppid, n++)
      if (p === browser) return true;
    return false;
  };
  let pss = 0;
  let rss = 0;
  let processes = 0;
  for (const [pid, p] of info) {
    if (!p.cmd.includes('--type=renderer') || !under(pid)) continue;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      processes++;
    } catch {
      // gone meanwhile
    }
  }
  return { pss_mib: mib(pss), rss_mib: mib(rss), processes };
}

/** The UA-specific figure grouped: page, pool workers, wasm-vips thread workers, other. */
function summarise(m: PageMemory) {
  const groups: Record<string, { mib: number; realms: number }> = {};
  for (const e of m.entries) {
    const key = e.scope.includes('Window')
      ? 'page'
      : /vips/.test(e.url)
        ? 'vips_thread_workers'
        : /pool-worker|pool_worker|chunks\/|worker/i.test(e.url)
          ? 'pool_workers'
          : 'other';
    groups[key] ??= { mib: 0, realms: 0 };
    groups[key].mib = mib(groups[key].mib * MiB + e.bytes);
    groups[key].realms++;
  }
  return {
    total_mib: mib(m.bytes),
    groups,
    realms: m.entries.map((e) => ({
      mib: mib(e.bytes),
      scope: e.scope,
      url: e.url.replace(/^chrome-extension:\/\/[^/]+/, ''),
    })),
  };
}

function makeJpeg(): Uint8Array {
  const file = join(root, '.tmp', 'bench-image', 'mid-2mp.jpg');
  if (!existsSync(file)) {
    execFileSync('mkdir', ['-p', dirname(file)]);
    execFileSync('convert', ['-seed', '12', '-size', '1632x1224', 'plasma:fractal', '-quality', '92', file]);
  }
  return new Uint8Array(readFileSync(file));
}

const loadStart = load();
const launched = await launchWithExtension({
  headless: true,
  extensionDir: TEST_EXTENSION_DIR,
  extraArgs: ['--enable-blink-features=ForceEagerMeasureMemory'],
});
try {
  const page = await launched.context.newPage();
  page.on('pageerror', (e) => console.error('[selftest page error]', e));
  await page.goto(`chrome-extension://${launched.extensionId}/selftest.html`);
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
  const snapshot = async (step: string) => {
    const ua = summarise(
      await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.pageMemory()),
    );
    const proc = rendererMemory(launched.userDataDir);
    console.log(
      `[bench:image-chromium] ${step}: page+workers ${ua.total_mib} MiB (${JSON.stringify(ua.groups)}), renderers Pss ${proc.pss_mib} MiB`,
    );
    return { step, ua_specific: ua, renderers: proc, loadavg: load() };
  };

  const steps = [await snapshot('page alone, no pool')];
  const start = await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.poolStart());
  console.log(`[bench:image-chromium] pool ready in ${start.readyMs} ms`);
  steps.push(
    await snapshot('pool ready, no library loaded (opted out, or opted in before the first image job)'),
  );
  await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.dispatchLatency(400));
  steps.push(await snapshot('opted out: after 400 non-image jobs'));

  const b64 = Buffer.from(makeJpeg()).toString('base64');
  const params = JSON.stringify({ format: 'jpeg', quality: 80 });
  const batch = (n: number) =>
    page.evaluate(
      ([input, p, count]) =>
        Promise.all(
          Array.from({ length: count }, () =>
            (globalThis as unknown as SelfTestGlobal).inosSelfTest.imageJob('fliph', input, p),
          ),
        ),
      [b64, params, n] as const,
    );
  const first = await batch(4);
  steps.push(await snapshot('opted in: after the first 4 image jobs (wasm-vips loaded on the job)'));
  const warm = await batch(8);
  steps.push(await snapshot('opted in: after 8 more image jobs'));
  const chromium = {
    date: new Date().toISOString(),
    chromium: execFileSync(findChromium(), ['--version'], { encoding: 'utf8' }).trim(),
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    loadavg_at_start: loadStart,
    loadavg_at_end: load(),
    pool_workers: 2,
    pool_ready_ms: start.readyMs,
    // Submit-to-result wall time of each job (queueing behind the others included), and its status:
    // on a busy machine a first job can pass its 5 s limit (the library load itself is off its clock).
    first_image_jobs: first.map((r) => ({ ms: Math.round(r.ms), status: r.status })),
    warm_image_jobs: warm.map((r) => ({ ms: Math.round(r.ms), status: r.status })),
    job: 'fliph of a 1632x1224 JPEG (plasma) to JPEG q80, submitted 4 (then 8) at once to the page pool',
    steps,
    method:
      "selftest.html of the test build (same pool-worker.ts and built-in capsules as the offscreen host); memory by performance.measureUserAgentSpecificMemory() (ForceEagerMeasureMemory) per realm, and the browser renderers' Pss/Rss from /proc/PID/smaps_rollup",
  };
  const existing = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as object) : {};
  writeFileSync(resultsFile, `${JSON.stringify({ ...existing, chromium }, null, 2)}\n`);
  console.log(`[bench:image-chromium] wrote ${resultsFile}`);
} finally {
  await launched.close();
}
process.exit(0);
