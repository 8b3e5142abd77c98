/**
 * A cheap guard before Rapier sees a scene: how many collider pairs start with overlapping bounding
 * spheres. The broad phase allocates per overlapping pair, so 10,000 balls dropped into one spot
 * would ask for ~50 million pairs in the first step, gigabytes before any per-step check could stop
 * it. Meshes and heightfields are left out: they are usually one large static ground that touches
 * everything, and they cost one pair per body.
 */
import { BadInputError } from '../capsule.ts';
import { SCENE_LIMITS, type ColliderSpec, type Q4, type Scene, type V3 } from './scene.ts';

function rotate([qx, qy, qz, qw]: Q4, [x, y, z]: V3): V3 {
  // v + 2w(q×v) + 2q×(q×v)
  const tx = 2 * (qy * z - qz * y);
  const ty = 2 * (qz * x - qx * z);
  const tz = 2 * (qx * y - qy * x);
  return [
    x + qw * tx + (qy * tz - qz * ty),
    y + qw * ty + (qz * tx - qx * tz),
    z + qw * tz + (qx * ty - qy * tx),
  ];
}

function boundingRadius(c: ColliderSpec): number | null {
  switch (c.shape) {
    case 'ball':
      return c.radius;
    case 'cuboid':
      return Math.hypot(...c.halfExtents);
    case 'capsule':
      return c.halfHeight + c.radius;
    case 'cylinder':
    case 'cone':
      return Math.hypot(c.halfHeight, c.radius);
    case 'convexHull': {
      let r = 0;
      for (let i = 0; i < c.points.length; i += 3)
        r = Math.max(r, Math.hypot(c.points[i]!, c.points[i + 1]!, c.points[i + 2]!));
      return r;
    }
    case 'trimesh':
    case 'heightfield':
      return null;
  }
}

/** Throws BadInputError when more than SCENE_LIMITS.initialOverlaps pairs overlap at the start. */
export function checkInitialOverlaps(scene: Scene, limit: number = SCENE_LIMITS.initialOverlaps): number {
  const spheres: Array<{ c: V3; r: number; body: number }> = [];
  scene.bodies.forEach((b, body) => {
    for (const c of b.colliders) {
      const r = boundingRadius(c);
      if (r === null) continue;
      const o = rotate(b.rotation, c.position);
      spheres.push({ c: [b.position[0] + o[0], b.position[1] + o[1], b.position[2] + o[2]], r, body });
    }
  });
  // Sweep along the axis with the widest spread, over flat arrays (this runs on every simulate job:
  // 1000 bodies in a pile are ~200,000 candidate pairs).
  const n = spheres.length;
  const spread = [0, 1, 2].map((a) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of spheres) {
      lo = Math.min(lo, s.c[a]!);
      hi = Math.max(hi, s.c[a]!);
    }
    return hi - lo;
  });
  const axis = spread.indexOf(Math.max(...spread));
  spheres.sort((p, q) => p.c[axis]! - p.r - (q.c[axis]! - q.r));
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const z = new Float64Array(n);
  const r = new Float64Array(n);
  const body = new Int32Array(n);
  spheres.forEach((s, i) => {
    [x[i], y[i], z[i]] = s.c;
    r[i] = s.r;
    body[i] = s.body;
  });
  const key = [x, y, z][axis]!;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    const end = key[i]! + r[i]!;
    for (let j = i + 1; j < n; j++) {
      if (key[j]! - r[j]! > end) break;
      if (body[j] === body[i]) continue;
      const dx = x[i]! - x[j]!;
      const dy = y[i]! - y[j]!;
      const dz = z[i]! - z[j]!;
      const reach = r[i]! + r[j]!;
      if (dx * dx + dy * dy + dz * dz < reach * reach && ++pairs > limit)
        throw new BadInputError(
          `scene: more than ${limit} pairs of colliders overlap at the start; spread the bodies out ` +
            `(each overlapping pair costs the broad phase memory before the first step ends)`,
        );
    }
  }
  return pairs;
}
