/**
 * The physics scene: one normalised form for both ways a scene arrives (JSON in the job's params, or
 * the Cap'n Proto `Scene` of schemas/physics.capnp as the job's input), the limits every scene must
 * keep, and its identity.
 *
 * Normalising fills every default, rounds every real to float32 (what Rapier computes with) and turns
 * -0 into 0, so two requests that would build the same Rapier world have the same canonical JSON
 * (`JSON.stringify` of the normalised scene: keys in a fixed order) and the same scene id (its BLAKE3).
 * Every limit is checked here, before Rapier sees anything: a bad scene is a BadInputError whose
 * message names the field (`bodies[3].colliders[0].radius`) and what is allowed.
 *
 * A little over 400 lines: the JSON schema, the limits and the checks describe one contract and are
 * kept together so that they cannot drift apart.
 */
import { z } from 'zod';
import { BadInputError } from '../capsule.ts';
import { blake3Digest } from '../crypto/hash.ts';

export type V3 = [number, number, number];
export type Q4 = [number, number, number, number];

export const BODY_KINDS = ['dynamic', 'fixed', 'kinematic'] as const;
export const JOINT_KINDS = ['fixed', 'revolute', 'prismatic', 'spherical'] as const;
export type BodyKind = (typeof BODY_KINDS)[number];
export type JointKind = (typeof JOINT_KINDS)[number];

export type ShapeSpec =
  | { shape: 'ball'; radius: number }
  | { shape: 'cuboid'; halfExtents: V3 }
  | { shape: 'capsule' | 'cylinder' | 'cone'; halfHeight: number; radius: number }
  | { shape: 'convexHull'; points: number[] }
  | { shape: 'trimesh'; vertices: number[]; indices: number[] }
  | { shape: 'heightfield'; rows: number; cols: number; heights: number[]; scale: V3 };

export type ColliderSpec = ShapeSpec & {
  density: number;
  friction: number;
  restitution: number;
  position: V3;
  rotation: Q4;
};

export interface BodySpec {
  kind: BodyKind;
  position: V3;
  rotation: Q4;
  linvel: V3;
  angvel: V3;
  colliders: ColliderSpec[];
}

export interface JointSpec {
  kind: JointKind;
  body1: number;
  body2: number;
  anchor1: V3;
  anchor2: V3;
  axis: V3;
  frame1: Q4;
  frame2: Q4;
  limits: number[];
}

export interface Scene {
  gravity: V3;
  timestep: number;
  solverIterations: number;
  bodies: BodySpec[];
  joints: JointSpec[];
}

/** Every limit a scene must keep; the numbers are in docs/ARCHITECTURE.md (physics) too. */
export const SCENE_LIMITS = {
  bodies: 10_000,
  colliders: 20_000,
  joints: 10_000,
  /** Colliders per body. */
  collidersPerBody: 64,
  /** Convex hull points, per hull. */
  hullPoints: 1_024,
  /** Triangle-mesh vertices and triangles, over the whole scene. */
  meshVertices: 200_000,
  meshTriangles: 200_000,
  /** Heightfield cells (rows × cols), over the whole scene. */
  heightfieldCells: 262_144,
  /** |coordinate| of any position, anchor or mesh vertex, metres. */
  coordinate: 1e5,
  /** Smallest and largest size (radius, half extent, half height, scale), metres. */
  minSize: 1e-3,
  maxSize: 1e4,
  /** |velocity|, per component: m/s and rad/s. */
  velocity: 1e4,
  /** |gravity|, per component, m/s². */
  gravity: 1e3,
  maxTimestep: 1,
  maxSolverIterations: 64,
  maxDensity: 1e6,
  maxFriction: 1e3,
  /** Pairs of colliders whose bounding spheres overlap at the start (the broad phase's first load). */
  initialOverlaps: 200_000,
} as const;

// ---- JSON shape (structure only; ranges are checked by `normalizeScene`) ----

const num = z.number();
const vec3 = z.tuple([num, num, num]);
const quat = z.tuple([num, num, num, num]);
const common = {
  density: num.optional(),
  friction: num.optional(),
  restitution: num.optional(),
  position: vec3.optional(),
  rotation: quat.optional(),
};
const round = (shape: 'capsule' | 'cylinder' | 'cone') =>
  z.strictObject({ shape: z.literal(shape), halfHeight: num, radius: num, ...common });

export const colliderJson = z.discriminatedUnion('shape', [
  z.strictObject({ shape: z.literal('ball'), radius: num, ...common }),
  z.strictObject({ shape: z.literal('cuboid'), halfExtents: vec3, ...common }),
  round('capsule'),
  round('cylinder'),
  round('cone'),
  z.strictObject({ shape: z.literal('convexHull'), points: z.array(num), ...common }),
  z.strictObject({ shape: z.literal('trimesh'), vertices: z.array(num), indices: z.array(num), ...common }),
  z.strictObject({
    shape: z.literal('heightfield'),
    rows: num,
    cols: num,
    heights: z.array(num),
    scale: vec3,
    ...common,
  }),
]);

export const sceneJson = z.strictObject({
  gravity: vec3.optional(),
  timestep: num.optional(),
  solverIterations: num.optional(),
  bodies: z.array(
    z.strictObject({
      kind: z.enum(BODY_KINDS).optional(),
      position: vec3.optional(),
      rotation: quat.optional(),
      linvel: vec3.optional(),
      angvel: vec3.optional(),
      colliders: z.array(colliderJson).optional(),
    }),
  ),
  joints: z
    .array(
      z.strictObject({
        kind: z.enum(JOINT_KINDS),
        body1: num,
        body2: num,
        anchor1: vec3.optional(),
        anchor2: vec3.optional(),
        axis: vec3.optional(),
        frame1: quat.optional(),
        frame2: quat.optional(),
        limits: z.array(num).optional(),
      }),
    )
    .optional(),
});
export type SceneJson = z.infer<typeof sceneJson>;

// ---- normalisation and limits ----

const f32 = (x: number): number => {
  const r = Math.fround(x);
  return r === 0 ? 0 : r; // -0 → 0
};

const bad = (path: string, allowed: string, got: unknown): never => {
  const shown = typeof got === 'number' ? String(got) : JSON.stringify(got)?.slice(0, 64);
  throw new BadInputError(`scene: ${path} must be ${allowed}; got ${shown}`);
};

function real(path: string, x: number, min: number, max: number, openMin = false): number {
  const r = f32(x);
  if (!Number.isFinite(r) || r > max || (openMin ? r <= min : r < min))
    bad(path, `a finite number in ${openMin ? '(' : '['}${min}, ${max}]`, x);
  return r;
}

function int(path: string, x: number, min: number, max: number): number {
  if (!Number.isSafeInteger(x) || x < min || x > max) bad(path, `a whole number from ${min} to ${max}`, x);
  return x;
}

function vec(path: string, v: readonly number[] | undefined, bound: number, fallback: V3): V3 {
  if (!v) return [...fallback];
  return [
    real(`${path}[0]`, v[0]!, -bound, bound),
    real(`${path}[1]`, v[1]!, -bound, bound),
    real(`${path}[2]`, v[2]!, -bound, bound),
  ];
}

function size(path: string, x: number): number {
  return real(path, x, SCENE_LIMITS.minSize, SCENE_LIMITS.maxSize);
}

function rotation(path: string, q: readonly number[] | undefined): Q4 {
  if (!q) return [0, 0, 0, 1];
  const r = q.map((c, i) => real(`${path}[${i}]`, c, -1.001, 1.001)) as Q4;
  const norm = Math.hypot(...r);
  if (Math.abs(norm - 1) > 1e-3) bad(path, 'a unit quaternion [x, y, z, w] (length 1 ± 0.001)', q);
  return r;
}

/** Counts shared by every collider and body of one scene, so totals can be capped. */
interface Tally {
  colliders: number;
  meshVertices: number;
  meshTriangles: number;
  heightfieldCells: number;
}

function shapeOf(path: string, c: z.infer<typeof colliderJson>, tally: Tally): ShapeSpec {
  const L = SCENE_LIMITS;
  switch (c.shape) {
    case 'ball':
      return { shape: 'ball', radius: size(`${path}.radius`, c.radius) };
    case 'cuboid':
      return {
        shape: 'cuboid',
        halfExtents: [0, 1, 2].map((i) => size(`${path}.halfExtents[${i}]`, c.halfExtents[i]!)) as V3,
      };
    case 'capsule':
    case 'cylinder':
    case 'cone':
      return {
        shape: c.shape,
        halfHeight: size(`${path}.halfHeight`, c.halfHeight),
        radius: size(`${path}.radius`, c.radius),
      };
    case 'convexHull': {
      const n = c.points.length;
      if (n % 3 !== 0 || n / 3 < 4 || n / 3 > L.hullPoints)
        bad(`${path}.points`, `x y z triples of 4 to ${L.hullPoints} points`, `${n} numbers`);
      const points = c.points.map((x, i) => real(`${path}.points[${i}]`, x, -L.maxSize, L.maxSize));
      if (!spansVolume(points))
        bad(`${path}.points`, 'points that span a volume (not all in one plane)', 'flat points');
      return { shape: 'convexHull', points };
    }
    case 'trimesh':
      return trimeshOf(path, c.vertices, c.indices, tally);
    case 'heightfield': {
      const rows = int(`${path}.rows`, c.rows, 1, 4096);
      const cols = int(`${path}.cols`, c.cols, 1, 4096);
      tally.heightfieldCells += rows * cols;
      if (tally.heightfieldCells > L.heightfieldCells)
        bad(
          `${path}`,
          `within ${L.heightfieldCells} heightfield cells (rows × cols) in the whole scene`,
          tally.heightfieldCells,
        );
      const want = (rows + 1) * (cols + 1);
      if (c.heights.length !== want)
        bad(`${path}.heights`, `(rows + 1) × (cols + 1) = ${want} numbers`, `${c.heights.length} numbers`);
      return {
        shape: 'heightfield',
        rows,
        cols,
        heights: c.heights.map((h, i) => real(`${path}.heights[${i}]`, h, -L.coordinate, L.coordinate)),
        scale: [0, 1, 2].map((i) => size(`${path}.scale[${i}]`, c.scale[i]!)) as V3,
      };
    }
  }
}

type P3 = [number, number, number];
const sub = (a: P3, b: P3): P3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: P3, b: P3): P3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const dot = (a: P3, b: P3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * Whether a point cloud has volume: the farthest point from the first, then the farthest from that
 * line, then the farthest from that plane, must leave a tetrahedron thicker than 1e-6 of its extent.
 */
function spansVolume(flat: readonly number[]): boolean {
  const pts: P3[] = [];
  for (let i = 0; i < flat.length; i += 3) pts.push([flat[i]!, flat[i + 1]!, flat[i + 2]!]);
  const a = pts[0]!;
  const far = (score: (p: P3) => number) => pts.reduce((best, p) => (score(p) > score(best) ? p : best), a);
  const b = far((p) => Math.hypot(...sub(p, a)));
  const ab = sub(b, a);
  const extent = Math.hypot(...ab);
  if (!(extent > 0)) return false;
  const c = far((p) => Math.hypot(...cross(ab, sub(p, a))));
  const normal = cross(ab, sub(c, a));
  const area2 = Math.hypot(...normal);
  if (!(area2 > 1e-6 * extent * extent)) return false;
  const d = far((p) => Math.abs(dot(normal, sub(p, a))));
  return Math.abs(dot(normal, sub(d, a))) / area2 > 1e-6 * extent;
}

function trimeshOf(
  path: string,
  vertices: readonly number[],
  indices: readonly number[],
  tally: Tally,
): ShapeSpec {
  const L = SCENE_LIMITS;
  if (vertices.length % 3 !== 0 || vertices.length < 9)
    bad(`${path}.vertices`, 'x y z triples of at least 3 vertices', `${vertices.length} numbers`);
  if (indices.length % 3 !== 0 || indices.length === 0)
    bad(
      `${path}.indices`,
      'three vertex indices per triangle, at least one triangle',
      `${indices.length} numbers`,
    );
  const nv = vertices.length / 3;
  tally.meshVertices += nv;
  tally.meshTriangles += indices.length / 3;
  if (tally.meshVertices > L.meshVertices)
    bad(path, `within ${L.meshVertices} mesh vertices in the whole scene`, tally.meshVertices);
  if (tally.meshTriangles > L.meshTriangles)
    bad(path, `within ${L.meshTriangles} mesh triangles in the whole scene`, tally.meshTriangles);
  const v = vertices.map((x, i) => real(`${path}.vertices[${i}]`, x, -L.coordinate, L.coordinate));
  const ix = indices.map((k, i) => int(`${path}.indices[${i}]`, k, 0, nv - 1));
  for (let t = 0; t < ix.length; t += 3) {
    const [a, b, c] = [ix[t]!, ix[t + 1]!, ix[t + 2]!];
    const where = `${path} triangle ${t / 3} (indices ${a}, ${b}, ${c})`;
    if (a === b || b === c || a === c) bad(where, 'three distinct vertices', [a, b, c]);
    const e1 = [0, 1, 2].map((k) => v[3 * b + k]! - v[3 * a + k]!);
    const e2 = [0, 1, 2].map((k) => v[3 * c + k]! - v[3 * a + k]!);
    const cx = e1[1]! * e2[2]! - e1[2]! * e2[1]!;
    const cy = e1[2]! * e2[0]! - e1[0]! * e2[2]!;
    const cz = e1[0]! * e2[1]! - e1[1]! * e2[0]!;
    // Twice the area against the squared longest edge: a sliver this thin has no usable normal.
    const area2 = Math.hypot(cx, cy, cz);
    const edge2 = Math.max(Math.hypot(...e1) ** 2, Math.hypot(...e2) ** 2);
    if (!(area2 > 1e-6 * edge2) || area2 < 1e-12)
      bad(where, 'a triangle with non-zero area', 'a degenerate triangle');
  }
  return { shape: 'trimesh', vertices: v, indices: ix };
}

function colliderOf(path: string, c: z.infer<typeof colliderJson>, tally: Tally): ColliderSpec {
  const L = SCENE_LIMITS;
  const shape = shapeOf(path, c, tally);
  return {
    ...shape,
    density: c.density === undefined ? 1 : real(`${path}.density`, c.density, 0, L.maxDensity, true),
    friction: c.friction === undefined ? 0.5 : real(`${path}.friction`, c.friction, 0, L.maxFriction),
    restitution: c.restitution === undefined ? 0 : real(`${path}.restitution`, c.restitution, 0, 1),
    position: vec(`${path}.position`, c.position, L.coordinate, [0, 0, 0]),
    rotation: rotation(`${path}.rotation`, c.rotation),
  };
}

const LIMIT_COUNT: Record<JointKind, number[]> = {
  fixed: [0],
  revolute: [0, 2],
  prismatic: [0, 2],
  spherical: [0, 6],
};

function jointOf(path: string, j: NonNullable<SceneJson['joints']>[number], bodies: number): JointSpec {
  const L = SCENE_LIMITS;
  const body1 = int(`${path}.body1`, j.body1, 0, bodies - 1);
  const body2 = int(`${path}.body2`, j.body2, 0, bodies - 1);
  if (body1 === body2) bad(`${path}.body2`, 'a body other than body1', body2);
  const limits = (j.limits ?? []).map((x, i) => real(`${path}.limits[${i}]`, x, -L.coordinate, L.coordinate));
  if (!LIMIT_COUNT[j.kind].includes(limits.length))
    bad(
      `${path}.limits`,
      j.kind === 'fixed'
        ? 'absent or empty (a fixed joint has no free axis)'
        : j.kind === 'spherical'
          ? 'absent, or [minX, maxX, minY, maxY, minZ, maxZ] in radians'
          : 'absent, or [min, max]',
      j.limits,
    );
  for (let i = 0; i < limits.length; i += 2)
    if (limits[i]! > limits[i + 1]!) bad(`${path}.limits`, 'pairs with min ≤ max', j.limits);
  const axis = vec(`${path}.axis`, j.axis, 1e3, [1, 0, 0]);
  if (Math.hypot(...axis) < 1e-3) bad(`${path}.axis`, 'a non-zero direction', j.axis);
  return {
    kind: j.kind,
    body1,
    body2,
    anchor1: vec(`${path}.anchor1`, j.anchor1, L.coordinate, [0, 0, 0]),
    anchor2: vec(`${path}.anchor2`, j.anchor2, L.coordinate, [0, 0, 0]),
    axis,
    frame1: rotation(`${path}.frame1`, j.frame1),
    frame2: rotation(`${path}.frame2`, j.frame2),
    limits,
  };
}

/** The scene with every default filled in and every limit checked; throws BadInputError otherwise. */
export function normalizeScene(s: SceneJson): Scene {
  const L = SCENE_LIMITS;
  if (s.bodies.length > L.bodies) bad('bodies', `at most ${L.bodies} bodies`, `${s.bodies.length} bodies`);
  const joints = s.joints ?? [];
  if (joints.length > L.joints) bad('joints', `at most ${L.joints} joints`, `${joints.length} joints`);
  const tally: Tally = { colliders: 0, meshVertices: 0, meshTriangles: 0, heightfieldCells: 0 };
  const bodies = s.bodies.map((b, i): BodySpec => {
    const path = `bodies[${i}]`;
    const cs = b.colliders ?? [];
    if (cs.length > L.collidersPerBody)
      bad(`${path}.colliders`, `at most ${L.collidersPerBody} colliders`, `${cs.length}`);
    tally.colliders += cs.length;
    if (tally.colliders > L.colliders)
      bad('bodies', `at most ${L.colliders} colliders in all`, `${tally.colliders}+`);
    return {
      kind: b.kind ?? 'dynamic',
      position: vec(`${path}.position`, b.position, L.coordinate, [0, 0, 0]),
      rotation: rotation(`${path}.rotation`, b.rotation),
      linvel: vec(`${path}.linvel`, b.linvel, L.velocity, [0, 0, 0]),
      angvel: vec(`${path}.angvel`, b.angvel, L.velocity, [0, 0, 0]),
      colliders: cs.map((c, k) => colliderOf(`${path}.colliders[${k}]`, c, tally)),
    };
  });
  return {
    gravity: vec('gravity', s.gravity, L.gravity, [0, -9.81, 0]),
    timestep: s.timestep === undefined ? f32(1 / 60) : real('timestep', s.timestep, 0, L.maxTimestep, true),
    solverIterations:
      s.solverIterations === undefined
        ? 4
        : int('solverIterations', s.solverIterations, 1, L.maxSolverIterations),
    bodies,
    joints: joints.map((j, i) => jointOf(`joints[${i}]`, j, bodies.length)),
  };
}

/** The canonical text of a normalised scene: its JSON, keys in the order normalizeScene writes them. */
export function canonicalScene(scene: Scene): string {
  return JSON.stringify(scene);
}

/** The scene's identity: BLAKE3 of its canonical JSON (UTF-8); WASM BLAKE3 once `blake3Ready`. */
export function sceneId(scene: Scene): Uint8Array {
  return blake3Digest(new TextEncoder().encode(canonicalScene(scene)), () => {});
}
