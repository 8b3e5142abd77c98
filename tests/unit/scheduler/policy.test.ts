import { describe, expect, it } from 'vitest';
import { applyHold } from '../../../src/scheduler/hold';
import { decide, withinSchedule, type Signals } from '../../../src/scheduler/policy';
import { DEFAULT_SETTINGS, parseSettings, updateSettings } from '../../../src/scheduler/settings';

const sig = (over: Partial<Signals> = {}): Signals => ({
  idle: 'active',
  battery: null,
  pressure: null,
  local: { day: 2, minutes: 600 },
  hostWorkers: 7,
  batteryHeld: false,
  otherCpuPercent: null,
  ...over,
});
const onBattery = (level: number) => ({ supported: true, charging: false, level, at: 0 });

describe('throttling policy', () => {
  it('uses 1 worker at 50% while active and all workers at 100% when idle; GPU only when idle', () => {
    expect(decide(DEFAULT_SETTINGS, sig()).throttle).toEqual({
      profile: 'active',
      workers: 1,
      dutyPercent: 50,
      gpu: false,
    });
    expect(decide(DEFAULT_SETTINGS, sig({ idle: 'idle' })).throttle).toEqual({
      profile: 'idle',
      workers: 7,
      dutyPercent: 100,
      gpu: true,
    });
    expect(decide(DEFAULT_SETTINGS, sig({ idle: 'locked' })).throttle.profile).toBe('idle');
  });

  it('suspends on battery by default; with "run on battery" only above the level, with hysteresis', () => {
    expect(decide(DEFAULT_SETTINGS, sig({ battery: onBattery(1) })).conditions).toEqual(['on-battery']);
    const s = updateSettings(DEFAULT_SETTINGS, {
      battery: { runOnBattery: true, minLevelPercent: 50, hysteresisPercent: 10 },
    });
    expect(decide(s, sig({ battery: onBattery(0.55) })).conditions).toEqual([]);
    expect(decide(s, sig({ battery: onBattery(0.45) })).conditions).toEqual(['on-battery']);
    expect(decide(s, sig({ battery: onBattery(0.55), batteryHeld: true })).conditions).toEqual([
      'on-battery',
    ]);
    expect(decide(s, sig({ battery: onBattery(0.61), batteryHeld: true })).conditions).toEqual([]);
    expect(
      decide(DEFAULT_SETTINGS, sig({ battery: { supported: false, charging: false, level: 0, at: 0 } }))
        .conditions,
    ).toEqual([]);
  });

  it('backs off on serious or critical pressure and halves the duty cycle on fair pressure', () => {
    expect(decide(DEFAULT_SETTINGS, sig({ pressure: 'serious' })).conditions).toEqual(['heat']);
    expect(decide(DEFAULT_SETTINGS, sig({ pressure: 'critical' })).conditions).toEqual(['heat']);
    expect(decide(DEFAULT_SETTINGS, sig({ pressure: 'fair' })).throttle.dutyPercent).toBe(25);
    const off = updateSettings(DEFAULT_SETTINGS, { respectPressure: false });
    expect(decide(off, sig({ pressure: 'critical' })).conditions).toEqual([]);
  });

  it('follows a time-of-day schedule, including windows that wrap past midnight', () => {
    const day = { enabled: true, from: '09:00', to: '17:00', days: [1, 2, 3, 4, 5] };
    expect(withinSchedule(day, { day: 2, minutes: 9 * 60 })).toBe(true);
    expect(withinSchedule(day, { day: 2, minutes: 17 * 60 })).toBe(false);
    expect(withinSchedule(day, { day: 0, minutes: 12 * 60 })).toBe(false);
    const night = { enabled: true, from: '22:00', to: '06:00', days: [5] }; // Friday night
    expect(withinSchedule(night, { day: 5, minutes: 23 * 60 })).toBe(true);
    expect(withinSchedule(night, { day: 6, minutes: 5 * 60 })).toBe(true); // Saturday early = Friday's window
    expect(withinSchedule(night, { day: 6, minutes: 23 * 60 })).toBe(false);
    const s = updateSettings(DEFAULT_SETTINGS, { schedule: day });
    expect(decide(s, sig({ local: { day: 0, minutes: 600 } })).conditions).toEqual(['schedule']);
  });

  it('waits for idle when the user allows no workers while active', () => {
    const s = updateSettings(DEFAULT_SETTINGS, { active: { workers: 0, dutyPercent: 50 } });
    expect(decide(s, sig()).conditions).toEqual(['waiting-for-idle']);
    expect(decide(s, sig({ idle: 'idle' })).conditions).toEqual([]);
  });

  it('repairs stored settings field by field and refuses bad updates with the field name', () => {
    expect(parseSettings({ ...DEFAULT_SETTINGS, idleAfterSec: -3, backoffMinutes: 2 })).toEqual({
      ...DEFAULT_SETTINGS,
      backoffMinutes: 2,
    });
    expect(parseSettings('garbage')).toEqual(DEFAULT_SETTINGS);
    expect(() => updateSettings(DEFAULT_SETTINGS, { active: { workers: 1, dutyPercent: 5 } })).toThrow(
      /active\.dutyPercent/,
    );
    expect(() =>
      updateSettings(DEFAULT_SETTINGS, { schedule: { ...DEFAULT_SETTINGS.schedule, from: '25:00' } }),
    ).toThrow(/HH:MM/);
  });
});

describe('holds against flapping', () => {
  it('lifts a condition only after it stayed clear for twice its sample period', () => {
    let st = { clearedAt: {} };
    let r = applyHold(st, ['on-battery'], 0, 0);
    expect(r.effective).toEqual(['on-battery']);
    st = r.state;
    r = applyHold(st, [], 10_000, 0); // cleared, long after it was raised
    expect(r.effective).toEqual(['on-battery']);
    expect(r.nextLiftAt).toBe(12_000);
    r = applyHold(r.state, [], 11_999, 0);
    expect(r.effective).toEqual(['on-battery']);
    r = applyHold(r.state, [], 12_000, 0);
    expect(r.effective).toEqual([]);
  });

  it('applies the 5-minute back-off to battery and heat, and restarts it if raised again', () => {
    let r = applyHold({ clearedAt: {} }, ['heat'], 0, 300_000);
    r = applyHold(r.state, [], 1_000, 300_000);
    expect(r.nextLiftAt).toBe(301_000);
    r = applyHold(r.state, ['heat'], 200_000, 300_000);
    r = applyHold(r.state, [], 250_000, 300_000);
    expect(r.nextLiftAt).toBe(550_000);
  });
});

describe('pause while the computer is busy (BOINC: non-BOINC CPU use above N%)', () => {
  it('raises "busy" only above the threshold, never at 0 or without a measurement', () => {
    const on = (pct: number | null, threshold = 25) =>
      decide(
        { ...DEFAULT_SETTINGS, busy: { thresholdPercent: threshold, resumeAfterSec: 15 } },
        sig({ otherCpuPercent: pct }),
      ).conditions;
    expect(DEFAULT_SETTINGS.busy.thresholdPercent).toBe(25);
    expect(on(25.1)).toContain('busy');
    expect(on(25)).not.toContain('busy');
    expect(on(null)).not.toContain('busy');
    expect(on(100, 0)).not.toContain('busy');
  });

  it('holds for resumeAfterSec once the machine is quiet again', () => {
    let h = applyHold({ clearedAt: {} }, ['busy'], 0, 300_000, 15_000);
    expect(h.effective).toEqual(['busy']);
    h = applyHold(h.state, [], 1_000, 300_000, 15_000);
    expect(h.effective).toEqual(['busy']);
    expect(h.nextLiftAt).toBe(16_000);
    expect(applyHold(h.state, [], 16_000, 300_000, 15_000).effective).toEqual([]);
  });

  it('older stored settings without the field get the default', () => {
    const { busy: _omit, ...old } = DEFAULT_SETTINGS;
    expect(parseSettings(old).busy).toEqual(DEFAULT_SETTINGS.busy);
  });
});
