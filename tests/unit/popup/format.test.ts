import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../../src/messaging/errors';
import {
  barLabel,
  capsuleName,
  clockTime,
  cpuEnergyText,
  creditsText,
  dayLabel,
  errorText,
  formatCredits,
  formatDuration,
  formatEnergy,
  jobTime,
  lastSevenDays,
  settingsErrorText,
  shortId,
  stateLabel,
} from '../../../src/popup/format';

describe('formatCredits (integer micro-credits → credits)', () => {
  it.each([
    [0, '0'],
    [1, '0.000001'],
    [1_200, '0.0012'],
    [320_000, '0.32'],
    [1_000_000, '1'],
    [12_345_678, '12.345678'],
    [12_300_000, '12.3'],
    [1_000_000_000, '1,000'],
    [1_234_567_890_123, '1,234,567.890123'],
    [-2_500_000, '-2.5'],
  ])('%d µ → %s', (micro, text) => expect(formatCredits(micro)).toBe(text));

  it('never shows float noise or more than 6 decimals', () => {
    expect(formatCredits(300_000 + 100_000)).toBe('0.4');
    expect(formatCredits(1.4)).toBe('0.000001');
    expect(formatCredits(Number.NaN)).toBe('—');
  });

  it('says "credit" for exactly one, "credits" otherwise', () => {
    expect(creditsText(0)).toBe('0 credits');
    expect(creditsText(1_000_000)).toBe('1 credit');
    expect(creditsText(1_000_001)).toBe('1.000001 credits');
    expect(creditsText(12_345_678)).toBe('12.345678 credits');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [-5, '0 s'],
    [400, '< 1 s'],
    [45_999, '45 s'],
    [60_000, '1 min'],
    [192_000, '3 min 12 s'],
    [3_600_000, '1 h'],
    [7_500_000, '2 h 5 min'],
    [86_400_000, '1 d'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59_000, '3 d 4 h'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatEnergy', () => {
  it.each([
    [0, '0 Wh'],
    [0.0004, '< 0.001 Wh'],
    [0.004, '0.004 Wh'],
    [0.0123, '0.01 Wh'],
    [0.32, '0.32 Wh'],
    [0.3, '0.3 Wh'],
    [9.999, '10 Wh'],
    [14.4, '14 Wh'],
    [1_250, '1.25 kWh'],
    [Number.POSITIVE_INFINITY, '0 Wh'],
  ])('%d Wh → %s', (wh, text) => expect(formatEnergy(wh)).toBe(text));

  it('makes the CPU/energy line', () => {
    expect(cpuEnergyText(192_000, 0.32)).toBe('CPU 3 min 12 s · ≈ 0.32 Wh');
    expect(cpuEnergyText(0, 0)).toBe('CPU 0 s · ≈ 0 Wh');
  });
});

describe('days and times', () => {
  it('labels a ledger day in English whatever the time zone', () => {
    expect(dayLabel('2025-11-24')).toBe('Mon 24 Nov');
    expect(dayLabel('2024-02-29')).toBe('Thu 29 Feb');
    expect(dayLabel('2026-01-04')).toBe('Sun 4 Jan');
    expect(dayLabel('not a day')).toBe('not a day');
  });

  it('labels a bar with its credits and pending credits', () => {
    expect(barLabel('2025-11-24', 1_200, 0)).toBe('Mon 24 Nov: 0.0012 credits');
    expect(barLabel('2025-11-24', 0, 300)).toBe('Mon 24 Nov: 0 credits, 0.0003 pending');
  });

  it('lists the 7 local days ending today, oldest first', () => {
    const now = new Date(2025, 2, 2, 10, 0).getTime(); // 2 March 2025, local
    expect(lastSevenDays(now)).toEqual([
      '2025-02-24',
      '2025-02-25',
      '2025-02-26',
      '2025-02-27',
      '2025-02-28',
      '2025-03-01',
      '2025-03-02',
    ]);
  });

  it('shows a job time as a clock today, weekday + clock this week, a date before', () => {
    const now = new Date(2025, 10, 24, 16, 30).getTime(); // Mon 24 Nov 2025, local
    const at = (d: number, h: number, m: number) => new Date(2025, 10, d, h, m).getTime();
    expect(clockTime(at(24, 14, 5), 'en-GB')).toBe('14:05');
    expect(jobTime(at(24, 14, 5), now, 'en-GB')).toBe('14:05');
    expect(jobTime(at(24, 0, 1), now, 'en-GB')).toBe('00:01');
    expect(jobTime(at(23, 23, 59), now, 'en-GB')).toBe('Sun 23:59');
    expect(jobTime(at(18, 9, 0), now, 'en-GB')).toBe('Tue 09:00');
    expect(jobTime(at(17, 9, 0), now, 'en-GB')).toBe('17 Nov');
  });
});

describe('labels', () => {
  it('names every verification state as a badge', () => {
    expect(['estimated', 'verified', 'settled', 'rejected'].map((s) => stateLabel(s as never))).toEqual([
      'Estimated',
      'Verified',
      'Settled',
      'Rejected',
    ]);
  });

  it('names capsules, keeping unknown ids as they are', () => {
    expect(capsuleName('pow')).toBe('Proof-of-work');
    expect(capsuleName('storage')).toBe('Storage');
    expect(capsuleName('blake3')).toBe('blake3');
    expect(capsuleName('')).toBe('Unknown job');
  });

  it('shortens long ids and keeps short ones', () => {
    const id = 'a3f9c2e17b5d4e08'.repeat(4);
    expect(shortId(id)).toBe('a3f9c2e1…7b5d4e08');
    expect(shortId('abc')).toBe('abc');
  });
});

describe('error texts', () => {
  it('drops the routing prefix of errors from the background', () => {
    const e = new RemoteError(
      { name: 'RangeError', message: 'invalid settings: active.dutyPercent: Too big' },
      'background:settings/set',
    );
    expect(e.message).toBe('background:settings/set: invalid settings: active.dutyPercent: Too big');
    expect(errorText(e)).toBe('invalid settings: active.dutyPercent: Too big');
    expect(errorText(new Error('plain'))).toBe('plain');
    expect(errorText('text')).toBe('text');
  });

  it("names settings fields by the form's labels", () => {
    const labels = { 'active.dutyPercent': 'Active workers duty cycle', 'schedule.days': 'Days' };
    expect(
      settingsErrorText(
        'invalid settings: active.dutyPercent: Too big: expected number to be <=100; schedule.days.3: Too big',
        labels,
      ),
    ).toBe('Not saved. Active workers duty cycle: Too big: expected number to be <=100; Days: Too big');
    expect(settingsErrorText('invalid settings: foo: bad', labels)).toBe('Not saved. foo: bad');
    expect(settingsErrorText('no receiver answered', labels)).toBe('Not saved: no receiver answered');
  });
});
