import { useEffect, useState } from 'preact/hooks';
import { ask } from './client';
import { errorText, shortId } from './format';

type Action<T> =
  { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; value: T } | { kind: 'error'; message: string };

const MIN_PASSPHRASE = 10;

/**
 * This node's wallet: its id, an encrypted backup of the key and ledger to export, and an import
 * that restores one. Both ask for confirmation; an import that would replace a key still holding
 * credits asks a second time, naming the amount (the background refuses without it).
 */
export function Wallet({ nodeId, nodeIdError }: { nodeId: string | null; nodeIdError: string | null }) {
  const [exported, setExported] = useState<Action<{ backup: string; warning: string; fileName: string }>>({
    kind: 'idle',
  });
  const [confirmExport, setConfirmExport] = useState(false);
  const [pass1, setPass1] = useState('');
  const [pass2, setPass2] = useState('');
  const [imported, setImported] = useState<Action<{ nodeId: string; balance: number }>>({ kind: 'idle' });
  const [text, setText] = useState('');
  const [importPass, setImportPass] = useState('');
  const [confirmImport, setConfirmImport] = useState<'no' | 'first' | 'discard'>('no');
  const [discardText, setDiscardText] = useState('');
  const [url, setUrl] = useState<string | null>(null);

  useEffect(() => {
    if (exported.kind !== 'done') return undefined;
    const u = URL.createObjectURL(new Blob([exported.value.backup], { type: 'application/json' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [exported]);

  const passProblem =
    pass1.length < MIN_PASSPHRASE
      ? `At least ${MIN_PASSPHRASE} characters (a few words are best).`
      : pass1 !== pass2
        ? 'The two passphrases differ.'
        : null;

  const doExport = async () => {
    setConfirmExport(false);
    setExported({ kind: 'busy' });
    try {
      setExported({ kind: 'done', value: await ask('identity/export', { passphrase: pass1 }) });
      setPass1('');
      setPass2('');
    } catch (e) {
      setExported({ kind: 'error', message: errorText(e) });
    }
  };

  const doImport = async (discardCredits: boolean) => {
    setImported({ kind: 'busy' });
    try {
      const passphrase = importPass === '' ? undefined : importPass;
      const res = await ask('identity/import', { backup: text.trim(), passphrase, discardCredits });
      setImported({ kind: 'done', value: res });
      setConfirmImport('no');
      setText('');
      setImportPass('');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'would-discard') {
        setConfirmImport('discard');
        setDiscardText(errorText(e));
        setImported({ kind: 'idle' });
        return;
      }
      setConfirmImport('no');
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
          {url && (
            <a class="button" href={url} download={exported.value.fileName} data-testid="backup-download">
              Save backup file
            </a>
          )}
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
        <div class="backup">
          <label for="pass-1" class="block-label">
            Backup passphrase
          </label>
          <input
            id="pass-1"
            type="password"
            autocomplete="new-password"
            value={pass1}
            onInput={(e) => setPass1(e.currentTarget.value)}
          />
          <label for="pass-2" class="block-label">
            Repeat passphrase
          </label>
          <input
            id="pass-2"
            type="password"
            autocomplete="new-password"
            value={pass2}
            onInput={(e) => setPass2(e.currentTarget.value)}
          />
          {pass1 !== '' && passProblem && <p class="hint">{passProblem}</p>}
          {confirmExport ? (
            <p class="warning" role="alert" data-testid="export-confirm">
              The file and this passphrase together let anyone spend your credits. Export now?{' '}
              <button type="button" class="button" onClick={() => void doExport()}>
                Yes, export
              </button>{' '}
              <button type="button" class="button" onClick={() => setConfirmExport(false)}>
                Cancel
              </button>
            </p>
          ) : (
            <button
              type="button"
              class="button"
              data-testid="export-backup"
              disabled={exported.kind === 'busy' || passProblem !== null}
              onClick={() => setConfirmExport(true)}
            >
              {exported.kind === 'busy' ? 'Encrypting…' : 'Export backup'}
            </button>
          )}
        </div>
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
      <label for="import-pass" class="block-label">
        Its passphrase
      </label>
      <input
        id="import-pass"
        type="password"
        autocomplete="off"
        value={importPass}
        onInput={(e) => setImportPass(e.currentTarget.value)}
      />
      <p class="hint" id="backup-in-hint">
        Importing replaces this browser's wallet (key and ledger) with the one in the backup.
      </p>
      {confirmImport === 'no' && (
        <button
          type="button"
          class="button"
          data-testid="import-backup"
          disabled={!text.trim() || imported.kind === 'busy'}
          onClick={() => setConfirmImport('first')}
        >
          Import backup
        </button>
      )}
      {confirmImport === 'first' && (
        <p class="warning" role="alert" data-testid="import-confirm">
          Replace this browser's wallet with the backup?{' '}
          <button
            type="button"
            class="button"
            disabled={imported.kind === 'busy'}
            onClick={() => void doImport(false)}
          >
            {imported.kind === 'busy' ? 'Decrypting…' : 'Yes, import'}
          </button>{' '}
          <button type="button" class="button" onClick={() => setConfirmImport('no')}>
            Cancel
          </button>
        </p>
      )}
      {confirmImport === 'discard' && (
        <p class="warning" role="alert" data-testid="import-discard">
          <strong>{discardText}</strong>{' '}
          <button
            type="button"
            class="button"
            disabled={imported.kind === 'busy'}
            onClick={() => void doImport(true)}
          >
            Discard those credits and import
          </button>{' '}
          <button type="button" class="button" onClick={() => setConfirmImport('no')}>
            Keep this wallet
          </button>
        </p>
      )}
      {imported.kind === 'error' && (
        <p class="error" role="alert" data-testid="import-error">
          Import failed: {imported.message}
        </p>
      )}
      {imported.kind === 'done' && (
        <p class="ok" role="status" data-testid="import-done">
          Imported. This browser is now node{' '}
          <code title={imported.value.nodeId}>{shortId(imported.value.nodeId)}</code>, balance{' '}
          {imported.value.balance / 1_000_000} credits.
        </p>
      )}
    </section>
  );
}
