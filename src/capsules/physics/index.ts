/**
 * The `physics` capsule: deterministic rigid-body simulation on Rapier
 * (@dimforge/rapier3d-deterministic-compat, see rapier.ts), bit-exact across peers so that a long
 * run can be split into jobs, checked by a quorum and resumed anywhere.
 *
 * - `simulate`: a scene (params.scene as JSON, or the job's input as a Cap'n Proto `Scene`) and a
 *   step count → a state bundle (state-layout.ts: state hash, scene id, per-body transforms,
 *   optional trajectory, the Rapier snapshot).
 * - `step`: a state bundle and a step count → the next bundle. simulate(N) and step(k) then
 *   step(N − k) give the same bytes.
 * - `query`: a state bundle and rays / a contacts request → JSON.
 *
 * Limits: scene.ts (bodies, colliders, sizes), MAX_STEPS per job, the credit budget and the memory
 * budget checked before every step (advance.ts).
 */
import type { World } from '@dimforge/rapier3d-deterministic-compat';
import { z } from 'zod';
import { BadInputError, method, type Capsule, type JobContext } from '../capsule.ts';
import { blake3Ready } from '../crypto/hash.ts';
import { advance, framesFor, memoryGuard } from './advance.ts';
import { checkInitialOverlaps } from './overlaps.ts';
import { queryParams, runQuery } from './query.ts';
import { loadRapier, type LoadedRapier } from './rapier.ts';
import { normalizeScene, sceneId, sceneJson, SCENE_LIMITS, type Scene } from './scene.ts';
import { decodeSceneCapnp } from './scene-capnp.ts';
import { decodeState, encodeState, readTransforms } from './state.ts';
import {
  OFFSET,
  TRANSFORM_BYTES,
  TRANSFORM_WORDS,
  snapshotOffset,
  trajectoryOffset,
} from './state-layout.ts';
import { warmUpInPieces } from './warm-up.ts';
import { buildWorld } from './world.ts';

export {
  normalizeScene,
  sceneId,
  canonicalScene,
  SCENE_LIMITS,
  type Scene,
  type SceneJson,
} from './scene.ts';
export { decodeSceneCapnp, encodeSceneCapnp } from './scene-capnp.ts';
export { decodeState } from './state.ts';
export * from './state-layout.ts';
export { loadRapier, rapierMemoryBytes } from './rapier.ts';
export { buildWorld } from './world.ts';

const MIB = 1 << 20;
/** Steps one job may ask for; longer runs are split into `step` jobs. */
export const MAX_STEPS = 1_000_000;
/** Working memory the Rapier instance may grow to during a job (the capsule's maxMemoryBytes). */
export const PHYSICS_MEMORY_BYTES = 512 * MIB;
/**
 * Past this much linear memory after a job, the worker should be replaced: wasm memory never
 * shrinks, and World.restoreSnapshot leaks ~1.7 KB per call upstream (dimforge/rapier#990).
 */
export const PHYSICS_HIGH_WATER_BYTES = 256 * MIB;
const MAX_IO = 64 * MIB;
/** The trajectory may take at most half the output. */
const MAX_TRAJECTORY_BYTES = MAX_IO / 2;

const steps = z.number().int().min(0).max(MAX_STEPS);
const every = z.number().int().min(1).max(MAX_STEPS);

function sceneFrom(ctx: JobContext, json: z.infer<typeof sceneJson> | undefined): Scene {
  if (json && ctx.input.length > 0)
    throw new BadInputError(
      "give the scene either as params.scene (JSON) or as the input (Cap'n Proto), not both",
    );
  if (!json && ctx.input.length === 0)
    throw new BadInputError("no scene: give params.scene (JSON) or a Cap'n Proto Scene message as the input");
  return normalizeScene(json ?? decodeSceneCapnp(ctx.input));
}

function checkTrajectory(bodies: number, start: number, n: number, k: number | undefined): void {
  const bytes = framesFor(start, n, k ?? 0) * bodies * TRANSFORM_BYTES;
  if (bytes > MAX_TRAJECTORY_BYTES)
    throw new BadInputError(
      `the trajectory would be ${bytes} bytes (${bodies} bodies every ${k} steps); at most ${MAX_TRAJECTORY_BYTES} are allowed: sample less often`,
    );
}

function finish(
  world: World,
  rapier: LoadedRapier,
  ctx: JobContext,
  bodies: number,
  id: Uint8Array,
  start: number,
  n: number,
  k: number | undefined,
): Uint8Array {
  const trajectory = advance(world, bodies, {
    startStep: start,
    steps: n,
    every: k ?? 0,
    checkpoint: ctx.checkpoint,
    memory: rapier.memory,
    memoryLimit: PHYSICS_MEMORY_BYTES,
  });
  const transforms = new Float32Array(bodies * TRANSFORM_WORDS);
  readTransforms(world, transforms, 0);
  const snapshot = world.takeSnapshot();
  return encodeState(
    {
      bodies,
      step: start + n,
      trajectoryEvery: k ?? 0,
      frames: framesFor(start, n, k ?? 0),
      snapshotBytes: snapshot.length,
    },
    id,
    transforms,
    trajectory,
    snapshot,
    ctx.checkpoint,
  );
}

/**
 * Restores a bundle's world, checking it against the bundle's own header and the scene limits. The
 * state hash only proves the snapshot was not damaged on the way, not that its maker was honest: a
 * crafted snapshot can make Rapier allocate gigabytes or panic, so the memory budget is checked right
 * after the restore and a panic is the input's fault.
 */
function restore(rapier: LoadedRapier, snapshot: Uint8Array, bodies: number): World {
  const checkMemory = memoryGuard(rapier.memory, PHYSICS_MEMORY_BYTES);
  let world: World | null | undefined;
  try {
    world = rapier.R.World.restoreSnapshot(snapshot);
  } catch (err) {
    notePanic(err);
    throw new BadInputError(`the state's snapshot is not a Rapier ${rapier.R.version()} world snapshot`, {
      cause: err,
    });
  }
  if (!world)
    throw new BadInputError(`the state's snapshot is not a Rapier ${rapier.R.version()} world snapshot`);
  try {
    checkMemory(0);
  } catch (err) {
    world.free();
    throw err;
  }
  const n = world.bodies.len();
  const c = world.colliders.len();
  if (n !== bodies || n > SCENE_LIMITS.bodies || c > SCENE_LIMITS.colliders) {
    world.free();
    throw new BadInputError(
      `the state's snapshot holds ${n} bodies and ${c} colliders; its header says ${bodies} bodies and at most ${SCENE_LIMITS.bodies} bodies / ${SCENE_LIMITS.colliders} colliders are allowed`,
    );
  }
  return world;
}

export const physicsCapsule: Capsule = {
  library: 'physics',
  version: '1.0.0',
  summary: 'deterministic rigid-body simulation (Rapier, bit-exact across peers): simulate, step, query',
  limits: {
    maxInputBytes: MAX_IO,
    maxOutputBytes: MAX_IO,
    timeoutMs: 300_000,
    maxMemoryBytes: PHYSICS_MEMORY_BYTES,
    costCap: 300_000,
    // Rapier's memory is registered with ctx.trackMemory; past this after a job, the worker is
    // replaced (wasm memory never shrinks; restoreSnapshot leaks upstream).
    wasmHighWaterBytes: PHYSICS_HIGH_WATER_BYTES,
  },
  // After a Rust panic (a wasm trap) Rapier's heap is in an unknown state: a fresh thread.
  wantsRecycle: () => panicked,
  // Rapier is loaded by the worker before the first physics job on a thread, outside its clock.
  load: () => loadRapier().then(() => undefined),
  methods: {
    simulate: method({
      params: z.strictObject({ scene: sceneJson.optional(), steps, trajectoryEvery: every.optional() }),
      summary:
        "builds params.scene (JSON) or the input (Cap'n Proto Scene) and runs params.steps steps → a state bundle (hash, transforms, snapshot)",
      present: presentState,
      run: async (ctx, p) => {
        const scene = sceneFrom(ctx, p.scene);
        checkTrajectory(scene.bodies.length, 0, p.steps, p.trajectoryEvery);
        checkInitialOverlaps(scene);
        const [rapier] = await Promise.all([loadWhileBeating(ctx), blake3Ready]);
        const id = sceneId(scene);
        ctx.checkpoint();
        const world = buildWorld(rapier, scene);
        try {
          return finish(world, rapier, ctx, scene.bodies.length, id, 0, p.steps, p.trajectoryEvery);
        } catch (err) {
          notePanic(err);
          throw err;
        } finally {
          freeQuietly(world);
        }
      },
    }),
    step: method({
      params: z.strictObject({ steps, trajectoryEvery: every.optional() }),
      summary: 'runs params.steps more steps from the input state bundle → the next state bundle',
      present: presentState,
      run: async (ctx, p) => {
        await blake3Ready;
        const state = decodeState(ctx.input, ctx.checkpoint);
        if (state.step + p.steps > 0xffff_ffff)
          throw new BadInputError(
            `the step counter would pass ${0xffff_ffff}; the state is at step ${state.step}`,
          );
        checkTrajectory(state.bodies, state.step, p.steps, p.trajectoryEvery);
        const rapier = await loadWhileBeating(ctx);
        ctx.checkpoint();
        const world = restore(rapier, state.snapshot, state.bodies);
        try {
          return finish(
            world,
            rapier,
            ctx,
            state.bodies,
            state.sceneId,
            state.step,
            p.steps,
            p.trajectoryEvery,
          );
        } catch (err) {
          if (!(err instanceof WebAssembly.RuntimeError)) throw err;
          notePanic(err);
          throw new BadInputError(
            `Rapier failed while stepping the state's snapshot (${err.message}): the snapshot is not one it wrote`,
            { cause: err },
          );
        } finally {
          freeQuietly(world);
        }
      },
    }),
    query: method({
      params: queryParams,
      summary:
        'ray casts (params.rays) and touching pairs (params.contacts) on the input state bundle → JSON',
      run: async (ctx, p) => {
        await blake3Ready;
        const state = decodeState(ctx.input, ctx.checkpoint);
        const rapier = await loadWhileBeating(ctx);
        const world = restore(rapier, state.snapshot, state.bodies);
        try {
          const answer = runQuery(rapier, world, p, ctx.checkpoint);
          return new TextEncoder().encode(
            `${JSON.stringify({ step: state.step, stateHash: hex(state.stateHash), sceneId: hex(state.sceneId), ...answer })}\n`,
          );
        } catch (err) {
          notePanic(err);
          throw err;
        } finally {
          freeQuietly(world);
        }
      },
    }),
  },
};

/** Loads Rapier ahead of the first job (hosts that want it warm before any job); never rejects. */
export async function preloadPhysics(): Promise<void> {
  await loadRapier().catch(() => {});
}

/**
 * The first physics job on a thread loads Rapier (a 4 MB module, base64 decode, wasm compile): on a
 * busy 2-core machine that took over 3 s, the engine's heartbeat timeout, so the job's checkpoint is
 * called from a timer meanwhile (the compile is async, so the timer gets turns). A stop it signals is
 * raised by the checkpoint right after.
 */
async function loadWhileBeating(ctx: JobContext): Promise<LoadedRapier> {
  const timer = setInterval(() => {
    try {
      ctx.checkpoint();
    } catch {
      // JobStopped: raised again below, outside the timer.
    }
  }, 50);
  let rapier: LoadedRapier;
  try {
    rapier = await loadRapier();
  } finally {
    clearInterval(timer);
    ctx.checkpoint();
  }
  // The engine's generic limit and recycling (src/engine): the job's WebAssembly memory is checked against
  // maxMemoryBytes at every checkpoint, and a worker whose Rapier memory passed limits.wasmHighWaterBytes
  // after its job is replaced (wasm memory never shrinks; restoreSnapshot leaks upstream).
  ctx.trackMemory?.(rapier.memory);
  warmUpInPieces(rapier, ctx.checkpoint);
  return rapier;
}

/** A Rust panic (a wasm trap) leaves Rapier's heap in an unknown state: this worker should be replaced. */
let panicked = false;
function notePanic(err: unknown): void {
  if (err instanceof WebAssembly.RuntimeError) panicked = true;
}

/** After a panic inside a step, freeing can trap again; the worker is marked for recycling anyway. */
function freeQuietly(world: World): void {
  try {
    world.free();
  } catch (err) {
    notePanic(err);
  }
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** For `inos run`: one line about a state bundle, and its parts as separate files. */
export function presentState(output: Uint8Array): { summary: string; parts: Record<string, Uint8Array> } {
  const dv = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const h = {
    bodies: dv.getUint32(OFFSET.bodies, true),
    step: dv.getUint32(OFFSET.step, true),
    trajectoryEvery: dv.getUint32(OFFSET.trajectoryEvery, true),
    frames: dv.getUint32(OFFSET.frames, true),
    snapshotBytes: dv.getUint32(OFFSET.snapshotBytes, true),
  };
  const stateHash = hex(output.subarray(OFFSET.stateHash, OFFSET.stateHash + 32));
  const id = hex(output.subarray(OFFSET.sceneId, OFFSET.sceneId + 32));
  const parts: Record<string, Uint8Array> = {
    'snapshot.bin': output.subarray(snapshotOffset(h)),
    'transforms.f32': output.subarray(OFFSET.transforms, trajectoryOffset(h)),
  };
  if (h.frames > 0) parts['trajectory.f32'] = output.subarray(trajectoryOffset(h), snapshotOffset(h));
  return {
    summary: `state ${stateHash}  step ${h.step}  bodies ${h.bodies}  scene ${id}`,
    parts,
  };
}
