import { readdirSync, readFileSync } from 'node:fs';

/** Linux clock ticks per second for /proc stat times (sysconf(_SC_CLK_TCK) is 100 on Linux/x86-64). */
const TICKS_PER_S = 100;

interface ThreadTimes {
  /** Compute workers of the offscreen document: Chromium names their threads "DedicatedWorker". */
  workerMs: number;
  /** Every thread of every Chromium process of this profile. */
  totalMs: number;
}

function isOurs(pid: string, userDataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(userDataDir);
  } catch {
    return false;
  }
}

/**
 * CPU time used so far by this browser profile's processes, read from /proc: what the kernel
 * measured, not what the extension believes it used.
 */
export function cpuTimes(userDataDir: string): ThreadTimes {
  let worker = 0;
  let total = 0;
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    if (!isOurs(pid, userDataDir)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
        total += ticks;
        if (name.startsWith('DedicatedWorker')) worker += ticks;
      } catch {
        // the thread ended between listing and reading
      }
    }
  }
  return { workerMs: (worker * 1000) / TICKS_PER_S, totalMs: (total * 1000) / TICKS_PER_S };
}

/** Measures CPU use over `ms` of wall time: percent of one core, for the workers and for everything. */
export async function measureCpu(
  userDataDir: string,
  ms: number,
): Promise<{ workerPct: number; totalPct: number }> {
  const a = cpuTimes(userDataDir);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes(userDataDir);
  const wall = performance.now() - t0;
  return {
    workerPct: ((b.workerMs - a.workerMs) / wall) * 100,
    totalPct: ((b.totalMs - a.totalMs) / wall) * 100,
  };
}
