import type { Ref } from 'preact';
import type { EarningsView, Status } from '../messaging/protocol';
import { Disclosure } from './Disclosure';
import { EarningsCard } from './EarningsCard';
import { RecentJobs } from './RecentJobs';
import { StatusCard } from './StatusCard';

interface Props {
  status: Status | null;
  statusError: string | null;
  onStatus: (s: Status) => void;
  earnings: EarningsView | null;
  earningsError: string | null;
  onOpenSettings: () => void;
  settingsButton: Ref<HTMLButtonElement>;
}

/** The main view: what is happening and why, then what it has earned. */
export function Home({
  status,
  statusError,
  onStatus,
  earnings,
  earningsError,
  onOpenSettings,
  settingsButton,
}: Props) {
  return (
    <main class="home">
      <header class="brand">
        <span class="logo" aria-hidden="true">
          ◆
        </span>
        <h1>INOS</h1>
        <span class="tagline">idle compute</span>
        <button
          type="button"
          class="link settings-button"
          data-testid="open-settings"
          ref={settingsButton}
          onClick={onOpenSettings}
        >
          <span aria-hidden="true">⚙ </span>Settings
        </button>
        <a
          class="link metrics-link"
          href="/metrics.html"
          target="_blank"
          rel="noopener"
          data-testid="open-metrics"
        >
          Metrics
        </a>
        <a
          class="link metrics-link"
          href="/submit.html"
          target="_blank"
          rel="noopener"
          data-testid="open-submit"
        >
          Submit work
        </a>
      </header>

      <StatusCard status={status} error={statusError} onStatus={onStatus} />
      {status?.firstRun && <Disclosure />}
      <EarningsCard status={status} earnings={earnings} error={earningsError} />
      {earnings && <RecentJobs jobs={earnings.recent} now={status?.now ?? Date.now()} />}
    </main>
  );
}
