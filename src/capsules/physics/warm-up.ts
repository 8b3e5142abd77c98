/**
 * V8 compiles wasm functions lazily, on first call, on the calling thread: a fresh thread's first
 * world.step() was one synchronous block of 2.1 s at load ~30 (0.2 s idle), and the engine declares
 * a worker dead after 3 s without a heartbeat. So the first physics job on a thread grows a throwaway
 * world a piece at a time (empty, one ball, ground contact, each shape, each joint, a snapshot) and
 * checks in between pieces: the same compilation, in blocks short enough to beat between.
 */
import type { LoadedRapier } from './rapier.ts';

let warmed = false;

export function warmUpInPieces({ R }: LoadedRapier, checkpoint: () => void): void {
  if (warmed) return;
  const world = new R.World({ x: 0, y: -9.81, z: 0 });
  const dyn = (x: number, y: number) =>
    world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(x, y, 0));
  try {
    const pieces: Array<() => void> = [
      () => world.step(),
      () => world.createCollider(R.ColliderDesc.ball(0.5), dyn(0, 1)),
      () => world.step(),
      () =>
        world.createCollider(
          R.ColliderDesc.cuboid(5, 0.5, 5),
          world.createRigidBody(R.RigidBodyDesc.fixed()),
        ),
      () => world.step(),
      () => world.createCollider(R.ColliderDesc.cuboid(0.3, 0.3, 0.3), dyn(1, 1)),
      () => world.step(),
      () => world.createCollider(R.ColliderDesc.capsule(0.2, 0.2), dyn(-1, 1)),
      () => world.step(),
      () => world.createCollider(R.ColliderDesc.cylinder(0.2, 0.2), dyn(2, 1)),
      () => world.step(),
      () => world.createCollider(R.ColliderDesc.cone(0.2, 0.2), dyn(-2, 1)),
      () => world.step(),
      () => {
        const hull = R.ColliderDesc.convexHull(new Float32Array([0, 0, 0, 0.4, 0, 0, 0, 0.4, 0, 0, 0, 0.4]));
        if (hull) world.createCollider(hull, dyn(3, 1));
      },
      () => world.step(),
      () =>
        world.createCollider(
          R.ColliderDesc.trimesh(
            new Float32Array([-1, 0, -1, 1, 0, -1, 1, 0, 1]),
            new Uint32Array([0, 1, 2]),
          ),
          world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0.6, 3)),
        ),
      () =>
        world.createCollider(
          R.ColliderDesc.heightfield(1, 1, new Float32Array([0, 0, 0, 0]), { x: 4, y: 1, z: 4 }),
          world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0.6, -3)),
        ),
      () => world.step(),
      () => {
        const a = dyn(0, 3);
        const b = dyn(0.5, 3);
        world.createCollider(R.ColliderDesc.ball(0.1), a);
        world.createCollider(R.ColliderDesc.ball(0.1), b);
        const o = { x: 0, y: 0, z: 0 };
        const q = { x: 0, y: 0, z: 0, w: 1 };
        world.createImpulseJoint(R.JointData.fixed(o, q, { x: -0.5, y: 0, z: 0 }, q), a, b, true);
        world.createImpulseJoint(
          R.JointData.revolute(o, { x: 0, y: 1, z: 0 }, { x: 0, y: 0, z: 1 }),
          a,
          b,
          true,
        );
        world.createImpulseJoint(R.JointData.prismatic(o, o, { x: 1, y: 0, z: 0 }), a, b, true);
        world.createImpulseJoint(R.JointData.spherical(o, { x: 0, y: 0.5, z: 0 }), a, b, true);
      },
      () => world.step(),
      () => world.step(),
      () => R.World.restoreSnapshot(world.takeSnapshot())?.free(),
    ];
    for (const piece of pieces) {
      checkpoint();
      piece();
    }
    warmed = true;
  } finally {
    world.free();
  }
}
