/**
 * Verification of paid work (BOINC's recipe), pure and transport-agnostic: the mesh feeds it
 * results and acts on its decisions. `verifyJob` runs one job to a decision given a way to pick
 * contributors and run the job on them; `WorkUnit` and `Reputation` are its parts.
 */
export { type ContributorRecord, type ReputationOptions, Reputation } from './reputation.ts';
export { type Output, type UnitState, type WorkUnitOptions, WorkUnit, sameOutput } from './work-unit.ts';
export { type PayDecision, payQuorum } from './pay.ts';
export {
  type Kind,
  type Ledger,
  type SimulationOptions,
  type SimulationReport,
  simulateMarket,
} from './simulation.ts';
export { type JobDecision, type VerifyJobDeps, verifyJob } from './verify-job.ts';
