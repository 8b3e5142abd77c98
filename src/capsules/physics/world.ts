/**
 * A normalised scene → a Rapier world. Bodies, then each body's colliders, then joints are created in
 * scene order, so Rapier's handles are the scene's indices (index in the low 32 bits, generation 0):
 * body i has handle i, and colliders are numbered in the order the bodies list them. Determinism
 * needs exactly that: the same insertion order on every peer (rapier.rs, "Determinism").
 */
import type { RigidBody, UnitImpulseJoint, World } from '@dimforge/rapier3d-deterministic-compat';
import { BadInputError } from '../capsule.ts';
import type { LoadedRapier } from './rapier.ts';
import type { ColliderSpec, JointSpec, Q4, Scene, V3 } from './scene.ts';

type R = LoadedRapier['R'];

const vec = ([x, y, z]: V3) => ({ x, y, z });
const rot = ([x, y, z, w]: Q4) => ({ x, y, z, w });

function colliderDesc(R: R, c: ColliderSpec, path: string) {
  switch (c.shape) {
    case 'ball':
      return R.ColliderDesc.ball(c.radius);
    case 'cuboid':
      return R.ColliderDesc.cuboid(...c.halfExtents);
    case 'capsule':
      return R.ColliderDesc.capsule(c.halfHeight, c.radius);
    case 'cylinder':
      return R.ColliderDesc.cylinder(c.halfHeight, c.radius);
    case 'cone':
      return R.ColliderDesc.cone(c.halfHeight, c.radius);
    case 'convexHull': {
      const d = R.ColliderDesc.convexHull(new Float32Array(c.points));
      if (!d)
        throw new BadInputError(`scene: ${path}.points must span a volume (4+ points, not all in a plane)`);
      return d;
    }
    case 'trimesh':
      return R.ColliderDesc.trimesh(new Float32Array(c.vertices), new Uint32Array(c.indices));
    case 'heightfield':
      return R.ColliderDesc.heightfield(c.rows, c.cols, new Float32Array(c.heights), vec(c.scale));
  }
}

function jointData(R: R, j: JointSpec) {
  switch (j.kind) {
    case 'fixed':
      return R.JointData.fixed(vec(j.anchor1), rot(j.frame1), vec(j.anchor2), rot(j.frame2));
    case 'revolute':
      return R.JointData.revolute(vec(j.anchor1), vec(j.anchor2), vec(j.axis));
    case 'prismatic':
      return R.JointData.prismatic(vec(j.anchor1), vec(j.anchor2), vec(j.axis));
    case 'spherical':
      return R.JointData.spherical(vec(j.anchor1), vec(j.anchor2));
  }
}

/** Builds the world; the caller owns it (`world.free()`). */
export function buildWorld({ R }: LoadedRapier, scene: Scene): World {
  const world = new R.World(vec(scene.gravity));
  try {
    world.timestep = scene.timestep;
    world.integrationParameters.numSolverIterations = scene.solverIterations;
    const kinds = {
      dynamic: () => R.RigidBodyDesc.dynamic(),
      fixed: () => R.RigidBodyDesc.fixed(),
      kinematic: () => R.RigidBodyDesc.kinematicVelocityBased(),
    };
    const created: RigidBody[] = [];
    scene.bodies.forEach((b, i) => {
      const desc = kinds[b.kind]()
        .setTranslation(...b.position)
        .setRotation(rot(b.rotation))
        .setLinvel(...b.linvel)
        .setAngvel(vec(b.angvel))
        // Sleeping is a per-island heuristic; off, every body is stepped and the result does not
        // depend on when an island fell asleep.
        .setCanSleep(false);
      const body = world.createRigidBody(desc);
      created.push(body);
      b.colliders.forEach((c, k) => {
        const d = colliderDesc(R, c, `bodies[${i}].colliders[${k}]`)
          .setDensity(c.density)
          .setFriction(c.friction)
          .setRestitution(c.restitution)
          .setTranslation(...c.position)
          .setRotation(rot(c.rotation));
        world.createCollider(d, body);
      });
    });
    scene.joints.forEach((j) => {
      const joint = world.createImpulseJoint(jointData(R, j), created[j.body1]!, created[j.body2]!, true);
      // Limits are set on the created joint: JointData's own limits reach Rapier only for prismatic
      // joints (rapier.js passes them to RawGenericJoint.prismatic and drops them for revolute).
      if ((j.kind === 'revolute' || j.kind === 'prismatic') && j.limits.length === 2)
        (joint as UnitImpulseJoint).setLimits(j.limits[0]!, j.limits[1]!);
      if (j.kind === 'spherical' && j.limits.length === 6) {
        // Rapier's JS API has no spherical limits setter; the raw set takes one per angular axis
        // (JointAxis.AngX/Y/Z = 3/4/5), as UnitImpulseJoint.setLimits does for its one axis.
        for (let a = 0; a < 3; a++)
          world.impulseJoints.raw.jointSetLimits(
            joint.handle,
            (3 + a) as never,
            j.limits[2 * a]!,
            j.limits[2 * a + 1]!,
          );
      }
    });
    return world;
  } catch (err) {
    world.free();
    throw err;
  }
}

/** A Rapier handle's arena index (handles are f64 bit patterns: index low, generation high). */
export function handleIndex(handle: number): number {
  HANDLE_F64[0] = handle;
  return HANDLE_U32[0]!;
}
const HANDLE_F64 = new Float64Array(1);
const HANDLE_U32 = new Uint32Array(HANDLE_F64.buffer);
