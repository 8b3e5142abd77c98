import type { BackgroundDiagnostics } from '../messaging/protocol';
import { ask } from './client';
import { usePoll } from './use-poll';

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** Settings and the compute host's health: what runs where, read live from the host. */
export function Settings({ onBack }: { onBack: () => void }) {
  const { value: d, error } = usePoll<BackgroundDiagnostics>(() => ask('diagnostics/get'), 1_000);
  const host = d?.offscreen;
  const ready = host?.workers.filter((w) => w.ready === w.expectedReady).length ?? 0;
  return (
    <section class="settings" aria-labelledby="settings-title" data-testid="settings">
      <header class="settings-head">
        <button type="button" class="link" onClick={onBack} aria-label="Back to status">
          ← Back
        </button>
        <h2 id="settings-title">Settings</h2>
      </header>
      <h3>Compute host</h3>
      {error && <p class="error">Host unavailable: {error}</p>}
      <dl class="facts">
        <dt>Isolation</dt>
        <dd data-testid="isolation">
          {host ? (host.crossOriginIsolated ? 'Cross-origin isolated' : 'NOT isolated') : '…'}
        </dd>
        <dt>Workers</dt>
        <dd data-testid="workers">{host ? `${ready} of ${host.workers.length} ready` : '…'}</dd>
        <dt>Shared memory</dt>
        <dd>{host ? `${mib(host.sharedBufferBytes)} (layout v${host.layoutVersion})` : '…'}</dd>
        <dt>Power</dt>
        <dd>
          {!host?.battery
            ? '…'
            : !host.battery.supported
              ? 'Battery status unavailable'
              : `${host.battery.charging ? 'On AC power' : 'On battery'} · ${Math.round(host.battery.level * 100)}%`}
        </dd>
      </dl>
      <h3>Limits</h3>
      <p class="muted">
        Work stops while the computer runs on battery. Worker count: one per core, leaving one core free.
      </p>
    </section>
  );
}
