/**
 * The settings form's labelled inputs. Each keeps what the user typed (`draft`) until it is valid,
 * commits on `change` (blur, Enter, a spinner step), and shows its own error under the field.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { checkBootstrapAddr } from '../mesh/libp2p/bootstrap-addr';
import { checkNumber, checkTime, type Checked, type NumberLimit } from './limits';

interface TextLikeProps<T> {
  id: string;
  label: string;
  value: T;
  disabled?: boolean;
  hint?: string;
  onCommit: (v: T) => void;
  onInvalid: (message: string) => void;
}

function useDraft<T>(
  { value, onCommit, onInvalid }: TextLikeProps<T>,
  show: (v: T) => string,
  check: (text: string) => Checked<T>,
) {
  const [draft, setDraft] = useState(show(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(show(value));
    setError(null);
  }, [value]);
  const commit = () => {
    const r = check(draft);
    if (!r.ok) {
      setError(r.detail.charAt(0).toUpperCase() + r.detail.slice(1));
      onInvalid(r.message);
      return;
    }
    setError(null);
    if (r.value !== value) onCommit(r.value);
  };
  return { draft, setDraft, error, commit };
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Shell(props: {
  id: string;
  label: string;
  hint: string | undefined;
  error: string | null;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      <span class="control">{props.children}</span>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A whole number within `limit`, with its unit after the box. */
export function NumberField(props: Omit<TextLikeProps<number>, 'label'> & { limit: NumberLimit }) {
  const { id, limit, disabled, hint } = props;
  const d = useDraft({ ...props, label: limit.label }, String, (t) => checkNumber(t, limit));
  return (
    <Shell id={id} label={limit.label} hint={hint} error={d.error}>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={limit.min}
        max={limit.max}
        step={1}
        value={d.draft}
        disabled={disabled}
        aria-invalid={d.error ? true : undefined}
        aria-describedby={describedBy(id, hint, d.error)}
        onInput={(e) => d.setDraft(e.currentTarget.value)}
        onChange={d.commit}
      />
      <span class="unit" aria-hidden="true">
        {limit.unit}
      </span>
    </Shell>
  );
}

/** A local time, HH:MM. */
export function TimeField(props: TextLikeProps<string>) {
  const { id, label, disabled, hint } = props;
  const d = useDraft(
    props,
    (v) => v,
    (t) => checkTime(t, label),
  );
  return (
    <Shell id={id} label={label} hint={hint} error={d.error}>
      <input
        id={id}
        type="time"
        value={d.draft}
        disabled={disabled}
        required
        aria-invalid={d.error ? true : undefined}
        aria-describedby={describedBy(id, hint, d.error)}
        onInput={(e) => d.setDraft(e.currentTarget.value)}
        onChange={d.commit}
      />
      <span class="unit" aria-hidden="true" />
    </Shell>
  );
}

/** A checkbox with its label after it; commits at once. */
export function CheckboxField(props: {
  id: string;
  label: string;
  checked: boolean;
  disabled?: boolean;
  hint?: string;
  onCommit: (v: boolean) => void;
}) {
  const { id, label, checked, disabled, hint, onCommit } = props;
  return (
    <div class="field check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onCommit(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** Multiaddrs, one per line; each must be dialable by a browser and name its peer (bootstrap-addr.ts). */
export function checkBootstrapList(text: string): Checked<string[]> {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length > 16)
    return { ok: false, message: 'Bootstrap peers: at most 16', detail: 'at most 16 addresses' };
  for (const line of lines) {
    const problem = checkBootstrapAddr(line);
    if (problem !== null) return { ok: false, message: `Bootstrap peers: ${problem}`, detail: problem };
  }
  return { ok: true, value: lines };
}

/** The bootstrap list as a textarea, one multiaddr a line; commits on change (blur). */
export function BootstrapField(props: TextLikeProps<string[]>) {
  const { id, label, disabled, hint } = props;
  const d = useDraft(props, (v) => v.join('\n'), checkBootstrapList);
  return (
    <Shell id={id} label={label} hint={hint} error={d.error}>
      <textarea
        id={id}
        data-testid="bootstrap"
        rows={3}
        spellcheck={false}
        value={d.draft}
        disabled={disabled}
        aria-invalid={d.error ? true : undefined}
        aria-describedby={describedBy(id, hint, d.error)}
        onInput={(e) => d.setDraft(e.currentTarget.value)}
        onChange={d.commit}
      />
      <span class="unit" aria-hidden="true" />
    </Shell>
  );
}
