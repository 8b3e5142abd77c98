import { useEffect, useRef, useState } from 'preact/hooks';
import type { Settings } from '../scheduler/settings';
import { ask } from './client';
import { errorText, settingsErrorText } from './format';
import { FIELD_LABELS } from './limits';

export type SaveState =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'saved'; what: string }
  | { kind: 'error'; message: string };

/** A change, computed from the settings the background last confirmed (so none is lost to a race). */
export type Patch = (confirmed: Settings) => Partial<Settings>;

/**
 * The user's settings as the background holds them. Updates go out one at a time, in order, each
 * built on the previous answer: two quick edits to the same group (active workers, then active duty
 * cycle) both land. A refused update leaves the confirmed settings and shows the background's reason.
 */
export function useSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [save, setSave] = useState<SaveState>({ kind: 'idle' });
  const confirmed = useRef<Settings | null>(null);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const live = useRef(true);

  useEffect(() => {
    live.current = true;
    ask('settings/get').then(
      (s) => {
        confirmed.current = s;
        if (live.current) setSettings(s);
      },
      (e: unknown) => {
        if (live.current) setLoadError(errorText(e));
      },
    );
    return () => {
      live.current = false;
    };
  }, []);

  const update = (what: string, patch: Patch) => {
    setSave({ kind: 'saving' });
    queue.current = queue.current.then(async () => {
      const base = confirmed.current;
      if (!base) return;
      try {
        const next = await ask('settings/set', patch(base));
        confirmed.current = next;
        if (live.current) {
          setSettings(next);
          setSave({ kind: 'saved', what });
        }
      } catch (e) {
        if (!live.current) return;
        // A new object re-renders the controls, so a refused checkbox flips back.
        setSettings({ ...base });
        setSave({ kind: 'error', message: settingsErrorText(errorText(e), FIELD_LABELS) });
      }
    });
  };

  const invalid = (message: string) => setSave({ kind: 'error', message: `Not saved. ${message}` });

  return { settings, loadError, save, update, invalid };
}
