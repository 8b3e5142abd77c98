import { useState } from 'preact/hooks';
import type { Status } from '../messaging/protocol';
import { ask } from './client';
import { errorText } from './format';
import { Toggle } from './Toggle';

export const SNOOZE_MINUTES = 60;

function ago(ms: number): string {
  if (ms < 1_500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

/** The second line: why the status is what it is, or what the limits in effect are. */
function detail(s: Status): string | null {
  switch (s.phase) {
    case 'paused':
      return s.firstRun ? null : 'Nothing runs until you turn it back on.';
    case 'draining':
      return 'The running slice completes and is paid; no new work starts.';
    case 'suspended':
      switch (s.reason) {
        case 'on-battery':
          return 'Resumes when you plug in. To run on battery, see Settings → Battery.';
        case 'waiting-for-idle':
          return 'Work starts when you step away from the computer.';
        case 'heat':
          return 'Resumes once the CPU is under less pressure.';
        case 'schedule':
          return 'Resumes at the start of the hours set in Settings → Schedule.';
        case 'busy':
          return 'Your own programs come first: work resumes once the computer has been quiet for a few seconds (Settings → When busy).';
        case 'snoozed':
          return 'Resumes by itself, or now if you choose.';
        case 'host-unavailable':
        case 'not-isolated':
          return s.host.error;
        default:
          return null;
      }
    case 'running': {
      const parts: string[] = [];
      if (s.throttle)
        parts.push(
          s.throttle.profile === 'idle'
            ? 'Full allowance while you are away'
            : 'Light limits while you are active',
        );
      if (s.host.lastHeartbeatAt !== null) parts.push(`heartbeat ${ago(s.now - s.host.lastHeartbeatAt)}`);
      return parts.join(' · ') || null;
    }
  }
}

interface Props {
  status: Status | null;
  error: string | null;
  onStatus: (s: Status) => void;
}

/** Status and why, the Contribute switch (pause now), and Snooze / Finish-then-pause while contributing. */
export function StatusCard({ status, error, onStatus }: Props) {
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  const act = async (run: () => Promise<Status>) => {
    setBusy(true);
    setActionError(null);
    try {
      onStatus(await run());
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const phase = status?.phase ?? 'loading';
  const line = status ? detail(status) : null;
  const contributing = !!status && status.contribute && status.phase !== 'draining';
  const snoozed = status?.reason === 'snoozed';

  return (
    <section class={`card status-card phase-${phase}`} aria-label="Status">
      <p class="status" aria-live="polite">
        <span class="dot" aria-hidden="true" />
        <span data-testid="status" class={status || error ? '' : 'skeleton-text'}>
          {error && !status ? `Cannot reach the extension: ${error}` : (status?.text ?? 'Loading…')}
        </span>
      </p>
      {line && (
        <p class="sub" data-testid="status-detail">
          {line}
        </p>
      )}
      {status && (
        <p class={`sub network${status.network.ok ? ' ok' : ''}`} data-testid="network">
          {status.network.text}
        </p>
      )}
      {status && !status.network.ok && status.network.error && (
        <p class="sub network-why" data-testid="network-error">
          {status.network.error}
        </p>
      )}
      <Toggle
        on={status?.contribute ?? false}
        busy={busy || !status}
        onChange={(on) => void act(() => ask('contribute/set', { on }))}
      />
      {contributing && (
        <div class="actions">
          {snoozed ? (
            <button
              type="button"
              class="button"
              data-testid="resume"
              disabled={busy}
              onClick={() => void act(() => ask('contribute/set', { on: true }))}
            >
              Resume now
            </button>
          ) : (
            <button
              type="button"
              class="button"
              data-testid="snooze"
              disabled={busy}
              onClick={() => void act(() => ask('lifecycle/snooze', { minutes: SNOOZE_MINUTES }))}
            >
              Snooze 1 h
            </button>
          )}
          <button
            type="button"
            class="button"
            data-testid="drain"
            disabled={busy}
            onClick={() => void act(() => ask('lifecycle/drain'))}
          >
            Finish, then pause
          </button>
        </div>
      )}
      {(actionError ?? (status && error)) && (
        <p class="error" role="alert">
          {actionError ?? `Not updated: ${error}`}
        </p>
      )}
    </section>
  );
}
