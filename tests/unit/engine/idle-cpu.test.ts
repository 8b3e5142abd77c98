/**
 * The dispatch path's spins (a worker polls its inbox after a job, CTRL.WORKER_SPIN_US) must never
 * burn CPU while idle. Per-thread CPU time from /proc/<pid>/task/<tid>/schedstat (ns on the CPU) of
 * the engine's two idle workers over a window, against a reference thread that spins for the same
 * window in the same run: a worker that kept spinning would get about what the reference gets (they
 * compete for the same cores), so the ratio bound holds on a busy machine too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPATCH_SPIN_DEFAULTS } from '../../../src/sab/layout';
import { need } from '../../_tools';
import { startEngine } from './_engine';

const haveSchedstat = existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`);
const WINDOW_MS = 600;

/** ns this thread has spent on a CPU. */
function cpuNs(tid: number): number {
  const text = readFileSync(`/proc/${process.pid}/task/${tid}/schedstat`, 'utf8');
  return Number(text.split(' ')[0]);
}

/** A thread that spins on an Atomics.load until told to stop; resolves with its tid once spinning. */
function startSpinner(flag: Int32Array): Promise<{ tid: number; worker: Worker }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    parentPort.postMessage(tid);
    while (Atomics.load(workerData, 0) === 0);`;
  const worker = new Worker(code, { eval: true, workerData: flag });
  return new Promise((resolve, reject) => {
    worker.once('message', (tid: number) => resolve({ tid, worker }));
    worker.once('error', reject);
  });
}

describe.skipIf(!need('per-thread CPU clocks', haveSchedstat, '/proc/<pid>/task/<tid>/schedstat, Linux'))(
  'dispatch spins: bounded per job, nothing while idle',
  () => {
    let h: Awaited<ReturnType<typeof startEngine>>;
    beforeAll(async () => {
      h = await startEngine(2);
    }, 60_000);
    afterAll(async () => {
      await h.stop();
    });

    it('the pool starts with the default spins and refuses out-of-range ones with a message', () => {
      expect(h.pool.dispatchSpin()).toEqual(DISPATCH_SPIN_DEFAULTS);
      expect(() => h.pool.setDispatchSpin({ workerUs: -1, hostUs: 0 })).toThrow(/workerUs.*0\.\.1000/);
      expect(() => h.pool.setDispatchSpin({ workerUs: 0, hostUs: 1e6 })).toThrow(/hostUs.*0\.\.1000/);
      expect(h.pool.dispatchSpin()).toEqual(DISPATCH_SPIN_DEFAULTS);
    });

    it("an idle worker's CPU time right after a burst of jobs is a sliver of a spinning thread's", async () => {
      // The longest linger the pool accepts, to make a spin that outlives its bound show.
      h.pool.setDispatchSpin({ workerUs: 1_000, hostUs: DISPATCH_SPIN_DEFAULTS.hostUs });
      const tids = new Map<number, number>();
      for (let attempt = 0; attempt < 20 && tids.size < 2; attempt++) {
        const outs = await Promise.all(
          [0, 1].map(() => h.engine.submit({ library: 'test', method: 'threadId' })),
        );
        for (const o of outs) {
          expect(o.status).toBe('ok');
          tids.set(o.worker, new DataView(o.output.buffer, o.output.byteOffset, 4).getUint32(0, true));
        }
      }
      expect(tids.size).toBe(2);
      // A burst of back-to-back jobs, so each worker has just lingered when the window opens.
      for (let k = 0; k < 200; k++) {
        const r = await h.engine.submit({
          library: 'test',
          method: 'echo',
          input: new Uint8Array([k & 255]),
        });
        expect(r.status).toBe('ok');
      }
      await Promise.all([0, 1, 2, 3].map(() => h.engine.submit({ library: 'test', method: 'echo' })));
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const spinner = await startSpinner(flag);
      try {
        const workers = [...tids.values()];
        const before = workers.map(cpuNs);
        const refBefore = cpuNs(spinner.tid);
        await new Promise((r) => setTimeout(r, WINDOW_MS));
        const after = workers.map(cpuNs);
        const ref = cpuNs(spinner.tid) - refBefore;
        const idle = after.map((a, k) => a - before[k]!);
        const ratio = Math.max(...idle) / ref;
        console.log(
          `idle workers on CPU ${idle.map((ns) => (ns / 1e6).toFixed(2)).join(' / ')} ms, spinning reference ${(ref / 1e6).toFixed(1)} ms over ${WINDOW_MS} ms: ratio ${ratio.toFixed(4)}`,
        );
        expect(ref).toBeGreaterThan(0);
        expect(ratio).toBeLessThan(0.1);
      } finally {
        Atomics.store(flag, 0, 1);
        await spinner.worker.terminate();
        h.pool.setDispatchSpin(DISPATCH_SPIN_DEFAULTS);
      }
    });
  },
);
