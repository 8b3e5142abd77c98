import { z } from 'zod';
import { checkBootstrapAddr } from '../mesh/libp2p/bootstrap-addr';

/**
 * Every limit the user can set, with the defaults of the best-behaved desktop clients (BOINC,
 * Folding@home): 1 worker at 50% while the user is active, all workers but one core at 100% after
 * 3 minutes idle, GPU only when idle, nothing on battery, 5 minutes of back-off after battery or heat.
 */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (24 h)');

export const ProfileSchema = z
  .object({
    /** 0 = do not run in this state ("Waiting for idle"). */
    workers: z.number().int().min(0).max(32),
    /** Percent of each ~1 s cycle a worker may run. */
    dutyPercent: z.number().int().min(10).max(100),
  })
  .strict();

export const SettingsSchema = z
  .object({
    version: z.literal(1),
    /** chrome.idle detection interval: the user counts as idle after this many seconds without input. */
    idleAfterSec: z.number().int().min(15).max(3600),
    active: ProfileSchema,
    /** `workers: 0` on the idle profile means "all workers the host has" (cores − 1). */
    idle: ProfileSchema,
    gpuOnlyWhenIdle: z.boolean(),
    battery: z
      .object({
        runOnBattery: z.boolean(),
        /** Run on battery only above this level (percent)… */
        minLevelPercent: z.number().int().min(5).max(100),
        /** …and after a battery stop, resume only above minLevel + this (hysteresis). */
        hysteresisPercent: z.number().int().min(0).max(50),
      })
      .strict(),
    /** Back-off after a battery or heat suspension, minutes. */
    backoffMinutes: z.number().min(0).max(120),
    /** Reduce on "fair" CPU pressure, stop on "serious"/"critical" (Compute Pressure API, where it exists). */
    respectPressure: z.boolean(),
    schedule: z
      .object({
        enabled: z.boolean(),
        /** Contribute only between these local times (an end before the start wraps past midnight). */
        from: hhmm,
        to: hhmm,
        /** 0 = Sunday … 6 = Saturday. */
        days: z.array(z.number().int().min(0).max(6)).max(7),
      })
      .strict(),
    /**
     * BOINC's "suspend while non-BOINC CPU usage is above N%": pause while the rest of the machine uses
     * more than this share of all cores (0 = never), and resume once it has stayed below for
     * `resumeAfterSec`.
     */
    busy: z
      .object({
        thresholdPercent: z.number().int().min(0).max(100),
        resumeAfterSec: z.number().int().min(2).max(600),
      })
      .strict(),
    /** Capsule libraries the user does not want to run. */
    optOut: z.array(z.string().max(32)).max(32),
    mesh: z
      .object({
        /** Peers the offscreen node dials at start: multiaddrs ending in /p2p/<PeerId>. */
        bootstrap: z
          .array(
            z.string().superRefine((v, ctx) => {
              const problem = checkBootstrapAddr(v);
              if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
            }),
          )
          .max(16),
      })
      .strict(),
  })
  .strict();

export type Settings = z.infer<typeof SettingsSchema>;
export type Profile = z.infer<typeof ProfileSchema>;

export const DEFAULT_SETTINGS: Settings = {
  version: 1,
  idleAfterSec: 180,
  active: { workers: 1, dutyPercent: 50 },
  idle: { workers: 0, dutyPercent: 100 },
  gpuOnlyWhenIdle: true,
  battery: { runOnBattery: false, minLevelPercent: 50, hysteresisPercent: 10 },
  backoffMinutes: 5,
  respectPressure: true,
  schedule: { enabled: false, from: '09:00', to: '17:00', days: [0, 1, 2, 3, 4, 5, 6] },
  busy: { thresholdPercent: 25, resumeAfterSec: 15 },
  optOut: [],
  // No public bootstrap peer is shipped: the user (or `npm start`, with its loopback `inos node`)
  // names one, so no build contacts a host it was not given.
  mesh: { bootstrap: [] },
};

/** Stored settings, repaired field by field: anything invalid falls back to its default. */
export function parseSettings(v: unknown): Settings {
  const full = SettingsSchema.safeParse(v);
  if (full.success) return full.data;
  if (typeof v !== 'object' || v === null) return DEFAULT_SETTINGS;
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const candidate = { ...DEFAULT_SETTINGS, [key]: (v as Record<string, unknown>)[key] };
    if (SettingsSchema.safeParse(candidate).success) out[key] = (v as Record<string, unknown>)[key];
  }
  return SettingsSchema.parse(out);
}

/** Applies a user's partial update; throws a readable error naming the bad field and what is allowed. */
export function updateSettings(current: Settings, patch: unknown): Settings {
  if (typeof patch !== 'object' || patch === null) throw new TypeError('settings update must be an object');
  const merged = { ...current, ...(patch as object) };
  const r = SettingsSchema.safeParse(merged);
  if (!r.success)
    throw new RangeError(
      `invalid settings: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}
