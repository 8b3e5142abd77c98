/**
 * A bounded, adaptive busy-wait that never sleeps (legal on a page's main thread): the dispatch
 * path's answer to a futex wake or an Atomics.waitAsync task hop, which cost tens of µs.
 *
 * A spin only pays when the thread it waits for runs on another core at the same time; on an
 * oversubscribed machine it takes that thread's CPU (bench:dispatch measured 2× slower round trips at
 * load 31 on 2 cores with fixed 50 µs spins on both sides). So: a spin that ran out halves the next
 * one, a spin that saw its condition restores the full bound, and once the budget is below a
 * microsecond only every 16th call probes with the full bound again (a missed probe changes nothing).
 * So a machine where spins never pay loses about maxUs/16 per call.
 */
export class AdaptiveSpin {
  /**
   * Spins of this realm (thread) that saw their condition, ran out, or were skipped (collapsed
   * budget): what bench:dispatch reports as the page's hit rate.
   */
  static readonly stats = { hits: 0, misses: 0, skips: 0 };
  private budgetUs = -1;
  private sinceProbe = 0;

  /**
   * Polls `ready` (cheap: an Atomics.load) for up to `maxUs` µs, reading the clock every 64 polls;
   * true as soon as it returns true, false when the budget ran out (or `maxUs` is not positive).
   */
  spin(maxUs: number, ready: () => boolean): boolean {
    if (!(maxUs > 0)) return false;
    let us = this.budgetUs < 0 || this.budgetUs > maxUs ? maxUs : this.budgetUs;
    const probe = us < 1;
    if (probe) {
      if (++this.sinceProbe < 16) {
        AdaptiveSpin.stats.skips++;
        return false;
      }
      this.sinceProbe = 0;
      us = maxUs;
    }
    const end = performance.now() + us / 1000;
    for (;;) {
      for (let i = 0; i < 64; i++)
        if (ready()) {
          AdaptiveSpin.stats.hits++;
          this.budgetUs = maxUs;
          return true;
        }
      if (performance.now() >= end) {
        AdaptiveSpin.stats.misses++;
        // A missed probe leaves the budget collapsed: no halving run of shorter spins after it.
        this.budgetUs = probe ? 0 : us / 2;
        return false;
      }
    }
  }
}
