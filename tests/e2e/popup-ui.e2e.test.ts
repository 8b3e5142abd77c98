import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EarningsView } from '../../src/messaging/protocol';
import { launchExtension, type ExtensionUnderTest } from './_extension';

let ext: ExtensionUnderTest;

beforeAll(async () => {
  ext = await launchExtension();
});
afterAll(async () => {
  await ext?.close();
});

/** Tabs through the page until the element with `testId` has focus (fails after `max` presses). */
async function tabTo(page: Page, testId: string, key: 'Tab' | 'Shift+Tab' = 'Tab', max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate((id) => document.activeElement?.getAttribute('data-testid') === id, testId))
      return;
  }
  throw new Error(`${testId} not reached with ${max} Tab presses`);
}

async function openSettings(page: Page): Promise<void> {
  await page.getByTestId('open-settings').click();
  await page.getByTestId('settings').waitFor();
  await page.getByRole('spinbutton', { name: 'Active workers duty cycle' }).waitFor();
}

describe('the popup on first run', () => {
  it('starts paused, shows the disclosure, and every earnings element', async () => {
    const popup = await ext.openPopup();
    await expect.poll(() => popup.getByTestId('status').textContent()).toBe('Paused — turn on to contribute');
    expect(await popup.getByRole('switch', { name: 'Contribute' }).getAttribute('aria-checked')).toBe(
      'false',
    );
    const disclosure = popup.getByTestId('disclosure');
    expect(await disclosure.isVisible()).toBe(true);
    const words = (await disclosure.textContent()) ?? '';
    expect(words).toMatch(/Nothing runs until you turn on Contribute/);
    expect(words.toLowerCase()).not.toContain('mining');
    expect(words.toLowerCase()).not.toContain('miner');

    // Whatever the ledger holds (or if it cannot answer yet), these are always there.
    await expect.poll(() => popup.getByTestId('balance').textContent()).toMatch(/^[\d,.]+ credits?$/);
    expect(await popup.getByTestId('earnings-today').isVisible()).toBe(true);
    expect(await popup.getByTestId('cpu-energy').textContent()).toMatch(/^CPU .+ · ≈ .+ Wh$/);
    const bars = popup.getByTestId('chart-7d').getByRole('img');
    expect(await bars.count()).toBe(7);
    for (const label of await bars.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))))
      expect(label).toMatch(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d{1,2} [A-Z][a-z]{2}: /);
    await popup.close();
  });
});

describe('the settings view', () => {
  it('opens with the keyboard and moves focus into it', async () => {
    const popup = await ext.openPopup();
    await popup.getByTestId('status').waitFor();
    await tabTo(popup, 'open-settings');
    await popup.keyboard.press('Enter');
    await popup.getByTestId('settings').waitFor();
    expect(await popup.evaluate(() => document.activeElement?.id)).toBe('settings-title');
    // Back, by keyboard too: focus returns to the Settings button.
    await tabTo(popup, 'back', 'Shift+Tab');
    await popup.keyboard.press('Enter');
    await expect
      .poll(() => popup.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('open-settings');
    await popup.close();
  });

  it('labels every input, and has every limit', async () => {
    const popup = await ext.openPopup();
    await openSettings(popup);
    const unnamed = await popup.evaluate(() =>
      [...document.querySelectorAll('input, textarea, select')]
        .filter((el) => {
          const named =
            (el as HTMLInputElement).labels?.[0]?.textContent?.trim() ||
            el.getAttribute('aria-label')?.trim() ||
            el.getAttribute('aria-labelledby');
          return !named;
        })
        .map((el) => el.outerHTML),
    );
    expect(unnamed).toEqual([]);
    // Playwright's own accessible-name computation agrees for each control the issue lists.
    for (const name of [
      'Active workers',
      'Active workers duty cycle',
      'Idle after',
      'Idle workers',
      'Idle workers duty cycle',
      'Run on battery above',
      'Resume margin',
      'Back-off after battery or heat',
    ])
      expect(await popup.getByRole('spinbutton', { name, exact: true }).count(), name).toBe(1);
    for (const name of [
      'GPU only when idle',
      'Run on battery',
      'Respect CPU pressure',
      'Only run on a schedule',
      'Run proof-of-work jobs',
      'Run crypto jobs',
      'Run storage jobs',
    ])
      expect(await popup.getByRole('checkbox', { name, exact: true }).count(), name).toBe(1);
    expect(await popup.getByRole('group', { name: 'Days' }).getByRole('checkbox').count()).toBe(7);
    expect(await popup.getByLabel('From', { exact: true }).getAttribute('type')).toBe('time');
    const duty = popup.getByRole('spinbutton', { name: 'Active workers duty cycle' });
    expect([await duty.getAttribute('min'), await duty.getAttribute('max')]).toEqual(['10', '100']);
    expect(await popup.getByTestId('isolation').textContent()).not.toBe('');
    expect(await popup.getByTestId('workers').isVisible()).toBe(true);
    await popup.close();
  });

  it('saves "Active workers duty cycle" = 25, which is still there when the popup opens again', async () => {
    let popup = await ext.openPopup();
    await openSettings(popup);
    const duty = popup.getByRole('spinbutton', { name: 'Active workers duty cycle' });
    await duty.fill('25');
    await duty.press('Tab');
    await expect
      .poll(() => popup.getByTestId('settings-saved').textContent())
      .toBe('Saved: Active workers duty cycle');
    expect((await ext.ask('settings/get')).active.dutyPercent).toBe(25);
    await popup.close();

    popup = await ext.openPopup();
    await openSettings(popup);
    expect(await popup.getByRole('spinbutton', { name: 'Active workers duty cycle' }).inputValue()).toBe(
      '25',
    );
    await popup.close();
  });

  it('refuses an out-of-range value with an error naming the field, and keeps the saved one', async () => {
    const popup = await ext.openPopup();
    await openSettings(popup);
    const idleAfter = popup.getByRole('spinbutton', { name: 'Idle after' });
    const before = (await ext.ask('settings/get')).idleAfterSec;
    await idleAfter.fill('5');
    await idleAfter.press('Tab');
    const alert = popup.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Idle after: must be 15–3600 s (you entered 5)');
    expect(await idleAfter.getAttribute('aria-invalid')).toBe('true');
    expect((await ext.ask('settings/get')).idleAfterSec).toBe(before);
    await popup.close();
  });

  it('sends a checkbox change at once (per-capsule opt-out)', async () => {
    const popup = await ext.openPopup();
    await openSettings(popup);
    const storage = popup.getByRole('checkbox', { name: 'Run storage jobs' });
    expect(await storage.isChecked()).toBe(true);
    await storage.press('Space');
    await expect.poll(async () => (await ext.ask('settings/get')).optOut).toEqual(['storage']);
    await storage.press('Space');
    await expect.poll(async () => (await ext.ask('settings/get')).optOut).toEqual([]);
    await popup.close();
  });

  it('exports an encrypted backup after confirmation, restores it, and explains a bad import', async () => {
    const popup = await ext.openPopup();
    await openSettings(popup);
    const pass = 'correct horse battery staple';
    await popup.getByLabel('Backup passphrase').fill(pass);
    await popup.getByLabel('Repeat passphrase').fill(pass);
    await popup.getByRole('button', { name: 'Export backup' }).click();
    // Nothing is exported until the user confirms.
    await popup.getByTestId('export-confirm').waitFor();
    expect(await popup.getByTestId('backup-text').count()).toBe(0);
    await popup.getByRole('button', { name: 'Yes, export' }).click();
    const backup = popup.getByTestId('backup-text');
    await backup.waitFor({ timeout: 60_000 });
    expect(await backup.getAttribute('readonly')).not.toBeNull();
    const text = await backup.inputValue();
    expect(JSON.parse(text)).toMatchObject({ format: 'inos-wallet', version: 2 });
    expect(await popup.getByTestId('backup-warning').locator('strong').textContent()).not.toBe('');
    expect(await popup.getByTestId('backup-download').getAttribute('download')).toMatch(
      /^inos-wallet-.*\.json$/,
    );

    await popup.getByLabel('Backup to import').fill('not a backup');
    await popup.getByRole('button', { name: 'Import backup' }).click();
    await popup.getByRole('button', { name: 'Yes, import' }).click();
    await expect.poll(() => popup.getByTestId('import-error').textContent()).toMatch(/^Import failed: .+/);

    // The backup restores this wallet (same node: no credits are discarded, so one confirmation).
    const { nodeId } = await ext.ask('earnings/get', { utcOffsetMin: 0 });
    await popup.getByLabel('Backup to import').fill(text);
    await popup.getByLabel('Its passphrase').fill(pass);
    await popup.getByRole('button', { name: 'Import backup' }).click();
    await popup.getByRole('button', { name: 'Yes, import' }).click();
    await expect
      .poll(() => popup.getByTestId('import-done').textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`node ${nodeId.slice(0, 6)}.*balance \\d`));
    await popup.close();
  });
});

describe('pause controls while contributing', () => {
  it('snoozes for an hour, resumes, and finishes then pauses', async () => {
    const popup = await ext.openPopup();
    const status = popup.getByTestId('status');
    await popup.getByRole('switch', { name: 'Contribute' }).press('Space');
    await expect.poll(() => popup.getByTestId('snooze').isVisible()).toBe(true);
    await popup.getByRole('button', { name: 'Snooze 1 h' }).click();
    await expect.poll(() => status.textContent()).toMatch(/^Snoozed until /);
    const { snoozeUntil } = await ext.ask('status/get');
    expect(snoozeUntil! - Date.now()).toBeGreaterThan(59 * 60_000);
    await popup.getByRole('button', { name: 'Resume now' }).click();
    await expect.poll(() => status.textContent()).not.toMatch(/^Snoozed/);
    await popup.getByRole('button', { name: 'Finish, then pause' }).click();
    await expect
      .poll(() => status.textContent(), { timeout: 15_000 })
      .toMatch(/^(Finishing current work, then pausing|Paused by you)$/);
    expect(await popup.getByTestId('snooze').count()).toBe(0);
    await popup.close();
  });
});

describe('earnings as the ledger reports them', () => {
  const DAY = 86_400_000;
  const now = Date.now();
  const day = (msAgo: number) => {
    const d = new Date(now - msAgo);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  // The ledger's answer is pinned in the page (a fake at the edge), so the rendering is checked exactly.
  const earnings: EarningsView = {
    nodeId: 'ab'.repeat(32),
    balance: 12_345_678,
    pending: 500_000,
    paidByPeers: 0,
    proofOfWork: 12_345_678,
    held: 0,
    spent: 0,
    today: 1_200,
    todayPending: 300,
    last7Days: [6, 5, 4, 3, 2, 1, 0].map((i) => ({
      day: day(i * DAY),
      credits: i === 0 ? 1_200 : 0,
      pending: i === 0 ? 300 : 0,
    })),
    recent: [
      {
        id: 'a',
        capsule: 'pow',
        jobId: 'j1',
        time: now - 60_000,
        credits: 1_200,
        state: 'estimated',
        reason: '',
        cpuMs: 41_000,
        counted: false,
      },
      {
        id: 'b',
        capsule: 'crypto',
        jobId: 'j2',
        time: now - 120_000,
        credits: 300,
        state: 'verified',
        reason: '',
        cpuMs: 9_000,
        counted: false,
      },
      {
        id: 'c',
        capsule: 'storage',
        jobId: 'j3',
        time: now - 180_000,
        credits: 4_100,
        state: 'settled',
        reason: '',
        cpuMs: 72_000,
        counted: true,
      },
      {
        id: 'd',
        capsule: 'pow',
        jobId: 'j4',
        time: now - 240_000,
        credits: 0,
        state: 'rejected',
        reason: 'rejected: bad signature',
        cpuMs: 0,
        counted: false,
        refused: 'bad-signature',
      },
    ],
    cpuMs: 192_000,
    energyWh: 0.32,
    wattsPerCore: 6,
  };

  it('shows balance, today, the chart, recent jobs with badges and reasons, and CPU/energy', async () => {
    const page = await ext.context.newPage();
    await page.addInitScript((fake) => {
      const rt = (
        globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }
      ).chrome.runtime;
      const real = rt.sendMessage.bind(rt);
      const fakeSend = (m: unknown) =>
        (m as { type?: string }).type === 'earnings/get' ? Promise.resolve({ ok: true, res: fake }) : real(m);
      Object.defineProperty(rt, 'sendMessage', { value: fakeSend, configurable: true });
    }, earnings);
    await page.setViewportSize({ width: 340, height: 600 });
    await page.goto(`chrome-extension://${ext.extensionId}/popup.html`);

    await expect.poll(() => page.getByTestId('balance').textContent()).toBe('12.345678 credits');
    expect(await page.getByTestId('balance-note').textContent()).toBe('+0.5 pending verification');
    expect(await page.getByTestId('earnings-today').textContent()).toBe(
      'Today 0.0012 credits +0.0003 pending',
    );
    expect(await page.getByTestId('cpu-energy').textContent()).toBe('CPU 3 min 12 s · ≈ 0.32 Wh');
    // Earnings by source; a zero says why.
    expect(await page.getByTestId('earned-pow').textContent()).toBe('12.345678 credits');
    expect(await page.getByTestId('earned-peers').textContent()).toMatch(
      /^0 — no peer has paid for work yet/,
    );
    const bars = page.getByTestId('chart-7d').getByRole('img');
    expect(await bars.count()).toBe(7);
    expect(await bars.nth(6).getAttribute('aria-label')).toMatch(
      /^\w{3} \d{1,2} \w{3}: 0\.0012 credits, 0\.0003 pending$/,
    );
    expect(await bars.nth(0).getAttribute('aria-label')).toMatch(/: 0 credits$/);

    const rows = page.getByTestId('recent-jobs').getByTestId('job-row');
    expect(await rows.count()).toBe(4);
    expect(await rows.getByTestId('job-state').allTextContents()).toEqual([
      'Estimated',
      'Verified',
      'Settled',
      'Rejected',
    ]);
    expect(await rows.nth(0).textContent()).toContain('Proof-of-work');
    expect(await rows.nth(0).textContent()).toContain('+0.0012');
    expect(await rows.nth(3).getByTestId('job-reason').textContent()).toBe('rejected: bad signature');

    await openSettings(page);
    expect(await page.getByTestId('node-id').getAttribute('title')).toBe(earnings.nodeId);
    expect(await page.getByTestId('node-id').textContent()).toBe('abababab…abababab');
    await page.close();
  });
});
