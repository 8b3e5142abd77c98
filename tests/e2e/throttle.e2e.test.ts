/**
 * The contributor's promise, in a real Chromium running the test build (idle and power can be
 * driven; everything else is the shipped code). CPU is measured by the kernel (/proc), never assumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCpu } from './_cpu';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';

let ext: ExtensionUnderTest;

beforeAll(async () => {
  ext = await launchExtension({ testBuild: true });
});
afterAll(async () => {
  await ext?.close();
});

const credits = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, '') || '0');

describe('contributing without being noticed', () => {
  it('starts paused; once turned on, earnings appear within two minutes while the user is active, within the in-use limit', async () => {
    const popup = await ext.openPopup();
    await expect.poll(() => popup.getByTestId('status').textContent()).toBe('Paused — turn on to contribute');
    expect(credits(await popup.getByTestId('balance').textContent())).toBe(0);
    await new Promise((r) => setTimeout(r, 3_000)); // workers finish loading their modules
    const idle = await measureCpu(ext.userDataDir, 2_000);
    expect(idle.workerPct).toBeLessThan(2);

    const t0 = Date.now();
    await popup.getByRole('switch', { name: 'Contribute' }).click();
    await expect
      .poll(() => popup.getByTestId('status').textContent(), { timeout: 10_000 })
      .toBe('Running: 1 worker at 50%');
    const load = await measureCpu(ext.userDataDir, 10_000);
    await expect
      .poll(async () => credits(await popup.getByTestId('balance').textContent()), {
        timeout: 120_000 - (Date.now() - t0),
        interval: 1_000,
      })
      .toBeGreaterThan(0);
    console.log(
      `first earnings after ${((Date.now() - t0) / 1000).toFixed(1)} s; worker CPU ${load.workerPct.toFixed(1)}% (cap 50%)`,
    );
    // The cap is an upper bound (a real requirement); how far below it the worker lands depends on what
    // else the machine runs, so the lower bound is checked as a ratio in the duty-cycle test below.
    expect(load.workerPct).toBeLessThanOrEqual(50 + 10);
    expect(credits(await popup.getByTestId('earnings-today').textContent())).toBeGreaterThan(0);
    await popup.close();
  });

  it('stops all work within 2 s on battery, and resumes on AC after the hold', async () => {
    await ext.ask('settings/set', { backoffMinutes: 0, active: { workers: 1, dutyPercent: 100 } });
    await ext.ask('contribute/set', { on: true });
    await waitFor(
      () => measureCpu(ext.userDataDir, 500),
      (c) => c.workerPct > 5, // running at all (parked workers use < 2%); a busy machine gives an uncapped worker far less than a core
      { what: 'the worker to run', timeoutMs: 20_000 },
    );

    const unplugged = Date.now();
    await ext.askOffscreen('test/set-power', { charging: false, level: 0.8 });
    // Find when the worker went quiet: successive 250 ms windows with no worker CPU.
    let quietAt = 0;
    while (Date.now() - unplugged < 5_000) {
      const c = await measureCpu(ext.userDataDir, 250);
      if (c.workerPct < 5) {
        quietAt = Date.now() - 250;
        break;
      }
    }
    expect(quietAt).toBeGreaterThan(0);
    console.log(`battery: quiet ${quietAt - unplugged} ms after unplugging`);
    expect(quietAt - unplugged).toBeLessThanOrEqual(2_000);
    expect((await ext.ask('status/get')).text).toBe('On battery');
    const still = await measureCpu(ext.userDataDir, 1_000);
    expect(still.workerPct).toBeLessThan(3);

    const pluggedIn = Date.now();
    await ext.askOffscreen('test/set-power', { charging: true, level: 0.8 });
    const resumed = await waitFor(
      () => ext.ask('status/get'),
      (s) => s.phase === 'running',
      {
        timeoutMs: 20_000,
        everyMs: 100,
        what: 'resume after the hold',
      },
    );
    const after = Date.now() - pluggedIn;
    console.log(`battery: resumed ${after} ms after AC (hold: 2 s)`);
    expect(resumed.phase).toBe('running');
    expect(after).toBeGreaterThanOrEqual(1_500); // held, no flapping
    await waitFor(
      () => measureCpu(ext.userDataDir, 500),
      (c) => c.workerPct > 5, // running at all (parked workers use < 2%); a busy machine gives an uncapped worker far less than a core
      { what: 'work to resume', timeoutMs: 10_000 },
    );
    await ext.askOffscreen('test/set-power', null);
  });

  // The cap is an upper bound on measured CPU. The lower side is a ratio against what the same worker gets
  // uncapped in this run: on a busy machine an uncapped worker gets less than a core (measured: 47% at a
  // 75% cap with two other processes running), and a capped one proportionally less.
  it('never exceeds the duty-cycle cap, and runs at cap × what an uncapped worker gets (one worker, 15 s each)', async () => {
    await ext.ask('contribute/set', { on: true });
    const results: Record<number, number> = {};
    for (const duty of [100, 25, 50, 75]) {
      await ext.ask('settings/set', { active: { workers: 1, dutyPercent: duty } });
      await new Promise((r) => setTimeout(r, 2_000)); // let the next cycle start under the new cap
      results[duty] = (await measureCpu(ext.userDataDir, 15_000)).workerPct;
    }
    const uncapped = results[100]!;
    console.log(`duty cycle: ${JSON.stringify(results)} (uncapped reference ${uncapped.toFixed(1)}%)`);
    expect(uncapped).toBeGreaterThan(10);
    for (const duty of [25, 50, 75]) {
      const pct = results[duty]!;
      expect(pct, `cap ${duty}%`).toBeLessThanOrEqual(duty + 10);
      expect(pct / uncapped, `cap ${duty}% relative to uncapped`).toBeGreaterThanOrEqual((duty / 100) * 0.7);
    }
  });

  it('goes quiet within 1 s of "pause" in the popup', async () => {
    await ext.ask('settings/set', { active: { workers: 1, dutyPercent: 100 } });
    await ext.ask('contribute/set', { on: true });
    await waitFor(
      () => measureCpu(ext.userDataDir, 500),
      (c) => c.workerPct > 5, // running at all (parked workers use < 2%); a busy machine gives an uncapped worker far less than a core
      { what: 'the worker to run', timeoutMs: 20_000 },
    );
    const popup = await ext.openPopup();
    const toggle = popup.getByRole('switch', { name: 'Contribute' });
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await popup.close(); // the popup's own polling is not the extension working
    const page = await ext.openPopup();
    await page.getByRole('switch', { name: 'Contribute' }).click();
    const clicked = Date.now();
    await page.close();
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() - clicked)));
    const c = await measureCpu(ext.userDataDir, 2_000);
    console.log(
      `paused: from 1 s after the click, workers ${c.workerPct.toFixed(1)}%, all processes ${c.totalPct.toFixed(1)}%`,
    );
    expect(c.workerPct).toBeLessThan(2);
    // Everything else: Chromium itself and this test's own probe page polling the background.
    expect(c.totalPct).toBeLessThan(15);
    expect((await ext.ask('status/get')).text).toBe('Paused by you');
  });

  it('rejects a forged or replayed receipt and shows it with its reason', async () => {
    const history = await ext.ask('ledger/history');
    const genuine = history.find((e) => e.kind === 'receipt');
    expect(genuine).toBeDefined();
    await expect(ext.ask('ledger/append', { record: genuine })).rejects.toThrow(/replay/i);
    const forged = { ...genuine!, credits: genuine!.credits * 1000 };
    await expect(ext.ask('ledger/append', { record: forged })).rejects.toThrow(/signature|chain|replay/i);
    const popup = await ext.openPopup();
    await expect
      .poll(() => popup.getByTestId('recent-jobs').textContent(), { timeout: 10_000 })
      .toMatch(/rejected: (replayed|bad signature)/i);
    await popup.close();
  });
});
