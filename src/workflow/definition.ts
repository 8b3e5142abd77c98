/**
 * A workflow as the orchestrator runs it, read from its JSON form (`inos run workflow --params
 * @workflow.json`) or its Cap'n Proto form (schemas/workflow.capnp), and written back to either.
 *
 * This module checks shape only (types, sizes, names); src/workflow/validate.ts checks meaning against
 * the capsule registry (methods exist, references point backwards, no cycles).
 */
import { z } from 'zod';
import { parseParams } from '../engine/validate.ts';
import { decodeDynamic, encodeDynamic, OUR_LAYOUTS } from '../wire/index.ts';
import { WorkflowDefinitionError } from './errors.ts';

export const ERROR_POLICIES = ['abort', 'skip', 'retry', 'rollback'] as const;
export type ErrorPolicy = (typeof ERROR_POLICIES)[number];
export const RECOVERIES = ['resume', 'rollback'] as const;
export type Recovery = (typeof RECOVERIES)[number];
export const OPERATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  field: string;
  operator: Operator;
  value: number;
}

export interface WorkflowStep {
  name: string;
  library: string;
  method: string;
  params: Record<string, unknown>;
  /** `previous`, `workflow`, `none` or `steps.NAME`. */
  input: string;
  mode: 'sequential' | 'parallel';
  condition?: Condition;
}

export interface Workflow {
  name: string;
  steps: WorkflowStep[];
  onError: ErrorPolicy;
  /** Credits for the whole workflow; 0: the sum of the steps' cost caps. */
  budget: number;
  retryAttempts: number;
  retryBackoffMs: number;
  recovery: Recovery;
  vars: Record<string, unknown>;
}

export const MAX_STEPS = 256;
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_BACKOFF_MS = 50;
const MAX_VARS_BYTES = 64 * 1024;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const NAME_RULE = 'a name: a letter or _, then up to 63 letters, digits, _ or -';

const condition = z.strictObject({
  field: z.string().min(1, 'field must name previous.FIELD or steps.NAME.FIELD').max(256),
  operator: z.enum(OPERATORS, { error: `operator must be one of ${OPERATORS.join(' ')}` }),
  value: z.number({ error: 'value must be a finite number' }).finite('value must be a finite number'),
});

const jsonObject = (what: string) =>
  z.record(z.string(), z.unknown(), { error: `${what} must be a JSON object` });

const step = z
  .strictObject({
    name: z.string().regex(NAME, `name must be ${NAME_RULE}`).optional(),
    library: z.string({ error: 'library must be a capsule name (a string)' }).min(1).max(64),
    method: z.string({ error: 'method must be a method name (a string)' }).min(1).max(64),
    params: jsonObject('params').optional(),
    input: z.string().max(80).optional(),
    sequential: z.strictObject({}, { error: 'sequential must be {}' }).optional(),
    parallel: z.strictObject({}, { error: 'parallel must be {}' }).optional(),
    conditional: condition.optional(),
  })
  .refine((s) => !(s.parallel && (s.sequential || s.conditional)), {
    message: 'a step is sequential, parallel or conditional: parallel cannot be combined with the others',
  });

const workflowJson = z.strictObject({
  name: z.string().max(128).optional(),
  steps: z
    .array(step, { error: 'steps must be a list of steps' })
    .min(1, 'a workflow needs at least one step')
    .max(MAX_STEPS, `a workflow has at most ${MAX_STEPS} steps`),
  onError: z
    .enum(ERROR_POLICIES, { error: `onError must be one of ${ERROR_POLICIES.join(', ')}` })
    .optional(),
  on_error: z
    .enum(ERROR_POLICIES, { error: `on_error must be one of ${ERROR_POLICIES.join(', ')}` })
    .optional(),
  budget: z
    .number({ error: 'budget must be a whole number of credits' })
    .int('budget must be a whole number of credits')
    .min(0, 'budget must be ≥ 0')
    .max(Number.MAX_SAFE_INTEGER)
    .optional(),
  retry: z
    .strictObject({
      attempts: z.number().int().min(0).max(10, 'retry.attempts must be 0-10').optional(),
      backoffMs: z.number().int().min(0).max(60_000, 'retry.backoffMs must be 0-60000').optional(),
    })
    .optional(),
  recovery: z.enum(RECOVERIES, { error: `recovery must be one of ${RECOVERIES.join(', ')}` }).optional(),
  vars: jsonObject('vars').optional(),
});

function issuesText(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Parses the JSON form: the workflow object itself or `{ "workflow": {...} }` (the design's). */
export function parseWorkflowJson(text: string): Workflow {
  let raw: unknown;
  try {
    // The engine's own checks for params text: ≤ 1 MiB, nesting ≤ 32, no prototype-polluting keys.
    raw = parseParams(text);
  } catch (err) {
    throw new WorkflowDefinitionError([
      `the definition ${err instanceof Error ? err.message.replace(/^params /, '') : String(err)}`,
    ]);
  }
  return workflowFromJson(raw);
}

export function workflowFromJson(raw: unknown): Workflow {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && Object.hasOwn(raw, 'workflow')) {
    const keys = Object.keys(raw);
    if (keys.length !== 1)
      throw new WorkflowDefinitionError([
        `a wrapped workflow has only the key "workflow", not ${keys.join(', ')}`,
      ]);
    raw = (raw as { workflow: unknown }).workflow;
  }
  const parsed = workflowJson.safeParse(raw);
  if (!parsed.success) throw new WorkflowDefinitionError(issuesText(parsed.error));
  const w = parsed.data;
  if (w.onError && w.on_error && w.onError !== w.on_error)
    throw new WorkflowDefinitionError(['onError and on_error disagree; give one']);
  const vars = w.vars ?? {};
  if (JSON.stringify(vars).length > MAX_VARS_BYTES)
    throw new WorkflowDefinitionError([`vars are at most ${MAX_VARS_BYTES} bytes of JSON`]);
  return {
    name: w.name ?? '',
    steps: w.steps.map((s, i) => ({
      name: s.name ?? `step${i}`,
      library: s.library,
      method: s.method,
      params: s.params ?? {},
      input: s.input ?? 'previous',
      mode: s.parallel ? 'parallel' : 'sequential',
      ...(s.conditional ? { condition: s.conditional } : {}),
    })),
    onError: w.onError ?? w.on_error ?? 'abort',
    budget: w.budget ?? 0,
    retryAttempts: w.retry?.attempts ?? DEFAULT_RETRY_ATTEMPTS,
    retryBackoffMs: w.retry?.backoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
    recovery: w.recovery ?? 'resume',
    vars,
  };
}

/** The JSON form, as parseWorkflowJson reads it back. */
export function workflowToJson(w: Workflow): Record<string, unknown> {
  return {
    ...(w.name ? { name: w.name } : {}),
    steps: w.steps.map((s) => ({
      name: s.name,
      library: s.library,
      method: s.method,
      params: s.params,
      input: s.input,
      ...(s.mode === 'parallel'
        ? { parallel: {} }
        : s.condition
          ? { conditional: s.condition }
          : { sequential: {} }),
    })),
    onError: w.onError,
    budget: w.budget,
    retry: { attempts: w.retryAttempts, backoffMs: w.retryBackoffMs },
    recovery: w.recovery,
    vars: w.vars,
  };
}

const WORKFLOW_STRUCT = 'workflow.capnp:Workflow';

/** One Cap'n Proto frame (schemas/workflow.capnp `Workflow`). */
export function encodeWorkflow(w: Workflow): Uint8Array {
  return encodeDynamic(
    {
      steps: w.steps.map((s) => ({
        library: s.library,
        method: s.method,
        params: JSON.stringify(s.params),
        name: s.name,
        input: s.input,
        ...(s.mode === 'parallel'
          ? { parallel: null }
          : s.condition
            ? { conditional: s.condition }
            : { sequential: null }),
      })),
      onError: w.onError,
      budget: BigInt(w.budget),
      retryAttempts: w.retryAttempts,
      retryBackoffMs: w.retryBackoffMs,
      recovery: w.recovery,
      vars: Object.keys(w.vars).length ? JSON.stringify(w.vars) : '',
      name: w.name,
    },
    OUR_LAYOUTS,
    WORKFLOW_STRUCT,
  );
}

/** Reads a frame and checks it like the JSON form (a hostile frame gets a WorkflowDefinitionError). */
export function decodeWorkflow(frame: Uint8Array): Workflow {
  let o: Record<string, unknown>;
  try {
    o = decodeDynamic(frame, OUR_LAYOUTS, WORKFLOW_STRUCT, { json: true }) as Record<string, unknown>;
  } catch (err) {
    throw new WorkflowDefinitionError([
      `not a Workflow frame: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  const parseText = (t: unknown, what: string): unknown => {
    if (typeof t !== 'string' || t === '') return undefined;
    try {
      return JSON.parse(t);
    } catch {
      throw new WorkflowDefinitionError([`${what} is not JSON text`]);
    }
  };
  const steps = Array.isArray(o['steps']) ? (o['steps'] as Record<string, unknown>[]) : [];
  const json = {
    name: o['name'] || undefined,
    steps: steps.map((s, i) => ({
      name: s['name'] || undefined,
      library: s['library'],
      method: s['method'],
      params: parseText(s['params'], `steps.${i}.params`),
      input: s['input'] || undefined,
      ...('parallel' in s ? { parallel: {} } : 'conditional' in s ? { conditional: s['conditional'] } : {}),
    })),
    onError: o['onError'],
    budget: Number(o['budget'] ?? 0),
    retry: {
      attempts: o['retryAttempts'] ? Number(o['retryAttempts']) : undefined,
      backoffMs: o['retryBackoffMs'] ? Number(o['retryBackoffMs']) : undefined,
    },
    recovery: o['recovery'],
    vars: parseText(o['vars'], 'vars'),
  };
  return workflowFromJson(JSON.parse(JSON.stringify(json)));
}
