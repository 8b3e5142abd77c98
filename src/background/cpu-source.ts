/**
 * How busy the rest of the machine is: BOINC's "non-BOINC CPU usage". chrome.system.cpu gives
 * cumulative busy/total times per core for the whole machine; our own workers' share is subtracted, so
 * what is left is what the user's programs (their tabs, the browser itself, other applications) use.
 */

/** Cumulative per-core times (ms), as chrome.system.cpu reports them. */
export interface CpuTimes {
  /** user + kernel per core. */
  busy: readonly number[];
  /** user + kernel + idle per core. */
  total: readonly number[];
}

/** Behind an interface: WXT's fake browser has no system.cpu, and unit tests drive the numbers. */
export interface CpuSource {
  sample(): Promise<CpuTimes | null>;
}

interface SystemCpuApi {
  getInfo(): Promise<{
    processors: { usage: { user: number; kernel: number; idle: number; total: number } }[];
  }>;
}

/** chrome.system.cpu (permission "system.cpu"); null where the API is missing or fails. */
export function chromeCpuSource(api: SystemCpuApi | undefined): CpuSource {
  return {
    async sample() {
      if (!api) return null;
      try {
        const info = await api.getInfo();
        return {
          busy: info.processors.map((p) => p.usage.user + p.usage.kernel),
          total: info.processors.map((p) => p.usage.total),
        };
      } catch {
        return null;
      }
    },
  };
}

/** What our own workers ran during the interval: how many held a job, at which duty cycle. */
export interface OwnShare {
  /** Workers running a job (parked workers use no CPU). */
  runningWorkers: number;
  dutyPercent: number;
}

/**
 * Turns successive samples into "the rest of the machine's CPU use, percent of all cores". Our own
 * share is counted at its cap (duty × running workers): an upper bound, so our work is never mistaken
 * for the user's and contributing cannot suspend itself.
 */
export class OtherCpuMeter {
  private prev: CpuTimes | null = null;

  /** Percent of all cores used by everything but our workers since the previous sample; null at first. */
  next(sample: CpuTimes | null, own: OwnShare): number | null {
    const prev = this.prev;
    this.prev = sample;
    if (!sample || !prev || prev.total.length !== sample.total.length || sample.total.length === 0)
      return null;
    let busy = 0;
    let total = 0;
    for (let i = 0; i < sample.total.length; i++) {
      busy += (sample.busy[i] ?? 0) - (prev.busy[i] ?? 0);
      total += (sample.total[i] ?? 0) - (prev.total[i] ?? 0);
    }
    if (total <= 0) return null;
    const cores = sample.total.length;
    const machinePct = (100 * busy) / total;
    const ownPct = (100 * Math.min(own.runningWorkers, cores) * (own.dutyPercent / 100)) / cores;
    return Math.max(0, Math.min(100, machinePct - ownPct));
  }
}
