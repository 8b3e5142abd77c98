/**
 * Epoch words: Int32 counters that only ever go up (wrapping), bumped by a writer after it publishes
 * and watched by readers. Waiting on "the value I last saw" cannot miss a bump, unlike a boolean flag.
 */
import { canBlock } from './can-block.ts';

export type EpochWaitResult = 'changed' | 'timed-out';

/** Increments the epoch, wakes every waiter on it, and returns the new value. */
export function bumpEpoch(words: Int32Array, index: number): number {
  const next = (Atomics.add(words, index, 1) + 1) | 0;
  Atomics.notify(words, index);
  return next;
}

export function readEpoch(words: Int32Array, index: number): number {
  return Atomics.load(words, index);
}

/** Blocks until the epoch differs from `seen` (workers / Node only; the document main thread throws). */
export function waitEpochChange(
  words: Int32Array,
  index: number,
  seen: number,
  timeoutMs = Infinity,
): EpochWaitResult {
  if (!canBlock()) {
    throw new TypeError(
      'waitEpochChange: Atomics.wait is not allowed on this thread; use waitEpochChangeAsync',
    );
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (Atomics.load(words, index) !== seen) return 'changed';
    const left = deadline - performance.now();
    if (left <= 0) return 'timed-out';
    Atomics.wait(words, index, seen, left);
  }
}

/**
 * Resolves when the epoch differs from `seen`. Uses Atomics.waitAsync, so it is legal on a document
 * main thread. Aborting wakes the waiter with a notify on the same word (a spurious wake-up that
 * every other waiter tolerates), so no pending waiter outlives the call.
 */
export async function waitEpochChangeAsync(
  words: Int32Array,
  index: number,
  seen: number,
  timeoutMs = Infinity,
  signal?: AbortSignal,
): Promise<EpochWaitResult> {
  signal?.throwIfAborted();
  const deadline = performance.now() + timeoutMs;
  const onAbort = (): void => void Atomics.notify(words, index);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (Atomics.load(words, index) !== seen) return 'changed';
      signal?.throwIfAborted();
      const left = deadline - performance.now();
      if (left <= 0) return 'timed-out';
      const r = Atomics.waitAsync(words, index, seen, left);
      if (r.async) await r.value;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
