import { useEffect, useRef } from 'preact/hooks';
import { HostDiagnostics } from './HostDiagnostics';
import { SettingsForm } from './SettingsForm';
import { Wallet } from './Wallet';

interface Props {
  onBack: () => void;
  nodeId: string | null;
  nodeIdError: string | null;
}

/** The settings view: every limit, the wallet, and the compute host's health. Focus lands on its title. */
export function Settings({ onBack, nodeId, nodeIdError }: Props) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  return (
    <main class="settings" aria-labelledby="settings-title" data-testid="settings">
      <header class="settings-head">
        <button type="button" class="link" onClick={onBack} aria-label="Back to status" data-testid="back">
          ← Back
        </button>
        <h2 id="settings-title" tabIndex={-1} ref={title}>
          Settings
        </h2>
      </header>
      <SettingsForm />
      <p class="muted">Pause, Snooze 1 h and Finish, then pause are on the main screen while contributing.</p>
      <Wallet nodeId={nodeId} nodeIdError={nodeIdError} />
      <HostDiagnostics />
    </main>
  );
}
