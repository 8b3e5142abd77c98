/**
 * Workflows in the real extension: the orchestrator in the offscreen document, its journal in the
 * extension origin's IndexedDB, real effects (`storage.put` into the document's chunk store, undone by
 * `storage.delete`), and crash recovery when the document is closed or the browser is killed
 * (SIGKILL) mid-workflow and relaunched with the same profile; then the Metrics view.
 *
 * Local proof-of-work stays on (one worker): workflow steps must not wait behind its slices. The
 * crash workflows are put → three proof-of-work searches (slow enough to interrupt) → get. Effects
 * are checked in the store itself (entries of its IndexedDB index and files in OPFS, read from an
 * extension page), not only in the journal.
 */
import { createHash } from 'node:crypto';
import { testInputBytes } from '../../src/offscreen/test-input';
import { seedFromEnv } from '../unit/_prng';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowStatus } from '../../src/messaging/protocol';
import { Metrics, type MetricsExport } from '../../src/workflow/metrics';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';

const SEED = seedFromEnv(0x3f13);
console.info(`[workflow.e2e] seed ${SEED}`);
const profile = mkdtempSync(join(tmpdir(), 'inos-wf-e2e-'));
afterAll(() => rmSync(profile, { recursive: true, force: true }));

/** Nonces per search step: about a second on one worker, so a stop lands between steps or inside one. */
const COUNT = 400_000;
/** A target no nonce in these ranges meets (difficulty ~2^70): every step searches its whole range. */
const BITS = 0x1b0404cb;
const HEADER = '00'.repeat(80);

/** put the input → three searches → get it back by address: the output is the input. */
function searchWorkflow(name: string, recovery: 'resume' | 'rollback', count = COUNT): string {
  const step = (i: number) => ({
    name: `search${i}`,
    library: 'pow',
    method: 'search',
    params: { header: HEADER, nonceStart: i * count, count, bits: BITS },
    input: 'none',
  });
  return JSON.stringify({
    name,
    steps: [
      { name: 'put', library: 'storage', method: 'put' },
      step(0),
      step(1),
      step(2),
      {
        name: 'get',
        library: 'storage',
        method: 'get',
        params: { address: '${steps.put.hex}' },
        input: 'none',
      },
    ],
    onError: 'rollback',
    recovery,
  });
}

/** A distinct input per workflow (its own blob in the store); outputs up to 4 KiB come back in the status. */
const inputOf = (k: number) => testInputBytes(SEED + k, 3_000 + 100 * k);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The extension's chunk store as it is on disk: entries in its IndexedDB index and files in its OPFS
 * folder (both 'inos-chunks'), read from an extension page of the same origin.
 */
async function storeCounts(ext: ExtensionUnderTest): Promise<{ entries: number; files: number }> {
  const page = await ext.context.newPage();
  try {
    await page.goto(`chrome-extension://${ext.extensionId}/popup.html`);
    return await page.evaluate(async () => {
      const dbs = await indexedDB.databases();
      let entries = 0;
      // Never create the database here: its owner creates it with its object stores.
      if (dbs.some((d) => d.name === 'inos-chunks')) {
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const r = indexedDB.open('inos-chunks');
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        entries = await new Promise<number>((res, rej) => {
          const r = db.transaction('chunks').objectStore('chunks').count();
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        db.close();
      }
      let files = 0;
      const count = async (dir: FileSystemDirectoryHandle): Promise<void> => {
        for await (const h of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
          if (h.kind === 'file') files++;
          else await count(h as FileSystemDirectoryHandle);
      };
      const top = await navigator.storage.getDirectory();
      const root = await top.getDirectoryHandle('inos-chunks').catch(() => null);
      if (root) await count(root);
      return { entries, files };
    });
  } finally {
    await page.close();
  }
}

const status = (ext: ExtensionUnderTest, id: string) => ext.ask('workflow/status', { id });
const finished = (s: WorkflowStatus) => s.finished.length > 0 && s.finished[0]!.steps.length > 0;

/** The browser's main process (the one started with our profile and no --type), by its command line. */
function browserPid(userDataDir: string): number {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmd.split('\0');
    if (args.includes(`--user-data-dir=${userDataDir}`) && !args.some((a) => a.startsWith('--type=')))
      return Number(pid);
  }
  throw new Error(`no browser process with --user-data-dir=${userDataDir}`);
}

const rounded = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v), (_k, x: unknown) => (typeof x === 'number' ? Number(x.toPrecision(12)) : x));

/** Runs a workflow to its end in the live document. */
async function runToEnd(ext: ExtensionUnderTest, definition: unknown, input: Uint8Array, what: string) {
  const t0 = Date.now();
  const { id } = await ext.ask('workflow/start', {
    definition: JSON.stringify(definition),
    inputHex: hex(input),
  });
  const s = await waitFor(() => status(ext, id), finished, { timeoutMs: 60_000, everyMs: 100, what });
  const r = s.finished[0]!;
  console.info(
    `[workflow.e2e] ${what}: ${r.status} after ${Date.now() - t0} ms (${r.steps.map((x) => `${x.name} ${x.status}`).join(', ')}) ${r.error}`,
  );
  return r;
}

describe('workflows in the extension', () => {
  it('storage round trip, rollback of stored chunks, and the offscreen document closed mid-workflow', async () => {
    const ext = await launchExtension({ userDataDir: profile });
    try {
      // One worker, local proof-of-work on: the steps must not wait behind its slices.
      await ext.ask('settings/set', { active: { workers: 1, dutyPercent: 100 } });
      await ext.ask('contribute/set', { on: true });
      await expect(
        ext.ask('workflow/start', { definition: '{"steps":[{"library":"nope"}]}' }),
      ).rejects.toThrow(/method/);

      // The design's example: compress → encrypt → put → get → decrypt → decompress.
      const text = new TextEncoder().encode(Array.from(inputOf(0), (b) => 'abcdefgh '[b % 9]).join(''));
      const key = hex(inputOf(10).subarray(0, 32));
      const nonce = hex(inputOf(11).subarray(0, 12));
      const empty = await storeCounts(ext);
      const trip = await runToEnd(
        ext,
        {
          name: 'store round trip',
          steps: [
            { name: 'compress', library: 'storage', method: 'compress', params: { quality: 5 } },
            {
              name: 'encrypt',
              library: 'crypto',
              method: 'chacha20poly1305_encrypt',
              params: { key: '${vars.key}', nonce: '${vars.nonce}' },
            },
            { name: 'put', library: 'storage', method: 'put' },
            {
              name: 'get',
              library: 'storage',
              method: 'get',
              params: { address: '${steps.put.hex}' },
              input: 'none',
            },
            {
              name: 'decrypt',
              library: 'crypto',
              method: 'chacha20poly1305_decrypt',
              params: { key: '${vars.key}', nonce: '${vars.nonce}' },
            },
            { name: 'decompress', library: 'storage', method: 'decompress' },
          ],
          onError: 'rollback',
          vars: { key, nonce },
        },
        text,
        'round trip',
      );
      expect([trip.status, trip.error]).toEqual(['committed', '']);
      expect(trip.outputHex).toBe(hex(text));
      const kept = await storeCounts(ext);
      expect(kept.entries).toBeGreaterThan(empty.entries);
      expect(kept.files).toBeGreaterThan(empty.files);

      // Rollback: a failing third step undoes the two puts; their chunks leave the store.
      const rolled = await runToEnd(
        ext,
        {
          steps: [
            { name: 'put1', library: 'storage', method: 'put' },
            { name: 'put2', library: 'storage', method: 'put', input: 'steps.put1' },
            { name: 'bad', library: 'storage', method: 'decompress', input: 'steps.put2' },
          ],
          onError: 'rollback',
        },
        inputOf(1),
        'put → put → failing step',
      );
      expect([rolled.status, rolled.error]).toEqual([
        'rolledBack',
        expect.stringMatching(/^step bad: badInput/),
      ]);
      expect(rolled.steps.map((x) => x.status)).toEqual(['compensated', 'compensated', 'failed']);
      expect(await storeCounts(ext)).toEqual(kept);

      // The document closed after the put: the new one resumes, the put is reused, not run again.
      const input = inputOf(2);
      const { id } = await ext.ask('workflow/start', {
        // Ten times the searches: on an idle machine 3 × COUNT ran out before closeDocument landed
        // (the workflow committed in the old document, recovered "no").
        definition: searchWorkflow('closed', 'resume', 10 * COUNT),
        inputHex: hex(input),
      });
      const mid = await waitFor(
        () => status(ext, id),
        (s) => (s.unfinished[0]?.done.length ?? 0) >= 1,
        { timeoutMs: 60_000, everyMs: 50, what: 'the put done' },
      );
      expect(mid.unfinished[0]!.done).not.toContain(3);
      const stored = await storeCounts(ext);
      expect(stored.entries).toBeGreaterThan(kept.entries);
      const sw = await ext.serviceWorker();
      await sw.evaluate(() =>
        (globalThis as unknown as { chrome: PageChrome }).chrome.offscreen.closeDocument(),
      );
      const end = await waitFor(() => status(ext, id), finished, {
        timeoutMs: 90_000,
        everyMs: 250,
        what: 'the workflow finished after the document was recreated',
      });
      const r = end.finished[0]!;
      expect([r.status, r.recovered, r.error]).toEqual(['committed', 'resumed', '']);
      expect(r.steps.map((s) => s.status)).toEqual(['reused', 'ok', 'ok', 'ok', 'ok']);
      expect(r.outputHex).toBe(hex(input));
      expect(end.unfinished).toEqual([]);
      expect(await storeCounts(ext)).toEqual(stored);
    } finally {
      await ext.close();
    }
  }, 180_000);

  it('the browser killed mid-workflow and relaunched: one resumes, one rolls back (its policy)', async () => {
    let ext = await launchExtension({ userDataDir: profile });
    let ids: { resume: string; rollback: string };
    let before: { entries: number; files: number };
    let mid: { entries: number; files: number };
    try {
      before = await storeCounts(ext);
      ids = {
        resume: (
          await ext.ask('workflow/start', {
            definition: searchWorkflow('kill-resume', 'resume'),
            inputHex: hex(inputOf(3)),
          })
        ).id,
        rollback: (
          await ext.ask('workflow/start', {
            definition: searchWorkflow('kill-rollback', 'rollback'),
            inputHex: hex(inputOf(4)),
          })
        ).id,
      };
      await waitFor(
        () => ext.ask('workflow/status', {}),
        (s) => s.unfinished.length === 2 && s.unfinished.every((u) => u.done.length >= 1),
        { timeoutMs: 90_000, everyMs: 50, what: 'the put done in each workflow' },
      );
      mid = await storeCounts(ext); // both puts done: what the killed browser leaves in the store
      process.kill(browserPid(profile), 'SIGKILL');
    } finally {
      await Promise.race([ext.close(), new Promise((r) => setTimeout(r, 5_000))]);
    }
    // The killed browser left its profile lock behind (its process is gone, checked above by pid).
    for (const f of ['SingletonLock', 'SingletonSocket', 'SingletonCookie'])
      rmSync(join(profile, f), { force: true });
    ext = await launchExtension({ userDataDir: profile });
    try {
      const resumed = await waitFor(() => status(ext, ids.resume), finished, {
        timeoutMs: 90_000,
        everyMs: 250,
        what: 'the resumed workflow finished after the relaunch',
      });
      const r = resumed.finished[0]!;
      expect([r.status, r.recovered, r.error]).toEqual(['committed', 'resumed', '']);
      expect(r.steps[0]!.status).toBe('reused');
      expect(r.outputHex).toBe(hex(inputOf(3)));
      const rolled = await waitFor(() => status(ext, ids.rollback), finished, {
        timeoutMs: 30_000,
        everyMs: 250,
        what: 'the other workflow rolled back after the relaunch',
      });
      const b = rolled.finished[0]!;
      expect([b.status, b.recovered]).toEqual(['rolledBack', 'rolledBack']);
      expect(b.error).toMatch(/recovery policy is rollback/);
      expect(b.steps[0]!.status).toBe('compensated');
      expect(b.outputHex).toBe('');
      // Each put stored one blob of the same shape (one chunk): the killed browser left both; the
      // resumed one stays (not lost, not stored twice), the rolled-back one is gone.
      const after = await storeCounts(ext);
      expect(after.entries - before.entries).toBeGreaterThan(0);
      expect([mid.entries - before.entries, mid.files - before.files]).toEqual([
        2 * (after.entries - before.entries),
        2 * (after.files - before.files),
      ]);
      expect((await ext.ask('workflow/status', {})).unfinished).toEqual([]);

      // The Metrics view, after some jobs of known outcome: sha256(sha256("abc")) and a refused step.
      const { id } = await ext.ask('workflow/start', {
        definition: JSON.stringify({
          steps: [
            { name: 'h1', library: 'crypto', method: 'sha256' },
            { name: 'h2', library: 'crypto', method: 'sha256' },
          ],
        }),
        inputHex: Buffer.from('abc').toString('hex'),
      });
      const done = await waitFor(() => status(ext, id), finished, {
        timeoutMs: 60_000,
        what: 'sha256 twice',
      });
      const once = createHash('sha256').update('abc').digest();
      expect(done.finished[0]!.outputHex).toBe(createHash('sha256').update(once).digest('hex'));
      await ext.ask('contribute/set', { on: false });
      // Numbers hold still once the pool is paused (a job in flight may still finish).
      let prev = '';
      const m = await waitFor(
        () => ext.ask('metrics/get'),
        (x) => {
          const same = JSON.stringify(x) === prev;
          prev = JSON.stringify(x);
          return same;
        },
        { timeoutMs: 30_000, everyMs: 1_500, what: 'metrics holding still' },
      );
      const sha = m.summary.find((s) => s.key === 'crypto.sha256')!;
      expect([sha.count, sha.successRate, m.methods['crypto.sha256']!.count]).toEqual([2, 1, 2]);
      // At least the steps that finished: 3 + 3 (closed document: some rerun) + resumed + rolled back ones.
      expect(m.methods['pow.search']!.count).toBeGreaterThanOrEqual(6);
      expect(m.workflows.byOutcome.committed).toBeGreaterThanOrEqual(3);
      expect(m.workflows.byOutcome.rolledBack).toBeGreaterThanOrEqual(1);
      // Same shape and summary as `inos metrics --json` would print for this snapshot (Node's and
      // Chromium's Math.log2 may differ in the last bit, hence 12 significant digits).
      expect(rounded(new Metrics(m).exportJson())).toEqual(rounded(m));

      const popup = await ext.openPopup();
      expect(await popup.getByTestId('open-metrics').getAttribute('href')).toBe('/metrics.html');
      const page = await ext.context.newPage();
      await page.goto(`chrome-extension://${ext.extensionId}/metrics.html`);
      const row = page.getByTestId('row-crypto.sha256');
      await expect.poll(() => row.getByTestId('count').textContent(), { timeout: 15_000 }).toBe('2');
      expect(await row.getByTestId('success').textContent()).toBe('100.0 %');
      expect(await row.getByTestId('slo-violations').textContent()).toBe(String(sha.sloViolations));
      expect(await row.getByTestId('budget').textContent()).toContain(`${sha.costUsed}/${sha.budget}`);
      const powRow = page.getByTestId('row-pow.search');
      expect(await powRow.getByTestId('count').textContent()).toBe(String(m.methods['pow.search']!.count));
      expect(await page.getByTestId('workflows').textContent()).toContain(
        `Workflows: ${m.workflows.count} (`,
      );
      for (const key of Object.keys(m.methods))
        expect(await page.getByTestId(`chart-${key}`).locator('canvas').count()).toBe(1);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('export-json').click(),
      ]);
      expect(download.suggestedFilename()).toBe('inos-metrics.json');
      const exported = JSON.parse(readFileSync((await download.path())!, 'utf8')) as MetricsExport;
      expect(exported).toEqual(await ext.ask('metrics/get'));
      expect(Object.keys(exported).sort()).toEqual([
        'arena',
        'methods',
        'since',
        'summary',
        'version',
        'workflows',
      ]);
    } finally {
      await ext.close();
    }
  }, 240_000);
});
