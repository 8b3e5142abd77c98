import type { BackgroundDiagnostics } from '../messaging/protocol';
import { ask } from './client';
import { usePoll } from './use-poll';

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** The compute host's health, read live from the offscreen document: what runs where. */
export function HostDiagnostics() {
  const { value: d, error } = usePoll<BackgroundDiagnostics>(() => ask('diagnostics/get'), 1_000);
  const host = d?.offscreen;
  const ready = host?.workers.filter((w) => w.ready === w.expectedReady).length ?? 0;
  return (
    <section class="group" aria-labelledby="g-host">
      <h3 id="g-host">Compute host</h3>
      {error && <p class="error">Host unavailable: {error}</p>}
      {d?.offscreenError && <p class="error">{d.offscreenError}</p>}
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
    </section>
  );
}
