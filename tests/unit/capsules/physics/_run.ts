/**
 * Runs physics jobs on this thread through the engine's own `execute` (params parsing, limits, budget,
 * statuses), so tests see exactly what a worker would answer; and loads the named golden scenes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecuteOutcome } from '../../../../src/engine/execute.ts';
import { runOnThread } from '../../../_run-job.ts';
import { CapsuleRegistry } from '../../../../src/engine/registry.ts';
import { physicsCapsule, type SceneJson } from '../../../../src/capsules/physics/index.ts';

export const FIXTURES = join(import.meta.dirname, '../../../../src/capsules/physics/vectors');
export const SCENE_NAMES = ['tower', 'shapes', 'joints'] as const;

export interface Golden {
  rapier: string;
  steps: number;
  scenes: Record<string, { sceneId: string; stateHash: string }>;
}

export const golden = (): Golden => JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as Golden;
export const namedScene = (name: string): SceneJson =>
  JSON.parse(readFileSync(join(FIXTURES, 'scenes', `${name}.json`), 'utf8')) as SceneJson;

const registry = new CapsuleRegistry([physicsCapsule]);

export interface Outcome extends ExecuteOutcome {
  bytes: Uint8Array;
}

export async function runPhysics(
  method: string,
  params: unknown,
  input: Uint8Array = new Uint8Array(0),
  budget = physicsCapsule.limits.costCap,
): Promise<Outcome> {
  const { out, ...r } = await runOnThread(registry, {
    library: 'physics',
    method,
    params: typeof params === 'string' ? params : JSON.stringify(params),
    input,
    budget,
  });
  return { ...r, bytes: out };
}

/** Runs a job that must succeed and returns its output bytes. */
export async function ok(method: string, params: unknown, input?: Uint8Array): Promise<Uint8Array> {
  const r = await runPhysics(method, params, input);
  if (r.status !== 'ok') throw new Error(`physics.${method}: ${r.status}: ${r.error}`);
  return r.bytes;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
