/**
 * Virtual time: a binary heap of events ordered by (time, insertion order), so a run is a pure
 * function of the seed. No real timer is ever started. Protocol code is async (it awaits port
 * calls), so after an event that settles a promise the loop lets the microtask queue drain
 * (one setImmediate turn) before the clock moves on, so continuations run at the virtual instant
 * their promise settled.
 */
interface Event {
  t: number;
  seq: number;
  /** Returning false says "settled nothing" and skips the drain. */
  fn: () => unknown;
  /** The event may settle a promise: drain microtasks after it. */
  settles: boolean;
}

export class Scheduler {
  private heap: Event[] = [];
  private seq = 0;
  /** Virtual wall clock, Unix ms. */
  now: number;
  /** Events run so far (for the report). */
  processed = 0;
  /** Microtask drains so far. */
  drains = 0;

  constructor(startMs: number) {
    this.now = startMs;
  }

  at(t: number, fn: () => unknown, settles = false): void {
    const e: Event = { t: Math.max(t, this.now), seq: this.seq++, fn, settles };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p] as Event)) break;
      h[i] = h[p] as Event;
      i = p;
    }
    h[i] = e;
  }

  after(delayMs: number, fn: () => unknown, settles = false): void {
    this.at(this.now + delayMs, fn, settles);
  }

  private pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r] as Event, h[l] as Event) ? r : l;
      if (!before(h[c] as Event, last)) break;
      h[i] = h[c] as Event;
      i = c;
    }
    h[i] = last;
    return top;
  }

  /** Runs every event up to and including virtual time `t`, then sets the clock to `t`. */
  async runUntil(t: number): Promise<void> {
    await drain();
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.t > t) break;
      this.pop();
      this.now = top.t;
      const r = top.fn();
      this.processed++;
      if (top.settles && r !== false) {
        this.drains++;
        await drain();
      }
    }
    this.now = t;
    await drain();
  }

  get pending(): number {
    return this.heap.length;
  }
}

function before(a: Event, b: Event): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

/** One macrotask turn: every queued microtask (and the ones they queue) runs first. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
