import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../../../src/scheduler/settings';
import { checkNumber, checkTime, FIELD_LABELS, LIMITS } from '../../../src/popup/limits';

/** DEFAULT_SETTINGS with one dotted path set to `v`. */
function withValue(path: string, v: unknown): unknown {
  const copy = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, Record<string, unknown>>;
  const [a, b] = path.split('.') as [string, string | undefined];
  if (b === undefined) (copy as Record<string, unknown>)[a] = v;
  else copy[a]![b] = v;
  return copy;
}

const accepts = (path: string, v: unknown) => SettingsSchema.safeParse(withValue(path, v)).success;

describe("the settings form's ranges match SettingsSchema", () => {
  it.each(Object.entries(LIMITS))('%s', (_key, l) => {
    expect(accepts(l.path, l.min), `${l.path} min ${l.min}`).toBe(true);
    expect(accepts(l.path, l.max), `${l.path} max ${l.max}`).toBe(true);
    expect(accepts(l.path, l.min - 1), `${l.path} below min`).toBe(false);
    expect(accepts(l.path, l.max + 1), `${l.path} above max`).toBe(false);
  });

  it('covers every number field of the schema', () => {
    const numberPaths: string[] = [];
    const visit = (o: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (k === 'version') continue;
        if (typeof v === 'number') numberPaths.push(prefix + k);
        else if (v && typeof v === 'object' && !Array.isArray(v))
          visit(v as Record<string, unknown>, `${prefix}${k}.`);
      }
    };
    visit(DEFAULT_SETTINGS as unknown as Record<string, unknown>, '');
    expect(
      Object.values(LIMITS)
        .map((l) => l.path)
        .sort(),
    ).toEqual(numberPaths.sort());
  });

  it('has a label for every settings field', () => {
    const paths: string[] = [];
    for (const [k, v] of Object.entries(DEFAULT_SETTINGS as Settings)) {
      if (k === 'version') continue;
      if (v && typeof v === 'object' && !Array.isArray(v))
        for (const sub of Object.keys(v)) paths.push(`${k}.${sub}`);
      else paths.push(k);
    }
    for (const p of paths) expect(FIELD_LABELS[p], p).toBeTruthy();
  });
});

describe('checkNumber', () => {
  const l = LIMITS.activeDuty;
  it('accepts whole numbers in range, trimmed', () => {
    expect(checkNumber(' 25 ', l)).toEqual({ ok: true, value: 25 });
    expect(checkNumber('10', l)).toEqual({ ok: true, value: 10 });
    expect(checkNumber('100', l)).toEqual({ ok: true, value: 100 });
  });
  it('refuses empty, fractional and out-of-range input, naming the field and the range', () => {
    expect(checkNumber('', l)).toMatchObject({
      ok: false,
      message: 'Active workers duty cycle: enter a whole number, 10–100 %',
    });
    expect(checkNumber('2.5', l)).toMatchObject({ ok: false, detail: 'must be a whole number, 10–100 %' });
    expect(checkNumber('5', l)).toMatchObject({
      ok: false,
      message: 'Active workers duty cycle: must be 10–100 % (you entered 5)',
      detail: 'must be 10–100 % (you entered 5)',
    });
    expect(checkNumber('101', l).ok).toBe(false);
    expect(checkNumber('abc', l).ok).toBe(false);
  });
});

describe('checkTime', () => {
  it('accepts HH:MM the way the schema does, and nothing else', () => {
    for (const t of ['00:00', '09:30', '23:59']) {
      expect(checkTime(t, 'From')).toEqual({ ok: true, value: t });
      expect(accepts('schedule.from', t)).toBe(true);
    }
    for (const t of ['', '24:00', '9:30', '12:60']) {
      expect(checkTime(t, 'From').ok).toBe(false);
      expect(accepts('schedule.from', t)).toBe(false);
    }
  });
});
