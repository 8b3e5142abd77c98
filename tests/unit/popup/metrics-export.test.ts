/**
 * The Metrics view's "Export JSON" gives byte for byte what `inos metrics --json` prints for the
 * same snapshot. Seed: SEED=<n> (printed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { metricsCommand } from '../../../src/cli/commands/metrics.ts';
import { exportText } from '../../../src/popup/metrics/export.ts';
import { histogram, Metrics } from '../../../src/workflow/metrics.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(0x3e7c_2026);
console.log(`[metrics-export.test] seed ${SEED}`);
const dir = mkdtempSync(join(tmpdir(), 'inos-metrics-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Export JSON', () => {
  it('is what inos metrics --json prints for the same snapshot', async () => {
    const r = prng(SEED);
    const m = new Metrics(undefined, 1_700_000_000_000);
    const methods = ['pow.search', 'crypto.sha256', 'storage.compress'];
    for (let i = 0; i < 500; i++)
      m.observeJob({
        library: methods[i % 3]!.split('.')[0]!,
        method: methods[i % 3]!.split('.')[1]!,
        ms: 0.05 + r() * 400,
        status: r() < 0.97 ? 'ok' : 'timeout',
        costUsed: Math.floor(r() * 100),
        budget: 100,
        bytesCopied: Math.floor(r() * 64),
        bytesIn: 64,
      });
    m.observeWorkflow({ outcome: 'committed', steps: 3, costUsed: 30, budget: 90, bytesCopied: 0 });
    m.observeArena(0.9);
    const file = join(dir, 'metrics.json');
    writeFileSync(file, JSON.stringify(m.toJSON()));
    let out = '';
    const code = await metricsCommand.run(['--json', '--metrics', file], {
      readStdin: () => Promise.resolve(new Uint8Array(0)),
      writeStdout: (d) => (out += typeof d === 'string' ? d : new TextDecoder().decode(d)),
      writeStderr: () => {},
    });
    expect(code).toBe(0);
    expect(exportText(m.exportJson())).toBe(out);
    // The histogram the charts draw holds every job once.
    for (const s of m.summary()) {
      const h = histogram(m.toJSON().methods[s.key]!);
      expect(h.reduce((n, b) => n + b.count, 0)).toBe(s.count);
      expect(h.map((b) => b.ms)).toEqual([...h.map((b) => b.ms)].sort((a, b) => a - b));
    }
  });
});
