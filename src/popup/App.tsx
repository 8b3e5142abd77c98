import { useState } from 'preact/hooks';
import type { Status } from '../background/status';
import { ask } from './client';
import { Settings } from './Settings';
import { Toggle } from './Toggle';
import { usePoll } from './use-poll';

function ago(ms: number): string {
  if (ms < 1_500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

export function App() {
  const { value: status, error, set } = usePoll<Status>(() => ask('status/get'), 1_000);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<'home' | 'settings'>('home');

  const toggle = async (on: boolean) => {
    setBusy(true);
    try {
      set(await ask('contribute/set', { on }));
    } finally {
      setBusy(false);
    }
  };

  if (view === 'settings') return <Settings onBack={() => setView('home')} />;

  const phase = status?.phase ?? 'paused';
  return (
    <main class="home">
      <header class="brand">
        <span class="logo" aria-hidden="true">
          ◆
        </span>
        <h1>INOS</h1>
        <span class="tagline">idle compute</span>
      </header>

      <section class={`card status-card phase-${phase}`} aria-live="polite">
        <p class="status" data-testid="status">
          <span class="dot" aria-hidden="true" />
          {error ? `Cannot reach the extension: ${error}` : (status?.text ?? 'Loading…')}
        </p>
        {status && status.phase === 'running' && status.host.lastHeartbeatAt !== null && (
          <p class="sub" data-testid="host-line">
            {status.host.workersAlive} of {status.host.workers} workers · heartbeat{' '}
            {ago(status.now - status.host.lastHeartbeatAt)}
          </p>
        )}
        <Toggle on={status?.contribute ?? false} busy={busy || !status} onChange={(on) => void toggle(on)} />
      </section>

      {status?.firstRun && (
        <section class="card disclosure" data-testid="disclosure">
          <h2>What turning this on does</h2>
          <p>
            INOS runs small, verifiable compute jobs (hashing, compression, proof-of-work checks for the INOS
            network) on spare CPU in the background, and earns you credits for verified results. It stops on
            battery and whenever you turn it off. Nothing runs until you turn it on.
          </p>
        </section>
      )}

      <section class="card balance-card">
        <h2>Balance</h2>
        <p class="balance" data-testid="balance">
          <strong>{status ? status.balance.credits.toLocaleString() : '…'}</strong> credits
        </p>
        <p class="muted">{status?.balance.note ?? ''}</p>
      </section>

      <footer class="footer">
        <button type="button" class="link" data-testid="open-settings" onClick={() => setView('settings')}>
          Settings
        </button>
      </footer>
    </main>
  );
}
