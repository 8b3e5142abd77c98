/** Workflows: several capsule jobs as one transaction, with a write-ahead journal and live metrics. */
export {
  decodeWorkflow,
  encodeWorkflow,
  ERROR_POLICIES,
  OPERATORS,
  parseWorkflowJson,
  RECOVERIES,
  workflowFromJson,
  workflowToJson,
  type Condition,
  type ErrorPolicy,
  type Recovery,
  type Workflow,
  type WorkflowStep,
} from './definition.ts';
export { JournalCorruptError, WorkflowDefinitionError } from './errors.ts';
export { IdbJournal, JOURNAL_DB } from './idb-journal.ts';
export {
  progressOf,
  RESULT_OUTPUT_MAX,
  STATE_DB,
  WorkflowStateStore,
  type WorkflowProgress,
  type WorkflowResultView,
} from './idb-state.ts';
export type { InputDescriptor, Journal, JournalRecord, WorkflowEnd } from './journal.ts';
export {
  histogram,
  Metrics,
  SLO_ARENA_EFFICIENCY,
  SLO_P95_MS,
  SLO_SUCCESS_RATE,
  type JobObservation,
  type MethodMetrics,
  type MetricsExport,
  type MetricsSnapshot,
  type MethodSummary,
} from './metrics.ts';
export {
  newWorkflowId,
  Orchestrator,
  type RunOptions,
  type StepReport,
  type WorkflowEngine,
  type StepAttempt,
  type InFlightStep,
  type WorkflowResult,
} from './orchestrator.ts';
export { planWorkflow, type Plan } from './validate.ts';
