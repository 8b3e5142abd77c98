/**
 * The Cap'n Proto form of a scene (schemas/physics.capnp `Scene`, an unpacked single-segment message
 * as `new Message(bytes, false)` reads it): decoded into the same JSON shape the params take, so both
 * go through one normaliser. List lengths are checked before any element is read, so a message that
 * claims a million bodies is refused without walking them. `encodeSceneCapnp` writes the other way
 * (for tests and requesters that build scenes in TypeScript).
 */
import { Message, type List } from 'capnp-es';
import {
  Body_Kind,
  Collider_Shape_Which,
  type Collider,
  Joint_Kind,
  Scene as CapnpScene,
  type Quat,
  type Vec3,
} from '../../../schemas/gen/physics.ts';
import { BadInputError } from '../capsule.ts';
import { BODY_KINDS, JOINT_KINDS, SCENE_LIMITS, type Scene, type SceneJson } from './scene.ts';

type ColliderJson = NonNullable<SceneJson['bodies'][number]['colliders']>[number];
type JointJson = NonNullable<SceneJson['joints']>[number];

const v3 = (v: Vec3): [number, number, number] => [v.x, v.y, v.z];
const q4 = (q: Quat): [number, number, number, number] => [q.x, q.y, q.z, q.w];
const arr = (l: List<number>): number[] => Array.from({ length: l.length }, (_, i) => l.get(i));

function capped<T>(what: string, l: List<T>, max: number): List<T> {
  if (l.length > max)
    throw new BadInputError(`scene: ${what} must have at most ${max} entries; got ${l.length}`);
  return l;
}

/** The scene in `bytes` as the JSON shape; throws BadInputError for anything that is not a Scene. */
export function decodeSceneCapnp(bytes: Uint8Array): SceneJson {
  if (bytes.length < 8 || bytes.length % 8 !== 0)
    throw new BadInputError(
      `the input must be a Cap'n Proto Scene message (unpacked, a multiple of 8 bytes) when params.scene is absent; got ${bytes.length} bytes`,
    );
  try {
    const copy = bytes.slice(); // the input may be a view into shared memory
    const root = new Message(copy.buffer, false).getRoot(CapnpScene);
    const L = SCENE_LIMITS;
    const bodies = capped('bodies', root.bodies, L.bodies);
    const joints = capped('joints', root.joints, L.joints);
    return {
      ...(root._hasGravity() ? { gravity: v3(root.gravity) } : {}),
      timestep: root.timestep,
      solverIterations: root.solverIterations,
      bodies: bodies.map((b, i) => ({
        kind: BODY_KINDS[b.kind] ?? badEnum(`bodies[${i}].kind`, b.kind),
        position: v3(b.position),
        ...(b._hasRotation() ? { rotation: q4(b.rotation) } : {}),
        linvel: v3(b.linvel),
        angvel: v3(b.angvel),
        colliders: capped(`bodies[${i}].colliders`, b.colliders, L.collidersPerBody).map((c, k) =>
          colliderJson(c, `bodies[${i}].colliders[${k}]`),
        ),
      })),
      joints: joints.map((j, i): JointJson => ({
        kind: JOINT_KINDS[j.kind] ?? badEnum(`joints[${i}].kind`, j.kind),
        body1: j.body1,
        body2: j.body2,
        anchor1: v3(j.anchor1),
        anchor2: v3(j.anchor2),
        ...(j._hasAxis() ? { axis: v3(j.axis) } : {}),
        ...(j._hasFrame1() ? { frame1: q4(j.frame1) } : {}),
        ...(j._hasFrame2() ? { frame2: q4(j.frame2) } : {}),
        limits: arr(capped(`joints[${i}].limits`, j.limits, 6)),
      })),
    };
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(
      `the input is not a readable Cap'n Proto Scene message: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function badEnum(path: string, n: number): never {
  throw new BadInputError(`scene: ${path} has an unknown value ${n}`);
}

function colliderJson(c: Collider, path: string): ColliderJson {
  const common = {
    density: c.density,
    friction: c.friction,
    restitution: c.restitution,
    position: v3(c.position),
    ...(c._hasRotation() ? { rotation: q4(c.rotation) } : {}),
  };
  const s = c.shape;
  const L = SCENE_LIMITS;
  switch (s.which()) {
    case Collider_Shape_Which.BALL:
      return { shape: 'ball', radius: s.ball, ...common };
    case Collider_Shape_Which.CUBOID:
      return { shape: 'cuboid', halfExtents: v3(s.cuboid), ...common };
    case Collider_Shape_Which.CAPSULE:
      return { shape: 'capsule', halfHeight: s.capsule.halfHeight, radius: s.capsule.radius, ...common };
    case Collider_Shape_Which.CYLINDER:
      return { shape: 'cylinder', halfHeight: s.cylinder.halfHeight, radius: s.cylinder.radius, ...common };
    case Collider_Shape_Which.CONE:
      return { shape: 'cone', halfHeight: s.cone.halfHeight, radius: s.cone.radius, ...common };
    case Collider_Shape_Which.CONVEX_HULL:
      return {
        shape: 'convexHull',
        points: arr(capped(`${path}.points`, s.convexHull, 3 * L.hullPoints)),
        ...common,
      };
    case Collider_Shape_Which.TRIMESH:
      return {
        shape: 'trimesh',
        vertices: arr(capped(`${path}.vertices`, s.trimesh.vertices, 3 * L.meshVertices)),
        indices: arr(capped(`${path}.indices`, s.trimesh.indices, 3 * L.meshTriangles)),
        ...common,
      };
    case Collider_Shape_Which.HEIGHTFIELD: {
      const h = s.heightfield;
      return {
        shape: 'heightfield',
        rows: h.rows,
        cols: h.cols,
        heights: arr(capped(`${path}.heights`, h.heights, 4097 * 4097)),
        scale: v3(h.scale),
        ...common,
      };
    }
    default:
      return badEnum(`${path}.shape`, s.which());
  }
}

const setV3 = (v: Vec3, [x, y, z]: readonly number[]) => {
  v.x = x!;
  v.y = y!;
  v.z = z!;
};
const setQ4 = (q: Quat, [x, y, z, w]: readonly number[]) => {
  q.x = x!;
  q.y = y!;
  q.z = z!;
  q.w = w!;
};
const setList = (l: List<number>, xs: readonly number[]) => xs.forEach((x, i) => l.set(i, x));

/** A normalised scene as an unpacked single-segment Cap'n Proto message. */
export function encodeSceneCapnp(scene: Scene): Uint8Array {
  const msg = new Message(undefined, false, true);
  const root = msg.initRoot(CapnpScene);
  setV3(root._initGravity(), scene.gravity);
  root.timestep = scene.timestep;
  root.solverIterations = scene.solverIterations;
  const bodies = root._initBodies(scene.bodies.length);
  scene.bodies.forEach((b, i) => {
    const out = bodies.get(i);
    out.kind = Body_Kind[b.kind.toUpperCase() as keyof typeof Body_Kind];
    setV3(out._initPosition(), b.position);
    setQ4(out._initRotation(), b.rotation);
    setV3(out._initLinvel(), b.linvel);
    setV3(out._initAngvel(), b.angvel);
    const cs = out._initColliders(b.colliders.length);
    b.colliders.forEach((c, k) => {
      const o = cs.get(k);
      o.density = c.density;
      o.friction = c.friction;
      o.restitution = c.restitution;
      setV3(o._initPosition(), c.position);
      setQ4(o._initRotation(), c.rotation);
      const s = o.shape;
      switch (c.shape) {
        case 'ball':
          s.ball = c.radius;
          break;
        case 'cuboid':
          setV3(s._initCuboid(), c.halfExtents);
          break;
        case 'capsule':
        case 'cylinder':
        case 'cone': {
          const r =
            c.shape === 'capsule'
              ? s._initCapsule()
              : c.shape === 'cylinder'
                ? s._initCylinder()
                : s._initCone();
          r.halfHeight = c.halfHeight;
          r.radius = c.radius;
          break;
        }
        case 'convexHull':
          setList(s._initConvexHull(c.points.length), c.points);
          break;
        case 'trimesh': {
          const t = s._initTrimesh();
          setList(t._initVertices(c.vertices.length), c.vertices);
          setList(t._initIndices(c.indices.length), c.indices);
          break;
        }
        case 'heightfield': {
          const h = s._initHeightfield();
          h.rows = c.rows;
          h.cols = c.cols;
          setList(h._initHeights(c.heights.length), c.heights);
          setV3(h._initScale(), c.scale);
          break;
        }
      }
    });
  });
  const joints = root._initJoints(scene.joints.length);
  scene.joints.forEach((j, i) => {
    const o = joints.get(i);
    o.kind = Joint_Kind[j.kind.toUpperCase() as keyof typeof Joint_Kind];
    o.body1 = j.body1;
    o.body2 = j.body2;
    setV3(o._initAnchor1(), j.anchor1);
    setV3(o._initAnchor2(), j.anchor2);
    setV3(o._initAxis(), j.axis);
    setQ4(o._initFrame1(), j.frame1);
    setQ4(o._initFrame2(), j.frame2);
    setList(o._initLimits(j.limits.length), j.limits);
  });
  return new Uint8Array(msg.toArrayBuffer());
}
