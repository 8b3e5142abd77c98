import { useEffect, useState } from 'preact/hooks';

/** Calls `load` now and every `everyMs` while mounted; keeps the last value and the last error. */
export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number,
): {
  value: T | null;
  error: string | null;
  set: (v: T) => void;
} {
  const [value, set] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const tick = () =>
      load().then(
        (v) => live && (set(v), setError(null)),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    void tick();
    const t = setInterval(tick, everyMs);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [everyMs]);
  return { value, error, set };
}
