import { useState } from 'preact/hooks';
import { ask } from './client';
import { errorText, shortId } from './format';

type Action<T> =
  { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; value: T } | { kind: 'error'; message: string };

/**
 * This node's wallet: its id, a backup to export (with the warning in bold: whoever holds the text
 * can claim the credits) and an import that replaces the key.
 */
export function Wallet({ nodeId, nodeIdError }: { nodeId: string | null; nodeIdError: string | null }) {
  const [exported, setExported] = useState<Action<{ backup: string; warning: string }>>({ kind: 'idle' });
  const [imported, setImported] = useState<Action<string>>({ kind: 'idle' });
  const [text, setText] = useState('');

  const doExport = async () => {
    setExported({ kind: 'busy' });
    try {
      setExported({ kind: 'done', value: await ask('identity/export') });
    } catch (e) {
      setExported({ kind: 'error', message: errorText(e) });
    }
  };

  const doImport = async () => {
    setImported({ kind: 'busy' });
    try {
      const { nodeId: id } = await ask('identity/import', { backup: text.trim() });
      setImported({ kind: 'done', value: id });
      setText('');
    } catch (e) {
      setImported({ kind: 'error', message: errorText(e) });
    }
  };

  return (
    <section class="group wallet" aria-labelledby="g-wallet">
      <h3 id="g-wallet">Wallet</h3>
      <dl class="facts">
        <dt>Node id</dt>
        <dd data-testid="node-id" title={nodeId ?? undefined}>
          {nodeId ? <code>{shortId(nodeId)}</code> : nodeIdError ? `Unavailable: ${nodeIdError}` : '…'}
        </dd>
      </dl>

      {exported.kind === 'done' ? (
        <div class="backup">
          <p class="warning" data-testid="backup-warning">
            <strong>{exported.value.warning}</strong>
          </p>
          <label for="backup-out">Backup text</label>
          <textarea
            id="backup-out"
            data-testid="backup-text"
            readOnly
            rows={4}
            value={exported.value.backup}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" class="button" onClick={() => setExported({ kind: 'idle' })}>
            Hide backup
          </button>
        </div>
      ) : (
        <button
          type="button"
          class="button"
          data-testid="export-backup"
          disabled={exported.kind === 'busy'}
          onClick={() => void doExport()}
        >
          Export backup
        </button>
      )}
      {exported.kind === 'error' && (
        <p class="error" role="alert">
          Export failed: {exported.message}
        </p>
      )}

      <label for="backup-in" class="block-label">
        Backup to import
      </label>
      <textarea
        id="backup-in"
        data-testid="import-text"
        rows={3}
        value={text}
        spellcheck={false}
        placeholder="Paste a backup text"
        aria-describedby="backup-in-hint"
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <p class="hint" id="backup-in-hint">
        Importing replaces this browser's wallet key with the one in the backup.
      </p>
      <button
        type="button"
        class="button"
        data-testid="import-backup"
        disabled={!text.trim() || imported.kind === 'busy'}
        onClick={() => void doImport()}
      >
        Import backup
      </button>
      {imported.kind === 'error' && (
        <p class="error" role="alert" data-testid="import-error">
          Import failed: {imported.message}
        </p>
      )}
      {imported.kind === 'done' && (
        <p class="ok" role="status">
          Imported. This browser is now node <code title={imported.value}>{shortId(imported.value)}</code>.
        </p>
      )}
    </section>
  );
}
