/**
 * Steps a world under the job's limits: before every step the job's checkpoint (credits, time,
 * cancel) and the memory budget are checked, so a scene that would exceed either stops at that
 * step instead of running the machine out of memory. Samples the trajectory on the way.
 */
import type { World } from '@dimforge/rapier3d-deterministic-compat';
import { JobStopped } from '../capsule.ts';
import { readTransforms } from './state.ts';
import { TRANSFORM_WORDS } from './state-layout.ts';

export interface AdvanceOptions {
  /** Steps already simulated since the scene was built (the trajectory counts from there). */
  startStep: number;
  steps: number;
  /** Sample every k global steps; 0: no trajectory. */
  every: number;
  checkpoint(): void;
  memory: WebAssembly.Memory;
  /** The Rapier instance may not grow past this during the job, bytes. */
  memoryLimit: number;
}

/** Frames a run of `steps` from `start` samples when sampling every `every` global steps. */
export function framesFor(start: number, steps: number, every: number): number {
  return every === 0 ? 0 : Math.floor((start + steps) / every) - Math.floor(start / every);
}

/**
 * Linear memory only grows, and it grows only when Rapier needs more than it ever held: growth past
 * the limit during this job is this job's doing, while a worker that an earlier job left large is not
 * held against the next one (the recycle high-water mark deals with that worker).
 */
export function memoryGuard(memory: WebAssembly.Memory, limit: number) {
  const start = memory.buffer.byteLength;
  return (step: number) => {
    const now = memory.buffer.byteLength;
    if (now > start && now > limit)
      throw new JobStopped(
        'budget',
        `stopped at step ${step}: the simulation needed ${Math.ceil(now / 2 ** 20)} MiB of working memory; ` +
          `the budget is ${limit / 2 ** 20} MiB (fewer bodies or less overlap fit)`,
      );
  };
}

export function advance(world: World, bodies: number, o: AdvanceOptions): Float32Array {
  const frames = framesFor(o.startStep, o.steps, o.every);
  const trajectory = new Float32Array(frames * bodies * TRANSFORM_WORDS);
  const checkMemory = memoryGuard(o.memory, o.memoryLimit);
  let frame = 0;
  for (let i = 0; i < o.steps; i++) {
    o.checkpoint();
    checkMemory(o.startStep + i);
    world.step();
    const global = o.startStep + i + 1;
    if (o.every > 0 && global % o.every === 0)
      readTransforms(world, trajectory, frame++ * bodies * TRANSFORM_WORDS);
  }
  checkMemory(o.startStep + o.steps);
  return trajectory;
}
