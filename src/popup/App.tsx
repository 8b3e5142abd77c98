import { useEffect, useRef, useState } from 'preact/hooks';
import type { EarningsView, Status } from '../messaging/protocol';
import { ask } from './client';
import { Home } from './Home';
import { Settings } from './Settings';
import { usePoll } from './use-poll';

const STATUS_EVERY_MS = 1_000;
const EARNINGS_EVERY_MS = 2_000;

/** Minutes east of UTC, as the ledger's day buckets want them (UTC+1 → 60). */
const utcOffsetMin = () => -new Date().getTimezoneOffset();

/**
 * The popup: polls status and earnings for as long as it is open, whichever view shows, so going
 * back from Settings is instant. Moves focus with the view so keyboard users land somewhere useful.
 */
export function App() {
  const status = usePoll<Status>(() => ask('status/get'), STATUS_EVERY_MS);
  const earnings = usePoll<EarningsView>(
    () => ask('earnings/get', { utcOffsetMin: utcOffsetMin() }),
    EARNINGS_EVERY_MS,
  );
  const [view, setView] = useState<'home' | 'settings'>('home');
  const switched = useRef(false);
  const settingsButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!switched.current) return;
    if (view === 'home') settingsButton.current?.focus();
  }, [view]);

  const go = (next: 'home' | 'settings') => {
    switched.current = true;
    setView(next);
  };

  return view === 'settings' ? (
    <Settings
      onBack={() => go('home')}
      nodeId={earnings.value?.nodeId ?? null}
      nodeIdError={earnings.error}
    />
  ) : (
    <Home
      status={status.value}
      statusError={status.error}
      onStatus={(s) => {
        status.set(s);
        earnings.refresh();
      }}
      earnings={earnings.value}
      earningsError={earnings.error}
      onOpenSettings={() => go('settings')}
      settingsButton={settingsButton}
    />
  );
}
