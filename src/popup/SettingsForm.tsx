import type { ComponentChildren } from 'preact';
import type { Settings } from '../scheduler/settings';
import { ask } from './client';
import { BootstrapField, CheckboxField, NumberField, TimeField } from './fields';
import { usePoll } from './use-poll';
import { LIMITS } from './limits';
import { useSettings, type SaveState } from './use-settings';

/** Monday first, as people read a week; the schema counts from Sunday (0). */
const DAYS: ReadonlyArray<readonly [number, string, string]> = [
  [1, 'Mon', 'Monday'],
  [2, 'Tue', 'Tuesday'],
  [3, 'Wed', 'Wednesday'],
  [4, 'Thu', 'Thursday'],
  [5, 'Fri', 'Friday'],
  [6, 'Sat', 'Saturday'],
  [0, 'Sun', 'Sunday'],
];

/** Capsule libraries the user can opt out of, with what each runs. */
export const CAPSULES: ReadonlyArray<readonly [string, string, string]> = [
  ['pow', 'proof-of-work', 'Double SHA-256 puzzles that back credit proofs and keep out fake accounts.'],
  ['crypto', 'crypto', 'Hashing, signatures and encryption of small inputs.'],
  ['storage', 'storage', 'Compression and encrypted chunk storage (uses some disk).'],
  [
    'image',
    'image',
    'Resizing, filters and JPEG/PNG/WebP/AVIF conversion of images (up to ~1 GiB of memory per worker).',
  ],
  [
    'physics',
    'physics',
    'Rigid-body physics simulations (Rapier), checked by replaying them on other peers.',
  ],
  [
    'shader',
    'GPU shader',
    'Compute shaders from other users on your graphics card, only while the GPU is allowed (idle by default).',
  ],
  ['ml', 'machine learning', 'Speech detection, text recognition (OCR) and small ONNX models, on the CPU.'],
];

function Group({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="group" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

function SaveLine({ save }: { save: SaveState }) {
  if (save.kind === 'error')
    return (
      <p class="save-line error" role="alert" data-testid="settings-error">
        {save.message}
      </p>
    );
  return (
    <p class="save-line" role="status" data-testid="settings-saved">
      {save.kind === 'saving'
        ? 'Saving…'
        : save.kind === 'saved'
          ? `Saved: ${save.what}`
          : 'Changes apply at once.'}
    </p>
  );
}

/** Every limit of src/scheduler/settings.ts, grouped as the user thinks about them. */
/** This node's PeerId (the wallet key as libp2p sees it), once the mesh node has reported it. */
function PeerIdLine() {
  const { value } = usePoll(() => ask('status/get'), 2_000);
  const id = value?.network.peerId ?? null;
  return (
    <p class="hint">
      Your PeerId: <code data-testid="peer-id">{id ?? 'not started yet'}</code>
    </p>
  );
}

export function SettingsForm() {
  const { settings: s, loadError, save, update, invalid } = useSettings();
  if (!s)
    return loadError ? (
      <p class="error" role="alert">
        Settings unavailable: {loadError}
      </p>
    ) : (
      <p class="muted skeleton-text">Loading settings…</p>
    );

  const set = <K extends keyof Settings>(what: string, key: K, value: (c: Settings) => Settings[K]) =>
    update(what, (c) => ({ [key]: value(c) }) as Partial<Settings>);
  const common = { onInvalid: invalid };

  return (
    <form class="settings-form" onSubmit={(e) => e.preventDefault()} aria-label="Limits">
      <SaveLine save={save} />

      <Group id="g-active" title="While you use the computer">
        <NumberField
          {...common}
          id="active-workers"
          limit={LIMITS.activeWorkers}
          value={s.active.workers}
          hint="0 = run nothing until you step away."
          onCommit={(v) => set(LIMITS.activeWorkers.label, 'active', (c) => ({ ...c.active, workers: v }))}
        />
        <NumberField
          {...common}
          id="active-duty"
          limit={LIMITS.activeDuty}
          value={s.active.dutyPercent}
          hint="Share of each second a worker may compute."
          onCommit={(v) => set(LIMITS.activeDuty.label, 'active', (c) => ({ ...c.active, dutyPercent: v }))}
        />
      </Group>

      <Group id="g-idle" title="When you are away">
        <NumberField
          {...common}
          id="idle-after"
          limit={LIMITS.idleAfterSec}
          value={s.idleAfterSec}
          hint="Away means no keyboard or mouse input for this long."
          onCommit={(v) => set(LIMITS.idleAfterSec.label, 'idleAfterSec', () => v)}
        />
        <NumberField
          {...common}
          id="idle-workers"
          limit={LIMITS.idleWorkers}
          value={s.idle.workers}
          hint="0 = every worker the computer has (all cores but one)."
          onCommit={(v) => set(LIMITS.idleWorkers.label, 'idle', (c) => ({ ...c.idle, workers: v }))}
        />
        <NumberField
          {...common}
          id="idle-duty"
          limit={LIMITS.idleDuty}
          value={s.idle.dutyPercent}
          onCommit={(v) => set(LIMITS.idleDuty.label, 'idle', (c) => ({ ...c.idle, dutyPercent: v }))}
        />
        <CheckboxField
          id="gpu-idle"
          label="GPU only when idle"
          checked={s.gpuOnlyWhenIdle}
          hint="Off: GPU jobs may also run while you use the computer."
          onCommit={(v) => set('GPU only when idle', 'gpuOnlyWhenIdle', () => v)}
        />
      </Group>

      <Group id="g-battery" title="Battery">
        <CheckboxField
          id="run-on-battery"
          label="Run on battery"
          checked={s.battery.runOnBattery}
          hint="Off: work stops whenever the computer is unplugged."
          onCommit={(v) => set('Run on battery', 'battery', (c) => ({ ...c.battery, runOnBattery: v }))}
        />
        <NumberField
          {...common}
          id="battery-min"
          limit={LIMITS.batteryMin}
          value={s.battery.minLevelPercent}
          disabled={!s.battery.runOnBattery}
          onCommit={(v) =>
            set(LIMITS.batteryMin.label, 'battery', (c) => ({ ...c.battery, minLevelPercent: v }))
          }
        />
        <NumberField
          {...common}
          id="battery-hysteresis"
          limit={LIMITS.batteryHysteresis}
          value={s.battery.hysteresisPercent}
          disabled={!s.battery.runOnBattery}
          hint="After a battery stop, resume only above the level plus this margin."
          onCommit={(v) =>
            set(LIMITS.batteryHysteresis.label, 'battery', (c) => ({ ...c.battery, hysteresisPercent: v }))
          }
        />
      </Group>

      <Group id="g-heat" title="Heat and back-off">
        <CheckboxField
          id="respect-pressure"
          label="Respect CPU pressure"
          checked={s.respectPressure}
          hint="Halve the duty cycle when the CPU is busy; stop when it runs hot."
          onCommit={(v) => set('Respect CPU pressure', 'respectPressure', () => v)}
        />
        <NumberField
          {...common}
          id="backoff"
          limit={LIMITS.backoff}
          value={s.backoffMinutes}
          hint="Wait this long before resuming after a battery or heat stop."
          onCommit={(v) => set(LIMITS.backoff.label, 'backoffMinutes', () => v)}
        />
      </Group>

      <Group id="g-busy" title="When busy">
        <NumberField
          {...common}
          id="busy-threshold"
          limit={LIMITS.busyThreshold}
          value={s.busy.thresholdPercent}
          hint="Your programs come first: pause while the rest of the computer uses more than this share of all cores (0 = never)."
          onCommit={(v) =>
            set(LIMITS.busyThreshold.label, 'busy', (c) => ({ ...c.busy, thresholdPercent: v }))
          }
        />
        <NumberField
          {...common}
          id="busy-resume"
          limit={LIMITS.busyResume}
          value={s.busy.resumeAfterSec}
          disabled={s.busy.thresholdPercent === 0}
          onCommit={(v) => set(LIMITS.busyResume.label, 'busy', (c) => ({ ...c.busy, resumeAfterSec: v }))}
        />
      </Group>

      <Group id="g-schedule" title="Schedule">
        <CheckboxField
          id="schedule-on"
          label="Only run on a schedule"
          checked={s.schedule.enabled}
          onCommit={(v) => set('Schedule', 'schedule', (c) => ({ ...c.schedule, enabled: v }))}
        />
        <div class="time-row">
          <TimeField
            {...common}
            id="schedule-from"
            label="From"
            value={s.schedule.from}
            disabled={!s.schedule.enabled}
            onCommit={(v) => set('Schedule from', 'schedule', (c) => ({ ...c.schedule, from: v }))}
          />
          <TimeField
            {...common}
            id="schedule-to"
            label="To"
            value={s.schedule.to}
            disabled={!s.schedule.enabled}
            onCommit={(v) => set('Schedule to', 'schedule', (c) => ({ ...c.schedule, to: v }))}
          />
        </div>
        <p class="hint">Local time. An end before the start runs past midnight.</p>
        <fieldset class="days" disabled={!s.schedule.enabled}>
          <legend>Days</legend>
          {DAYS.map(([n, short, long]) => (
            <span class="day" key={n}>
              <input
                id={`day-${n}`}
                type="checkbox"
                checked={s.schedule.days.includes(n)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  set(`${long}`, 'schedule', (c) => ({
                    ...c.schedule,
                    days: on
                      ? [...new Set([...c.schedule.days, n])].sort((a, b) => a - b)
                      : c.schedule.days.filter((d) => d !== n),
                  }));
                }}
              />
              <label for={`day-${n}`} title={long}>
                {short}
              </label>
            </span>
          ))}
        </fieldset>
      </Group>

      <Group id="g-network" title="Network">
        <BootstrapField
          {...common}
          id="bootstrap"
          label="Bootstrap peers"
          value={s.mesh.bootstrap}
          hint="One multiaddr a line, ending in /p2p/<PeerId>: /ws on loopback or a private network, /wss, or /webrtc-direct."
          onCommit={(v) => set('Bootstrap peers', 'mesh', (c) => ({ ...c.mesh, bootstrap: v }))}
        />
        <PeerIdLine />
      </Group>

      <Group id="g-jobs" title="Jobs">
        {CAPSULES.map(([lib, name, what]) => (
          <CheckboxField
            key={lib}
            id={`capsule-${lib}`}
            label={`Run ${name} jobs`}
            checked={!s.optOut.includes(lib)}
            hint={what}
            onCommit={(on) =>
              set(`Run ${name} jobs`, 'optOut', (c) =>
                on ? c.optOut.filter((x) => x !== lib) : [...new Set([...c.optOut, lib])],
              )
            }
          />
        ))}
      </Group>
    </form>
  );
}
