/**
 * `physics.query`: questions about one state, answered without stepping it: where rays first hit
 * (collider, body, time of impact, point, normal), and which collider pairs touch (contact points and
 * the deepest penetration). Bodies and colliders are named by their scene indices.
 */
import type { World } from '@dimforge/rapier3d-deterministic-compat';
import { z } from 'zod';
import type { LoadedRapier } from './rapier.ts';
import { handleIndex } from './world.ts';

export const MAX_RAYS = 10_000;
/** Contact pairs reported at most (a pile of 1000 boxes has a few thousand). */
export const MAX_CONTACT_PAIRS = 100_000;

const finite = z.number().refine(Number.isFinite, 'must be finite');
const vec3 = z.tuple([finite, finite, finite]);

export const queryParams = z.strictObject({
  rays: z
    .array(
      z.strictObject({
        origin: vec3,
        dir: vec3.refine((d) => Math.hypot(...d) > 0, 'must not be the zero vector'),
        /** Longest distance along `dir` (in multiples of |dir|). */
        maxToi: z.number().positive().max(1e6).optional(),
        /** A ray starting inside a solid shape hits at 0 (default true). */
        solid: z.boolean().optional(),
      }),
    )
    .max(MAX_RAYS, `at most ${MAX_RAYS} rays`)
    .optional(),
  contacts: z.boolean().optional(),
});
export type QueryParams = z.infer<typeof queryParams>;

export interface RayAnswer {
  hit: boolean;
  collider?: number;
  body?: number;
  toi?: number;
  point?: [number, number, number];
  normal?: [number, number, number];
}

export interface ContactAnswer {
  collider1: number;
  collider2: number;
  body1: number;
  body2: number;
  points: number;
  /** Most negative contact distance (penetration depth as a negative number); ≥ 0 when only touching. */
  minDistance: number;
}

export function runQuery(
  { R }: LoadedRapier,
  world: World,
  p: QueryParams,
  checkpoint: () => void,
): { rays: RayAnswer[]; contacts?: ContactAnswer[]; contactsTruncated?: boolean } {
  const bodyOf = (c: { parent(): { handle: number } | null }) => {
    const parent = c.parent();
    return parent ? handleIndex(parent.handle) : -1;
  };
  const rays = (p.rays ?? []).map((r, i): RayAnswer => {
    if (i % 256 === 0) checkpoint();
    const [ox, oy, oz] = r.origin;
    const [dx, dy, dz] = r.dir;
    const hit = world.castRayAndGetNormal(
      new R.Ray({ x: ox, y: oy, z: oz }, { x: dx, y: dy, z: dz }),
      r.maxToi ?? 1e6,
      r.solid ?? true,
    );
    if (!hit) return { hit: false };
    const toi = hit.timeOfImpact;
    return {
      hit: true,
      collider: handleIndex(hit.collider.handle),
      body: bodyOf(hit.collider),
      toi,
      point: [ox + dx * toi, oy + dy * toi, oz + dz * toi],
      normal: [hit.normal.x, hit.normal.y, hit.normal.z],
    };
  });
  if (!p.contacts) return { rays };
  const contacts: ContactAnswer[] = [];
  let truncated = false;
  world.colliders.forEach((c1) => {
    if (truncated) return;
    checkpoint();
    const i1 = handleIndex(c1.handle);
    world.contactPairsWith(c1, (c2) => {
      const i2 = handleIndex(c2.handle);
      if (i2 <= i1 || truncated) return;
      let points = 0;
      let minDistance = Infinity;
      world.contactPair(c1, c2, (m) => {
        const n = m.numContacts();
        points += n;
        for (let k = 0; k < n; k++) minDistance = Math.min(minDistance, m.contactDist(k));
      });
      if (points === 0) return;
      if (contacts.length >= MAX_CONTACT_PAIRS) {
        truncated = true;
        return;
      }
      contacts.push({
        collider1: i1,
        collider2: i2,
        body1: bodyOf(c1),
        body2: bodyOf(c2),
        points,
        minDistance,
      });
    });
  });
  contacts.sort((a, b) => a.collider1 - b.collider1 || a.collider2 - b.collider2);
  return { rays, contacts, ...(truncated ? { contactsTruncated: true } : {}) };
}
