/**
 * One job from first result to decision, synchronously (the simulation; the mesh drives WorkUnit
 * and Reputation the same way across messages):
 *   1. run on a first contributor; if it is trusted and the 1/n draw says no replica, accept alone;
 *   2. else run on distinct contributors until a quorum agrees (a disagreement brings one more run);
 *   3. the quorum's members get a valid result (streak + 1), the minority a strike and streak 0.
 * Reputation takes every outcome; only results in the decided output are paid.
 */
import type { Reputation } from './reputation.ts';
import { WorkUnit, type Output, type WorkUnitOptions } from './work-unit.ts';

export interface VerifyJobDeps {
  reputation: Reputation;
  random: () => number;
  /** A contributor not in `exclude` and not excluded by reputation, or undefined when none is left. */
  pick: (exclude: ReadonlySet<string>) => string | undefined;
  run: (contributor: string) => Output;
}

export interface JobDecision {
  state: 'valid' | 'failed';
  output?: Output;
  /** Contributors whose result is the decided output: they are paid. */
  paid: string[];
  /** Contributors whose result lost: penalised. */
  penalised: string[];
  /** Results run for this job. */
  runs: number;
  /** Accepted on one trusted result. */
  unchecked: boolean;
}

export function verifyJob(jobId: string, deps: VerifyJobDeps, opts: WorkUnitOptions = {}): JobDecision {
  const unit = new WorkUnit(jobId, opts);
  const first = deps.pick(new Set());
  if (first === undefined) return { state: 'failed', paid: [], penalised: [], runs: 0, unchecked: false };
  const out = deps.run(first);
  if (!deps.reputation.needsReplica(first, deps.random)) {
    unit.acceptAlone(first, out);
    return { state: 'valid', output: out, paid: [first], penalised: [], runs: 1, unchecked: true };
  }
  let state = unit.add(first, out);
  while (state.state === 'pending') {
    const next = deps.pick(new Set(unit.contributors()));
    if (next === undefined) break;
    state = unit.add(next, deps.run(next));
  }
  const runs = unit.contributors().length;
  if (state.state !== 'valid') return { state: 'failed', paid: [], penalised: [], runs, unchecked: false };
  for (const id of state.valid) deps.reputation.recordValid(id);
  for (const id of state.invalid) deps.reputation.recordInvalid(id);
  return {
    state: 'valid',
    output: state.output,
    paid: [...state.valid],
    penalised: [...state.invalid],
    runs,
    unchecked: false,
  };
}
