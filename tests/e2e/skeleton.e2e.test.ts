import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';

let ext: ExtensionUnderTest;

beforeAll(async () => {
  ext = await launchExtension();
});
afterAll(async () => {
  await ext?.close();
});

describe('the offscreen compute host', () => {
  it('is cross-origin isolated and its workers write into its SharedArrayBuffer', async () => {
    const d = await waitFor(
      () => ext.ask('diagnostics/get'),
      (d) =>
        !!d.offscreen &&
        d.offscreen.workers.length > 0 &&
        d.offscreen.workers.every((w) => w.ready === w.expectedReady),
      { what: 'all workers ready' },
    );
    const host = d.offscreen!;
    expect(host.crossOriginIsolated).toBe(true);
    expect(host.sharedBufferBytes).toBe(32 * 1024 * 1024);
    const cores = await (await ext.openPopup()).evaluate(() => navigator.hardwareConcurrency);
    expect(host.workers.length).toBe(Math.max(1, Math.min(32, cores - 1)));
    // The counters keep moving: each worker is alive and writing into memory the document reads.
    const later = await waitFor(
      () => ext.ask('diagnostics/get'),
      (n) => n.offscreen!.workers.every((w, i) => w.heartbeat > host.workers[i]!.heartbeat),
      { what: 'worker heartbeats to advance' },
    );
    expect(later.offscreen!.instanceId).toBe(host.instanceId);
  });
});

describe('the popup toggle and the lifecycle', () => {
  it('starts paused with a disclosure, runs when turned on, and survives a service-worker stop', async () => {
    let popup = await ext.openPopup();
    const status = popup.getByTestId('status');
    const toggle = popup.getByRole('switch', { name: 'Contribute' });
    await expect.poll(() => status.textContent()).toContain('Paused — turn on to contribute');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await expect.poll(() => popup.getByTestId('disclosure').isVisible()).toBe(true);
    expect(await popup.getByTestId('balance').textContent()).toContain('0');

    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await expect
      .poll(() => status.textContent(), { timeout: 10_000 })
      .toMatch(/^Running: \d+ workers?( at \d+%)?$/);

    const { backgroundStartedAt: firstWorker } = await ext.ask('diagnostics/get');
    await ext.stopServiceWorker();
    await popup.close();
    popup = await ext.openPopup();
    await expect
      .poll(() => popup.getByTestId('status').textContent(), { timeout: 10_000 })
      .toMatch(/^Running: \d+ workers?( at \d+%)?$/);
    // It really was a new service-worker instance that restored the state.
    expect((await ext.ask('diagnostics/get')).backgroundStartedAt).toBeGreaterThan(firstWorker);
    expect(await popup.getByRole('switch', { name: 'Contribute' }).getAttribute('aria-checked')).toBe('true');

    await popup.getByRole('switch', { name: 'Contribute' }).click();
    await expect.poll(() => popup.getByTestId('status').textContent()).toBe('Paused by you');
    await ext.stopServiceWorker();
    await popup.close();
    popup = await ext.openPopup();
    // A restarted service worker first answers after its state loads: as long as after the first stop.
    await expect
      .poll(() => popup.getByTestId('status').textContent(), { timeout: 10_000 })
      .toBe('Paused by you');
    expect(await popup.getByRole('switch', { name: 'Contribute' }).getAttribute('aria-checked')).toBe(
      'false',
    );
    await popup.close();
  });

  it('delivers a heartbeat to the background at least every 1.5 s while running', async () => {
    await ext.ask('contribute/set', { on: true });
    await new Promise((r) => setTimeout(r, 7_000));
    const { heartbeatArrivals: t } = await ext.ask('diagnostics/get');
    const recent = t.filter((x) => x >= Date.now() - 6_000);
    expect(recent.length).toBeGreaterThanOrEqual(4);
    const gaps = recent.slice(1).map((x, i) => x - recent[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_500);
    expect(Date.now() - recent.at(-1)!).toBeLessThanOrEqual(1_500);
  });

  it('recreates the offscreen document closed from outside, and its workers return', async () => {
    await ext.ask('contribute/set', { on: true });
    const before = await waitFor(
      () => ext.ask('diagnostics/get'),
      (d) => !!d.offscreen,
      { what: 'host up' },
    );
    const sw = await ext.serviceWorker();
    const closedAt = Date.now();
    await sw.evaluate(() =>
      (globalThis as unknown as { chrome: PageChrome }).chrome.offscreen.closeDocument(),
    );
    const after = await waitFor(
      () => ext.ask('diagnostics/get'),
      (d) =>
        !!d.offscreen &&
        d.offscreen.instanceId !== before.offscreen!.instanceId &&
        d.offscreen.workers.length > 0 &&
        d.offscreen.workers.every((w) => w.ready === w.expectedReady),
      { timeoutMs: 30_000, what: 'a new host with ready workers' },
    );
    // One alarm period is 30 s; the port-close path normally brings it back in well under a second.
    expect(Date.now() - closedAt).toBeLessThan(30_000);
    expect(after.offscreenCreations).toBeGreaterThanOrEqual(1);
    // The status reflects the last heartbeat, which may predate the workers' start by up to 1 s.
    const status = await waitFor(
      () => ext.ask('status/get'),
      (s) =>
        s.phase === 'running' &&
        s.text.startsWith('Running') &&
        s.host.workersAlive === after.offscreen!.workers.length,
      { what: 'a heartbeat with every worker of the new host alive' },
    );
    expect(status.host.workersAlive).toBe(after.offscreen!.workers.length);
    // The new host gets work at once: the old host's jobs are requeued on its hello instead of
    // occupying its slots until their 5-minute deadline (the requirement: within seconds).
    const fed = await waitFor(
      () => ext.ask('diagnostics/get'),
      (d) => d.offscreen?.instanceId === after.offscreen!.instanceId && d.offscreen.firstJobAt !== null,
      { timeoutMs: 30_000, what: 'a first job on the new host' },
    );
    const helloToJob = fed.offscreen!.firstJobAt! - fed.offscreen!.helloAt!;
    console.info(`[restart] new host hello → first job: ${helloToJob} ms`);
    expect(helloToJob).toBeLessThanOrEqual(10_000);
  });
});
