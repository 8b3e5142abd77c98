/**
 * `npm run bench:ml-models`: what bundling the ml models in the extension costs and buys.
 *  - bytes of each bundled model and of ORT's wasm, raw and deflated (a .crx/.zip stores deflate, level 9);
 *  - in Chromium (the test build's self-test page, pool Workers): time to read every model from the
 *    extension package (fetch of its chrome-extension:// URL), the first `vad` and `ocr` job on a fresh
 *    worker (reads the assets, builds the ORT sessions, runs) and the same job warm (best of the next 3);
 *  - what fetching the models from the mesh on first use would add, from the chunk exchange's
 *    throughput measured by bench:mesh (bench/results/mesh.json, its own run and load): bytes / MB/s +
 *    one dial. That figure is derived, not a run of a mesh fetch; the json says so.
 * Writes bench/results/ml-models.json.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import type { SelfTestGlobal } from '../../src/selftest/index.ts';
import { speechWithSilences, textImage } from '../../tests/unit/ml/_fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const RESULTS = join(ROOT, 'ml-models.json');
const ASSETS: Record<string, RegExp> = {
  vad: /^silero_vad_v5-.*\.onnx$/,
  det: /^ch_PP-OCRv4_det_infer-.*\.onnx$/,
  rec: /^ch_PP-OCRv4_rec_infer-.*\.onnx$/,
  cls: /^ch_ppocr_mobile_v2\.0_cls_infer-.*\.onnx$/,
  keys: /^ppocr_keys_v1-.*\.txt$/,
  ort_wasm: /^ort-wasm-simd-threaded-.*\.wasm$/,
};
const USES = { vad: ['vad'], ocr: ['det', 'rec', 'cls', 'keys'] } as const;

interface MeshThroughput {
  name: string;
  MBps: number;
}

async function main(): Promise<void> {
  const load0 = loadavg()[0] ?? 0;
  const dir = join(TEST_EXTENSION_DIR, 'assets');
  const files = readdirSync(dir);
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, re]) => {
      const file = files.find((f) => re.test(f));
      if (!file) throw new Error(`no ${name} asset in ${dir}: run npm run build:test`);
      const bytes = readFileSync(join(dir, file));
      return [
        name,
        { file, bytes: statSync(join(dir, file)).size, deflated: deflateRawSync(bytes, { level: 9 }).length },
      ];
    }),
  );
  console.table(assets);

  const { wav } = speechWithSilences(['hello there this is a test', 'goodbye'], [0.6, 0.8, 0.6]);
  const img = textImage(['The quick brown fox jumps over 13 lazy dogs.'], { width: 800 });
  const launched = await launchWithExtension({ headless: true, extensionDir: TEST_EXTENSION_DIR });
  const chromium: Record<string, unknown> = {};
  try {
    const page = await launched.context.newPage();
    await page.goto(`chrome-extension://${launched.extensionId}/selftest.html`);
    await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
    chromium['read_assets_ms'] = await page.evaluate(
      async (names) => {
        const out: Record<string, number> = {};
        for (const [name, file] of names) {
          const t0 = performance.now();
          await (await fetch(`/assets/${file}`, { cache: 'no-store' })).arrayBuffer();
          out[name] = Math.round((performance.now() - t0) * 10) / 10;
        }
        return out;
      },
      Object.entries(assets).map(([n, a]) => [n, a.file] as [string, string]),
    );
    for (const [method, input] of [
      ['vad', wav],
      ['ocr', img],
    ] as const) {
      const b64 = Buffer.from(input).toString('base64');
      const run = () =>
        page.evaluate(([m, b]) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.mlJob(m, b), [
          method,
          b64,
        ] as const);
      const first = await run();
      if (first.status !== 'ok') throw new Error(`${method}: ${first.status} ${first.error}`);
      let warm = Infinity;
      for (let i = 0; i < 3; i++) warm = Math.min(warm, (await run()).ms);
      chromium[method] = { first_job_ms: Math.round(first.ms), warm_job_ms: Math.round(warm) };
    }
    console.log(chromium);
  } finally {
    await launched.close();
  }

  const mesh = JSON.parse(readFileSync(join(ROOT, 'mesh.json'), 'utf8')) as {
    date: string;
    browser: {
      date: string;
      loadAverage1m: number;
      throughput: MeshThroughput[];
      dials: { name: string; p50Ms: number }[];
    };
  };
  const b2b = mesh.browser.throughput.find((t) => t.name.startsWith('chunk exchange browser→browser'));
  const b2n = mesh.browser.throughput.find((t) => t.name.startsWith('chunk exchange browser→Node'));
  const dial = mesh.browser.dials.find((d) => d.name.startsWith('dial browser→browser'))?.p50Ms ?? 0;
  const modelBytes = (m: keyof typeof USES) => USES[m].reduce((n, a) => n + (assets[a]?.bytes ?? 0), 0);
  const meshFetch = Object.fromEntries(
    (Object.keys(USES) as (keyof typeof USES)[]).map((m) => [
      m,
      {
        model_bytes: modelBytes(m),
        fetch_ms_browser_peer: b2b ? Math.round(dial + modelBytes(m) / (b2b.MBps * 1e3)) : null,
        fetch_ms_node_peer: b2n ? Math.round(dial + modelBytes(m) / (b2n.MBps * 1e3)) : null,
      },
    ]),
  );
  const out = {
    bench: 'bench/ml/bench-ml-models.ts',
    assets,
    models_bytes_total: Object.entries(assets).reduce((n, [k, a]) => (k === 'ort_wasm' ? n : n + a.bytes), 0),
    chromium_bundled: chromium,
    mesh_first_use_derived: {
      ...meshFetch,
      from:
        `bench/results/mesh.json browser section (${mesh.browser.date}, load ${mesh.browser.loadAverage1m}): ` +
        `${b2b?.MBps.toFixed(2)} MB/s browser→browser, ${b2n?.MBps.toFixed(2)} MB/s browser→Node, dial p50 ${dial} ms`,
      note: 'derived: model bytes / measured chunk-exchange throughput + one dial; not a run of a mesh fetch',
    },
    meta: {
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      loadavg_1m_before_after: [load0, loadavg()[0] ?? 0],
      note: 'shared, noisy 2-core VM',
    },
  };
  writeFileSync(RESULTS, JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
}

await main();
