/**
 * Checks a workflow's meaning before anything runs and turns it into a plan: which steps run together
 * (a run of `parallel` steps is one group), where each step's input and `previous` come from, and the
 * budget. Every problem is collected, so one error lists them all.
 *
 * Ordering rule: a step may use only the outputs of steps in earlier groups. A reference to itself,
 * to a step of its own parallel group or to a later step is refused; when the later step (directly or
 * through others) refers back, the message names the cycle.
 */
import type { MethodEffect } from '../capsules/capsule.ts';
import type { CapsuleRegistry } from '../engine/registry.ts';
import type { Workflow, WorkflowStep } from './definition.ts';
import { WorkflowDefinitionError } from './errors.ts';
import { parseRef, refsIn, type Ref } from './references.ts';

/** Where a step's bytes come from: a step index, the workflow input, or nothing. */
export type Source = number | 'workflow' | 'none';

export interface PlannedStep {
  index: number;
  step: WorkflowStep;
  group: number;
  /** What `previous` means for this step. */
  previous: Source;
  input: Source;
  effect: MethodEffect;
  costCap: number;
}

export interface Plan {
  workflow: Workflow;
  steps: PlannedStep[];
  /** Step indexes per group, in order. */
  groups: number[][];
  /** The workflow's budget, or the sum of its steps' cost caps when it gave none. */
  budget: number;
}

export function planWorkflow(w: Workflow, registry: CapsuleRegistry): Plan {
  const problems: string[] = [];
  const byName = new Map<string, number>();
  w.steps.forEach((s, i) => {
    if (byName.has(s.name))
      problems.push(`steps.${i}.name: "${s.name}" is used twice (names must be unique)`);
    else byName.set(s.name, i);
  });

  const groupOf: number[] = [];
  const groups: number[][] = [];
  w.steps.forEach((s, i) => {
    const prev = w.steps[i - 1];
    if (s.mode === 'parallel' && prev?.mode === 'parallel') groups[groups.length - 1]!.push(i);
    else groups.push([i]);
    groupOf.push(groups.length - 1);
  });
  const lastOfGroup = (g: number): Source => (g < 0 ? 'workflow' : groups[g]![groups[g]!.length - 1]!);

  // Dependencies by step index (for cycle reporting), filled as references are read.
  const deps: number[][] = w.steps.map(() => []);
  const refsOf: Ref[][] = w.steps.map(() => []);
  w.steps.forEach((s, i) => {
    const where = `steps.${i} (${s.name})`;
    try {
      refsOf[i] = refsIn(s.params);
    } catch (err) {
      problems.push(`${where}.params: ${(err as Error).message}`);
    }
    if (s.condition) {
      try {
        const r = parseRef(s.condition.field);
        if (r.kind === 'vars')
          problems.push(`${where}.conditional.field: a condition tests a step's output, not vars`);
        refsOf[i]!.push(r);
      } catch (err) {
        problems.push(`${where}.conditional.field: ${(err as Error).message}`);
      }
    }
    const input = s.input;
    if (input.startsWith('steps.')) {
      const name = input.slice(6);
      const j = byName.get(name);
      if (j === undefined) problems.push(`${where}.input: no step named "${name}"`);
      else deps[i]!.push(j);
    } else if (!['previous', 'workflow', 'none'].includes(input))
      problems.push(`${where}.input: "${input.slice(0, 80)}" must be previous, workflow, none or steps.NAME`);
    for (const r of refsOf[i]!) {
      if (r.kind === 'step') {
        const j = byName.get(r.step);
        if (j === undefined) problems.push(`${where}: refers to steps.${r.step}, and no step has that name`);
        else deps[i]!.push(j);
      } else if (r.kind === 'vars') {
        if (!Object.hasOwn(w.vars, r.path.split('.')[0]!))
          problems.push(`${where}: refers to vars.${r.path}, which the workflow's vars do not define`);
      } else if (
        groupOf[i] === 0 &&
        r.kind === 'previous' &&
        !['length', 'byte0', 'hex', 'text'].includes(r.field)
      )
        // The first group's `previous` is the workflow input: only the byte fields can be known.
        void 0;
    }
  });

  const cycleFrom = (start: number): number[] | null => {
    const path: number[] = [];
    const seen = new Set<number>();
    const walk = (n: number): boolean => {
      if (n === start && path.length > 0) return true;
      if (seen.has(n)) return false;
      seen.add(n);
      path.push(n);
      for (const d of deps[n]!) if (walk(d)) return true;
      path.pop();
      return false;
    };
    return walk(start) ? [...path, start] : null;
  };

  w.steps.forEach((s, i) => {
    const where = `steps.${i} (${s.name})`;
    for (const j of new Set(deps[i])) {
      if (groupOf[j]! < groupOf[i]!) continue;
      const other = w.steps[j]!.name;
      if (j === i) problems.push(`${where}: refers to its own output (a cycle)`);
      else if (groupOf[j] === groupOf[i])
        problems.push(
          `${where}: refers to ${other}, which runs in parallel with it (use a step before the group)`,
        );
      else {
        const cycle = cycleFrom(i);
        problems.push(
          cycle
            ? `${where}: cycle ${cycle.map((k) => w.steps[k]!.name).join(' → ')}`
            : `${where}: refers to ${other}, which comes after it (a step may use only earlier steps' outputs)`,
        );
      }
    }
  });

  const steps: PlannedStep[] = [];
  let capSum = 0;
  w.steps.forEach((s, i) => {
    const where = `steps.${i} (${s.name})`;
    let effect: MethodEffect = 'none';
    let costCap = 0;
    try {
      const r = registry.resolve(s.library, s.method);
      effect = r.method.effect ?? 'none';
      costCap = r.limits.costCap;
      // Params without references can be checked against the method's schema now.
      if (!hasRef(s.params)) {
        const parsed = r.method.params.safeParse(s.params);
        if (!parsed.success)
          problems.push(
            `${where}.params: ${parsed.error.issues.map((x) => `${x.path.length ? x.path.join('.') : '(root)'}: ${x.message}`).join('; ')}`,
          );
      }
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
    capSum += costCap;
    const previous = lastOfGroup(groupOf[i]! - 1);
    const input: Source =
      s.input === 'workflow'
        ? 'workflow'
        : s.input === 'none'
          ? 'none'
          : s.input.startsWith('steps.')
            ? (byName.get(s.input.slice(6)) ?? 'none')
            : previous;
    steps.push({ index: i, step: s, group: groupOf[i]!, previous, input, effect, costCap });
  });

  if (problems.length) throw new WorkflowDefinitionError(problems);
  return {
    workflow: w,
    steps,
    groups,
    budget: w.budget > 0 ? w.budget : capSum,
  };
}

function hasRef(v: unknown): boolean {
  return JSON.stringify(v).includes('${');
}
