import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchExtension, waitFor } from './_extension';

const profile = mkdtempSync(join(tmpdir(), 'inos-restart-'));
afterAll(() => rmSync(profile, { recursive: true, force: true }));

describe('a browser restart with the same profile', () => {
  it('keeps the balance, the history, the identity and the choice to contribute', async () => {
    let ext = await launchExtension({ userDataDir: profile });
    await ext.ask('settings/set', { active: { workers: 1, dutyPercent: 100 } });
    await ext.ask('contribute/set', { on: true });
    const earned = await waitFor(
      () => ext.ask('earnings/get', { utcOffsetMin: 0 }),
      (e) => e.balance > 0,
      { timeoutMs: 120_000, everyMs: 1_000, what: 'first settled credits' },
    );
    await ext.ask('contribute/set', { on: false }); // stop earning so the numbers hold still
    const before = await ext.ask('earnings/get', { utcOffsetMin: 0 });
    const historyBefore = await ext.ask('ledger/history');
    await ext.close();

    ext = await launchExtension({ userDataDir: profile });
    try {
      const after = await ext.ask('earnings/get', { utcOffsetMin: 0 });
      expect(after.nodeId).toBe(before.nodeId);
      expect(after.balance).toBe(before.balance);
      expect(after.balance).toBeGreaterThanOrEqual(earned.balance);
      expect(after.recent.map((r) => r.id)).toEqual(before.recent.map((r) => r.id));
      expect(await ext.ask('ledger/history')).toEqual(historyBefore);
      const popup = await ext.openPopup();
      await expect.poll(() => popup.getByTestId('status').textContent()).toBe('Paused by you');
      const shown = Number(
        ((await popup.getByTestId('balance').textContent()) ?? '').replace(/[^0-9.]/g, ''),
      );
      expect(shown).toBeCloseTo(before.balance / 1e6, 5);
      expect((await ext.ask('settings/get')).active).toEqual({ workers: 1, dutyPercent: 100 });
    } finally {
      await ext.close();
    }
  });
});
