/**
 * Holds the extension's filler work (local proof-of-work slices, preemptible engine jobs) while the
 * mesh moves chunks: on this 2-core machine browser→browser chunk exchange measured 1.32 MB/s with
 * both browsers running slices and 2.41 MB/s with neither (bench:mesh, issue #9). Paid (urgent) jobs
 * are never held by this.
 *
 * `update(active)` is told the number of transfers in flight (ChunkExchange.activeTransfers, summed
 * by the mesh host): the first one takes a hold on the engine (`hold()`, JobEngine.holdPreemptible);
 * when none is left the hold lingers LINGER_MS, so a pipelined set of wants is one hold, not many.
 * A hold is released on every path: transfers ending (their counts end in `finally`), `dispose()`
 * (the document closing), and MAX_HOLD_MS of one continuous hold (a count that never ends — a bug —
 * must not stop proof-of-work for good): then no hold is taken until the count reaches 0 again.
 */
export const LINGER_MS = 500;
export const MAX_HOLD_MS = 120_000;

export interface TransferHoldDeps {
  /** Takes a hold; returns its release, or null when there is nothing to hold (engine not started). */
  hold: () => (() => void) | null;
  now: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  lingerMs?: number;
  maxHoldMs?: number;
}

export class TransferHold {
  #release: (() => void) | null = null;
  #since = 0;
  #active = 0;
  #linger: unknown = null;
  #cap: unknown = null;
  /** Set when MAX_HOLD_MS passed: no new hold until the count reaches 0. */
  #capped = false;
  #disposed = false;
  /** Holds taken so far (one per burst of transfers, for tests and diagnostics). */
  holds = 0;
  /** Holds ended by MAX_HOLD_MS. */
  capped = 0;
  readonly #set: (fn: () => void, ms: number) => unknown;
  readonly #clear: (t: unknown) => void;

  constructor(private readonly deps: TransferHoldDeps) {
    this.#set = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clear = deps.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  /** The number of chunk transfers in flight now. */
  update(active: number): void {
    if (this.#disposed) return;
    this.#active = Math.max(0, active);
    if (this.#active > 0) {
      this.#stopLinger();
      if (this.#release === null && !this.#capped) this.#take();
      return;
    }
    this.#capped = false;
    if (this.#release !== null && this.#linger === null)
      this.#linger = this.#set(() => {
        this.#linger = null;
        if (this.#active === 0) this.#drop();
      }, this.deps.lingerMs ?? LINGER_MS);
  }

  /** Whether the filler is held now. */
  get held(): boolean {
    return this.#release !== null;
  }

  /** How long the current hold has lasted (ms), 0 when none. */
  heldForMs(): number {
    return this.#release === null ? 0 : Math.max(0, this.deps.now() - this.#since);
  }

  /** The document closes: releases the hold and takes no more. */
  dispose(): void {
    this.#disposed = true;
    this.#drop();
  }

  #take(): void {
    const release = this.deps.hold();
    if (release === null) return;
    this.#release = release;
    this.#since = this.deps.now();
    this.holds++;
    this.#cap = this.#set(() => {
      this.#cap = null;
      if (this.#release === null) return;
      this.capped++;
      this.#capped = true;
      this.#drop();
    }, this.deps.maxHoldMs ?? MAX_HOLD_MS);
  }

  #stopLinger(): void {
    if (this.#linger !== null) this.#clear(this.#linger);
    this.#linger = null;
  }

  #drop(): void {
    this.#stopLinger();
    if (this.#cap !== null) this.#clear(this.#cap);
    this.#cap = null;
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}
