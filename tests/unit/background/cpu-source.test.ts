import { describe, expect, it } from 'vitest';
import { chromeCpuSource, OtherCpuMeter } from '../../../src/background/cpu-source';

describe('OtherCpuMeter: the rest of the machine’s CPU use', () => {
  const s = (busy: number[], total: number[]) => ({ busy, total });

  it('needs two samples; subtracts our workers at their cap', () => {
    const m = new OtherCpuMeter();
    expect(m.next(s([0, 0, 0, 0], [0, 0, 0, 0]), { runningWorkers: 1, dutyPercent: 50 })).toBeNull();
    // 4 cores, 1000 ms each: 1500 ms busy = 37.5% of the machine; ours at most 1 × 50% / 4 = 12.5%.
    expect(
      m.next(s([500, 1000, 0, 0], [1000, 1000, 1000, 1000]), { runningWorkers: 1, dutyPercent: 50 }),
    ).toBe(25);
  });

  it('never goes below 0 or above 100, and counts parked workers as using nothing', () => {
    const m = new OtherCpuMeter();
    m.next(s([0, 0], [0, 0]), { runningWorkers: 0, dutyPercent: 100 });
    expect(m.next(s([100, 0], [1000, 1000]), { runningWorkers: 2, dutyPercent: 100 })).toBe(0);
    expect(m.next(s([1000, 900], [2000, 2000]), { runningWorkers: 0, dutyPercent: 100 })).toBe(90);
  });

  it('returns null when a sample is missing or the core count changed', () => {
    const m = new OtherCpuMeter();
    m.next(s([0, 0], [0, 0]), { runningWorkers: 0, dutyPercent: 50 });
    expect(m.next(null, { runningWorkers: 0, dutyPercent: 50 })).toBeNull();
    m.next(s([0], [0]), { runningWorkers: 0, dutyPercent: 50 });
    expect(m.next(s([0, 0], [10, 10]), { runningWorkers: 0, dutyPercent: 50 })).toBeNull();
  });

  it('reads chrome.system.cpu, and gives null where the API is absent or throws', async () => {
    const api = {
      getInfo: async () => ({
        processors: [{ usage: { user: 10, kernel: 5, idle: 85, total: 100 } }],
      }),
    };
    expect(await chromeCpuSource(api).sample()).toEqual({ busy: [15], total: [100] });
    expect(await chromeCpuSource(undefined).sample()).toBeNull();
    expect(await chromeCpuSource({ getInfo: () => Promise.reject(new Error('no')) }).sample()).toBeNull();
  });
});
