/**
 * The ledger at 10^5 receipts in Chromium's own IndexedDB (LevelDB on disk), not fake-indexeddb:
 * bench/ledger/scale.ts bundled (esbuild) and run in a page served from 127.0.0.1 by this script, in
 * the Chromium that runs the test extension. Not an extension page: the bundle is evaluated through
 * the DevTools protocol, and under an extension page's CSP zod's JIT probe and its fallback disagree
 * (the first 10^5 run failed in the full-history read with "unsafe-eval is not an allowed source").
 * The storage engine is the same (IndexedDB on LevelDB in the profile); the origin differs.
 * Run: npm run bench:ledger-chromium [-- --receipts N] [--spacing-min M]
 *      → table + the "chromium" section of bench/results/ledger.json (the Node sections are kept).
 *
 * Bytes, two ways, after populating and after compaction: Chromium's own account
 * (`navigator.storage.estimate().usageDetails.indexedDB`) and the size on disk of the origin's
 * LevelDB directory in the profile (`du`: log + tables, before LevelDB's own compaction catches up,
 * so it can lag a delete). Times are wall clock in the page; the running totals are compared with the
 * full scan in the same run (the ratio is the figure; the machine is shared and its load is recorded).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import type { ScaleResult } from './scale.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(arg('--receipts') ?? 100_000);
const SPACING_MS = Number(arg('--spacing-min') ?? 3) * 60_000;
const NOW = Date.UTC(2026, 10, 27, 12);
const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '../results/ledger.json');

interface PageBytes {
  estimateIndexedDB: number | null;
  estimateTotal: number | null;
}
interface PageRun {
  scale: ScaleResult;
  bytes: Record<'populated' | 'compacted', PageBytes>;
  userAgent: string;
}
declare global {
  var __inosLedgerScale: { run(o: { receipts: number; spacingMs: number; now: number }): Promise<PageRun> };
  var __inosCheckpoint: (phase: string) => Promise<number>;
}

/** The page side: the scale run on `indexedDB`, with Chromium's estimate and the disk size at each phase. */
const PAGE_ENTRY = `
import { openLedgerDb } from './src/ledger/index.ts';
import { ledgerAtScale } from './bench/ledger/scale.ts';
globalThis.__inosLedgerScale = {
  async run(o) {
    const db = await openLedgerDb({ indexedDB, name: 'bench-scale-' + Date.now() });
    const bytes = {};
    const scale = await ledgerAtScale(db, { ...o, rounds: 3 }, async (phase) => {
      const e = await navigator.storage.estimate();
      bytes[phase] = {
        estimateIndexedDB: e.usageDetails?.indexedDB ?? null,
        estimateTotal: e.usage ?? null,
        disk: await globalThis.__inosCheckpoint(phase),
      };
    });
    return { scale, bytes, userAgent: navigator.userAgent };
  },
};
`;

async function bundle(): Promise<string> {
  const root = join(here, '..', '..');
  const out = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: root, loader: 'ts', sourcefile: 'ledger-scale-page.ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}

/** Bytes on disk of the page origin's IndexedDB directories in the profile. */
function diskBytes(userDataDir: string, port: number): number {
  const idb = join(userDataDir, 'Default', 'IndexedDB');
  if (!existsSync(idb)) return 0;
  return readdirSync(idb)
    .filter((d) => d.startsWith(`http_127.0.0.1_${port}.`))
    .reduce(
      (sum, d) =>
        sum + Number(execFileSync('du', ['-sb', join(idb, d)], { encoding: 'utf8' }).split('\t')[0]),
      0,
    );
}

function chromiumVersion(ua: string): string {
  return /Chrome\/([\d.]+)/.exec(ua)?.[1] ?? 'unknown';
}

async function main(): Promise<void> {
  const code = await bundle();
  const ext = await launchWithExtension({ extensionDir: TEST_EXTENSION_DIR });
  // A blank page on loopback for the database's origin.
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>ledger at scale</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const page = await ext.context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e));
    const disk: Record<string, number> = {};
    await page.exposeFunction('__inosCheckpoint', (phase: string) => {
      disk[phase] = diskBytes(ext.userDataDir, port);
      console.log(
        `${phase}: ${(disk[phase] / 2 ** 20).toFixed(1)} MiB on disk (load ${loadavg()[0]!.toFixed(1)})`,
      );
      return disk[phase];
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(code);
    const load0 = loadavg();
    console.log(`populating ${N} receipts (${3 * N} chain records) in Chromium's IndexedDB…`);
    const run = await page.evaluate((o) => globalThis.__inosLedgerScale.run(o), {
      receipts: N,
      spacingMs: SPACING_MS,
      now: NOW,
    });
    const s = run.scale;
    const populated = run.bytes.populated;
    const compacted = run.bytes.compacted;
    const chromium = {
      date: new Date().toISOString(),
      chromium: chromiumVersion(run.userAgent),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavgStart: load0, loadavgEnd: loadavg() },
      indexedDB:
        "Chromium's IndexedDB (LevelDB), a page on http://127.0.0.1 in the Chromium running the test extension",
      ...s,
      bytes: {
        estimateIndexedDB: populated.estimateIndexedDB,
        disk: disk['populated'] ?? null,
        perReceiptDisk: disk['populated'] === undefined ? null : Math.round(disk['populated'] / N),
      },
      compaction: {
        ...s.compaction,
        bytesAfter: { estimateIndexedDB: compacted.estimateIndexedDB, disk: disk['compacted'] ?? null },
      },
    };
    console.table({
      'earnings/get (Ledger.summary)': {
        'running totals ms': s.earningsGetMs.runningTotals.toFixed(2),
        'full scan ms': s.earningsGetMs.fullScan.toFixed(1),
        speedup: `${s.earningsGetMs.speedup.toFixed(0)}×`,
        'after compaction ms': s.compaction.earningsGetMs.toFixed(2),
      },
      'balance read (mint)': {
        'running totals ms': s.balanceReadMs.runningTotals.toFixed(2),
        'full scan ms': s.balanceReadMs.fullScan.toFixed(1),
        speedup: `${s.balanceReadMs.speedup.toFixed(0)}×`,
        'after compaction ms': s.compaction.balanceReadMs.toFixed(2),
      },
    });
    const mib = (x: number | null | undefined) => (x == null ? '?' : `${(x / 2 ** 20).toFixed(1)} MiB`);
    console.log(
      `at ${N} receipts: IndexedDB ${mib(populated.estimateIndexedDB)} (Chromium's estimate), ${mib(disk['populated'])} on disk; ` +
        `populate ${s.populateMs} ms; compaction ${s.compaction.ms} ms archived ${s.compaction.recordsArchived} records → ` +
        `${mib(compacted.estimateIndexedDB)} estimate, ${mib(disk['compacted'])} on disk; full history read ${s.compaction.fullHistoryReadMs} ms`,
    );
    const existing = existsSync(OUT)
      ? (JSON.parse(readFileSync(OUT, 'utf8')) as Record<string, unknown>)
      : {};
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify({ ...existing, chromium }, null, 2)}\n`);
    console.log(`wrote ${OUT} (chromium)`);
  } finally {
    await ext.close();
    server.close();
  }
}

await main();
