import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './format';

/**
 * Calls `load` now and then `everyMs` after each answer while mounted; keeps the last value and the
 * last error. The next call waits for the previous answer, so a slow background (a service worker
 * waking up) never gets a pile of requests. `refresh()` asks again at once (after a user action).
 */
export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number,
): {
  value: T | null;
  error: string | null;
  set: (v: T) => void;
  refresh: () => void;
} {
  const [value, set] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const kick = useRef<() => void>(() => {});

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    let again = false;
    const tick = () => {
      clearTimeout(timer);
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      loadRef
        .current()
        .then(
          (v) => {
            if (live) {
              set(v);
              setError(null);
            }
          },
          (e: unknown) => {
            if (live) setError(errorText(e));
          },
        )
        .finally(() => {
          inFlight = false;
          if (live) timer = setTimeout(tick, again ? 0 : everyMs);
          again = false;
        });
    };
    kick.current = tick;
    tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [everyMs]);

  const refresh = useCallback(() => kick.current(), []);
  return { value, error, set, refresh };
}
