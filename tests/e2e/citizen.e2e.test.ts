/**
 * A good citizen: contributing waits while the user's own programs keep the computer busy (BOINC's
 * "suspend while non-BOINC CPU use is above N%", default 25%), says so, and comes back once the
 * machine has been quiet for the hold. The reading itself comes from chrome.system.cpu (checked here to
 * work in this Chromium); the test pins it (test builds only) so the outcome does not depend on what
 * else this machine runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCpu } from './_cpu';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';

let ext: ExtensionUnderTest;

beforeAll(async () => {
  ext = await launchExtension({ testBuild: true, busyThresholdPercent: 25 });
});
afterAll(async () => {
  await ext?.close();
});

describe('contributing waits while the computer is busy', () => {
  it('chrome.system.cpu reports per-core times to the service worker', async () => {
    const sw = await ext.serviceWorker();
    const info = (await sw.evaluate(() =>
      (
        globalThis as unknown as {
          chrome: { system: { cpu: { getInfo(): Promise<{ processors: { usage: { total: number } }[] }> } } };
        }
      ).chrome.system.cpu.getInfo(),
    )) as { processors: { usage: { total: number } }[] };
    expect(info.processors.length).toBeGreaterThan(0);
    expect(info.processors.every((p) => p.usage.total > 0)).toBe(true);
  });

  it('parks the workers and says why while other CPU use is above the threshold, then resumes after the hold', async () => {
    await ext.ask('settings/set', {
      busy: { thresholdPercent: 25, resumeAfterSec: 3 },
      active: { workers: 1, dutyPercent: 100 },
    });
    await ext.ask('test/set-other-cpu', { percent: 5 });
    await ext.ask('contribute/set', { on: true });
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.phase === 'running',
      { what: 'running', timeoutMs: 20_000 },
    );
    await waitFor(
      () => measureCpu(ext.userDataDir, 500),
      (c) => c.workerPct > 5,
      { what: 'the worker to run', timeoutMs: 20_000 },
    );

    await ext.ask('test/set-other-cpu', { percent: 60 });
    const busy = await waitFor(
      () => ext.ask('status/get'),
      (s) => s.phase === 'suspended',
      { what: 'the busy suspension', timeoutMs: 10_000 },
    );
    expect(busy.reason).toBe('busy');
    expect(busy.text).toBe('Waiting: your computer is busy');
    const popup = await ext.openPopup();
    await expect.poll(() => popup.getByTestId('status').textContent()).toBe('Waiting: your computer is busy');
    await popup.close();
    // Parked within a checkpoint: the kernel sees the workers go quiet.
    await waitFor(
      () => measureCpu(ext.userDataDir, 500),
      (c) => c.workerPct < 3,
      { what: 'the workers to park', timeoutMs: 5_000 },
    );

    await ext.ask('test/set-other-cpu', { percent: 5 });
    const quietAt = Date.now();
    await waitFor(
      () => ext.ask('status/get'),
      (s) => s.phase === 'running',
      { what: 'resume after the hold', timeoutMs: 30_000 },
    );
    // Held for resumeAfterSec (3 s), no flapping: a lower bound, which a busy machine cannot break.
    expect(Date.now() - quietAt).toBeGreaterThanOrEqual(2_500);
    await ext.ask('test/set-other-cpu', { percent: null });
  });
});
