let cached: boolean | undefined;

/**
 * Whether this thread may call `Atomics.wait`. A document's main thread may not (it throws
 * TypeError); workers and Node threads may. Probed once on a private word with a zero timeout, so
 * the probe never blocks and needs no knowledge of the host environment.
 */
export function canBlock(): boolean {
  if (cached === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      cached = true;
    } catch {
      cached = false;
    }
  }
  return cached;
}
