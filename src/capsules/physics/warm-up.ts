/**
 * Runs a tiny scene with every shape and joint kind through build, step, snapshot and restore once,
 * before the worker joins the pool. V8 compiles wasm functions lazily, on their first call, on the
 * calling thread: the first `world.step()` measured 2.1 s on a busy 2-core machine (load ~30), close
 * to the engine's 3 s heartbeat timeout, and a job cannot beat during one step. The warm-up world is
 * freed; later worlds do not depend on it (the golden tests run in warmed workers and in a cold thread
 * and get the same bytes).
 */
import type { LoadedRapier } from './rapier.ts';
import { normalizeScene, type SceneJson } from './scene.ts';
import { buildWorld } from './world.ts';

const WARM_UP: SceneJson = {
  bodies: [
    {
      kind: 'fixed',
      colliders: [
        { shape: 'heightfield', rows: 2, cols: 2, heights: [0, 0, 0, 0, 0.1, 0, 0, 0, 0], scale: [8, 1, 8] },
        { shape: 'trimesh', vertices: [-2, 0.5, -2, 2, 0.5, -2, 2, 0.5, 2], indices: [0, 1, 2] },
      ],
    },
    {
      kind: 'kinematic',
      position: [3, 1, 0],
      angvel: [0, 1, 0],
      colliders: [{ shape: 'cuboid', halfExtents: [1, 0.1, 0.1] }],
    },
    { position: [0, 1.5, 0], colliders: [{ shape: 'ball', radius: 0.3 }] },
    { position: [0.7, 1.5, 0], colliders: [{ shape: 'capsule', halfHeight: 0.2, radius: 0.2 }] },
    { position: [-0.7, 1.5, 0], colliders: [{ shape: 'cylinder', halfHeight: 0.2, radius: 0.2 }] },
    { position: [0, 1.5, 0.7], colliders: [{ shape: 'cone', halfHeight: 0.2, radius: 0.2 }] },
    {
      position: [0, 1.5, -0.7],
      colliders: [{ shape: 'convexHull', points: [0, 0, 0, 0.4, 0, 0, 0, 0.4, 0, 0, 0, 0.4] }],
    },
    { position: [0.7, 2.5, 0.7], colliders: [{ shape: 'cuboid', halfExtents: [0.2, 0.2, 0.2] }] },
  ],
  joints: [
    { kind: 'fixed', body1: 2, body2: 3, anchor2: [-0.7, 0, 0] },
    { kind: 'revolute', body1: 4, body2: 5, axis: [0, 0, 1], limits: [-0.5, 0.5] },
    { kind: 'prismatic', body1: 5, body2: 6, axis: [1, 0, 0], limits: [-0.5, 0.5] },
    { kind: 'spherical', body1: 6, body2: 7, limits: [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5] },
  ],
};

export function warmUp(rapier: LoadedRapier): void {
  const world = buildWorld(rapier, normalizeScene(WARM_UP));
  try {
    for (let i = 0; i < 4; i++) world.step();
    const copy = rapier.R.World.restoreSnapshot(world.takeSnapshot());
    copy?.step();
    copy?.castRay(new rapier.R.Ray({ x: 0, y: 5, z: 0 }, { x: 0, y: -1, z: 0 }), 10, true);
    copy?.free();
  } finally {
    world.free();
  }
}
