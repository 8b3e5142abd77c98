/**
 * Workflows in the real extension: the orchestrator in the offscreen document, its journal in the
 * extension origin's IndexedDB, and crash recovery when the document is closed or the browser is
 * killed (SIGKILL) mid-workflow and relaunched with the same profile; then the Metrics view.
 *
 * The steps are proof-of-work searches (slow enough to interrupt) and SHA-256: storage.put/get do not
 * run in the extension's pool workers yet (no chunk store there), so no step here has an effect to
 * undo; each step's effect-once rule with a real `once` step is shown by
 * tests/unit/workflow/workflow-host.test.ts on the same host code with the IndexedDB journal.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowStatus } from '../../src/messaging/protocol';
import { Metrics, type MetricsExport } from '../../src/workflow/metrics';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';

const profile = mkdtempSync(join(tmpdir(), 'inos-wf-e2e-'));
afterAll(() => rmSync(profile, { recursive: true, force: true }));

/** Nonces per search step: about a second on one worker, so a stop lands between steps or inside one. */
const COUNT = 400_000;
/** A target no nonce in these ranges meets (difficulty ~2^70): every step searches its whole range. */
const BITS = 0x1b0404cb;
const HEADER = '00'.repeat(80);

function searchWorkflow(name: string, recovery: 'resume' | 'rollback'): string {
  const step = (i: number) => ({
    name: `search${i}`,
    library: 'pow',
    method: 'search',
    params: { header: HEADER, nonceStart: i * COUNT, count: COUNT, bits: BITS },
    input: 'none',
  });
  return JSON.stringify({ name, steps: [step(0), step(1), step(2)], onError: 'rollback', recovery });
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

/** The last step's output: its whole range searched, nothing found (so it really ran to the end). */
const expectFullSearch = (outputHex: string) => {
  const out = JSON.parse(Buffer.from(outputHex, 'hex').toString('utf8')) as Record<string, unknown>;
  expect(out).toMatchObject({ found: false, nonce: null, hash: null, hashes: COUNT, stopped: null });
};

describe('workflows in the extension', () => {
  it('the offscreen document closed mid-workflow: the new one resumes it from the journal', async () => {
    const ext = await launchExtension({ userDataDir: profile });
    try {
      await ext.ask('settings/set', { active: { workers: 1, dutyPercent: 100 } });
      await ext.ask('contribute/set', { on: true });
      await expect(
        ext.ask('workflow/start', { definition: '{"steps":[{"library":"nope"}]}' }),
      ).rejects.toThrow(/method/);
      const { id } = await ext.ask('workflow/start', { definition: searchWorkflow('closed', 'resume') });
      const mid = await waitFor(
        () => status(ext, id),
        (s) => (s.unfinished[0]?.done.length ?? 0) >= 1,
        { timeoutMs: 60_000, everyMs: 50, what: 'the first step done' },
      );
      expect(mid.unfinished[0]!.done).not.toContain(2);
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
      expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
      expectFullSearch(r.outputHex);
      expect(end.unfinished).toEqual([]);
    } finally {
      await ext.close();
    }
  }, 180_000);

  it('the browser killed mid-workflow and relaunched: one resumes, one rolls back (its policy)', async () => {
    let ext = await launchExtension({ userDataDir: profile });
    let ids: { resume: string; rollback: string };
    try {
      ids = {
        resume: (await ext.ask('workflow/start', { definition: searchWorkflow('kill-resume', 'resume') })).id,
        rollback: (
          await ext.ask('workflow/start', { definition: searchWorkflow('kill-rollback', 'rollback') })
        ).id,
      };
      await waitFor(
        () => ext.ask('workflow/status', {}),
        (s) => s.unfinished.length === 2 && s.unfinished.every((u) => u.done.length >= 1),
        { timeoutMs: 90_000, everyMs: 50, what: 'a finished step in each workflow' },
      );
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
      expectFullSearch(r.outputHex);
      const rolled = await waitFor(() => status(ext, ids.rollback), finished, {
        timeoutMs: 30_000,
        everyMs: 250,
        what: 'the other workflow rolled back after the relaunch',
      });
      const b = rolled.finished[0]!;
      expect([b.status, b.recovered]).toEqual(['rolledBack', 'rolledBack']);
      expect(b.error).toMatch(/recovery policy is rollback/);
      expect(b.outputHex).toBe('');
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
