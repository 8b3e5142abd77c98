/**
 * Hostile requests to the physics capsule end as `badInput` (exit 2) with a message that names the
 * field and what is allowed, or at their budget (exit 3); never a crash, a hang or an unbounded
 * allocation. After each, the capsule still answers a normal job on the same thread.
 */
import { Message } from 'capnp-es';
import { describe, expect, it } from 'vitest';
import { Scene as CapnpScene } from '../../../../schemas/gen/physics.ts';
import { JobStopped } from '../../../../src/capsules/capsule.ts';
import { memoryGuard } from '../../../../src/capsules/physics/advance.ts';
import { checkInitialOverlaps } from '../../../../src/capsules/physics/overlaps.ts';
import {
  decodeState,
  encodeSceneCapnp,
  normalizeScene,
  OFFSET,
  snapshotOffset,
  type SceneJson,
} from '../../../../src/capsules/physics/index.ts';
import { blake3 } from '@noble/hashes/blake3.js';
import { prng, seedFromEnv } from '../../_prng.ts';
import { ok, runPhysics } from './_run.ts';

const SEED = seedFromEnv(0x40571e);
const ball = (extra: object = {}) => ({ shape: 'ball', radius: 0.5, ...extra });
const one = (collider: object, body: object = {}): SceneJson =>
  ({ bodies: [{ ...body, colliders: [collider] }] }) as SceneJson;

async function stillWorks() {
  const s = decodeState(await ok('simulate', { scene: one(ball()), steps: 10 }), () => {});
  expect(s.step).toBe(10);
}

async function refused(params: unknown, input?: Uint8Array, method = 'simulate') {
  const r = await runPhysics(method, params, input);
  expect(r.status, r.error).toBe('badInput');
  return r.error;
}

describe('bad numbers', () => {
  it.each([
    [
      'a negative radius',
      one(ball({ radius: -1 })),
      /bodies\[0\]\.colliders\[0\]\.radius must be a finite number in \[0\.001, 10000\]; got -1/,
    ],
    ['a zero half extent', one({ shape: 'cuboid', halfExtents: [1, 0, 1] }), /halfExtents\[1\] must be/],
    [
      'a negative half height',
      one({ shape: 'capsule', halfHeight: -0.1, radius: 0.2 }),
      /halfHeight must be/,
    ],
    ['a float32 overflow', one(ball(), { position: [1e39, 0, 0] }), /position\[0\] must be a finite number/],
    ['a zero density', one(ball({ density: 0 })), /density must be a finite number in \(0, /],
    ['restitution above 1', one(ball({ restitution: 1.5 })), /restitution must be/],
    ['a non-unit rotation', one(ball(), { rotation: [0, 0, 0, 2] }), /rotation(\[3\])? must be/],
    ['a zero timestep', { ...one(ball()), timestep: 0 }, /timestep must be/],
    [
      'a fractional solver iteration count',
      { ...one(ball()), solverIterations: 2.5 },
      /solverIterations must be a whole number/,
    ],
    [
      'a joint to a missing body',
      { ...one(ball()), joints: [{ kind: 'fixed', body1: 0, body2: 7 }] },
      /joints\[0\]\.body2 must be a whole number from 0 to 0/,
    ],
    [
      'reversed joint limits',
      { bodies: [{}, {}], joints: [{ kind: 'revolute', body1: 0, body2: 1, limits: [1, -1] }] },
      /limits must be pairs with min ≤ max/,
    ],
  ])('%s', async (_, scene, message) => {
    expect(await refused({ scene, steps: 1 })).toMatch(message);
    await stillWorks();
  });

  it('Infinity and NaN in JSON params (1e999; a bare NaN) are refused by the params parser', async () => {
    expect(await refused(`{"steps":1,"scene":{"bodies":[{"position":[1e999,0,0]}]}}`)).toMatch(/position/);
    expect(await refused(`{"steps":1,"scene":{"bodies":[{"position":[NaN,0,0]}]}}`)).toMatch(/JSON/i);
  });

  it('NaN and Infinity in a Cap’n Proto scene are refused with the field named', async () => {
    for (const [bad, name] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      const scene = normalizeScene(one(ball()));
      const bytes = encodeSceneCapnp(scene);
      const msg = new Message(bytes.slice().buffer, false);
      msg.getRoot(CapnpScene).bodies.get(0).colliders.get(0).shape.ball = bad;
      const error = await refused({ steps: 1 }, new Uint8Array(msg.toArrayBuffer()));
      expect(error, name).toMatch(/bodies\[0\]\.colliders\[0\]\.radius must be a finite number/);
    }
    await stillWorks();
  });

  it('steps past the per-job limit, or negative, are refused', async () => {
    expect(await refused({ scene: one(ball()), steps: 1_000_001 })).toMatch(/steps/);
    expect(await refused({ scene: one(ball()), steps: -1 })).toMatch(/steps/);
  });
});

describe('too much', () => {
  it('a million bodies in Cap’n Proto input: refused by the list length, before reading one', async () => {
    const msg = new Message(undefined, false, true);
    msg.initRoot(CapnpScene)._initBodies(1_000_000);
    const bytes = new Uint8Array(msg.toArrayBuffer());
    expect(await refused({ steps: 1 }, bytes)).toMatch(/bodies must have at most 10000 entries; got 1000000/);
    await stillWorks();
  });

  it('10,001 bodies as JSON, and 20,001 colliders, are refused', async () => {
    expect(
      await refused({ scene: { bodies: Array.from({ length: 10_001 }, () => ({})) }, steps: 1 }),
    ).toMatch(/at most 10000 bodies/);
    const many = {
      bodies: Array.from({ length: 400 }, () => ({ colliders: Array.from({ length: 51 }, () => ball()) })),
    };
    expect(await refused({ scene: many, steps: 1 })).toMatch(/at most 20000 colliders/);
  });

  it('5,000 balls dropped into one spot are refused before the broad phase allocates for 12 million pairs', async () => {
    const scene = { bodies: Array.from({ length: 5_000 }, () => ({ colliders: [ball()] })) };
    expect(await refused({ scene, steps: 1 })).toMatch(/more than 200000 pairs of colliders overlap/);
    // A 1000-box pile on a grid is well within it.
    const pile = normalizeScene({
      bodies: Array.from({ length: 1000 }, (_, i) => ({
        position: [i % 10, Math.floor(i / 100), Math.floor(i / 10) % 10] as [number, number, number],
        colliders: [{ shape: 'cuboid' as const, halfExtents: [0.5, 0.5, 0.5] as [number, number, number] }],
      })),
    });
    expect(checkInitialOverlaps(pile)).toBeLessThan(20_000);
  });

  it('a budget that runs out stops the run at that step (budgetExhausted, charged the budget)', async () => {
    const scene = {
      bodies: [
        { kind: 'fixed', colliders: [{ shape: 'cuboid', halfExtents: [20, 0.5, 20] }] },
        ...Array.from({ length: 200 }, (_, i) => ({
          position: [(i % 10) * 1.1 - 5, 1 + Math.floor(i / 100), (Math.floor(i / 10) % 10) * 1.1 - 5],
          colliders: [{ shape: 'cuboid', halfExtents: [0.5, 0.5, 0.5] }],
        })),
      ],
    };
    const r = await runPhysics('simulate', { scene, steps: 1_000_000 }, undefined, 300);
    expect(r.status, r.error).toBe('budgetExhausted');
    expect(r.costUsed).toBe(300);
  }, 60_000);

  it('the memory budget stops a job whose Rapier memory grows past it (and not one that started large)', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    const limit = 3 * 65536;
    const check = memoryGuard(memory, limit);
    check(0);
    memory.grow(1); // 3 pages: at the limit
    check(1);
    memory.grow(1);
    expect(() => check(2)).toThrow(JobStopped);
    try {
      check(2);
    } catch (err) {
      expect((err as JobStopped).reason).toBe('budget');
      expect((err as JobStopped).detail).toMatch(
        /stopped at step 2: the simulation needed 1 MiB of working memory/,
      );
    }
    // A later job on the same (now large) memory is judged by its own growth only.
    memoryGuard(memory, limit)(0);
  });

  it('a trajectory too large for the output is refused up front', async () => {
    const scene = {
      bodies: Array.from({ length: 2000 }, (_, i) => ({ position: [i * 2, 0, 0], colliders: [ball()] })),
    };
    expect(await refused({ scene, steps: 1000, trajectoryEvery: 1 })).toMatch(
      /trajectory would be .* sample less often/,
    );
  });
});

describe('degenerate meshes', () => {
  const tri = (vertices: number[], indices: number[]) =>
    one({ shape: 'trimesh', vertices, indices }, { kind: 'fixed' });
  it.each([
    ['a repeated index', tri([0, 0, 0, 1, 0, 0, 0, 0, 1], [0, 1, 1]), /three distinct vertices/],
    ['collinear vertices', tri([0, 0, 0, 1, 0, 0, 2, 0, 0], [0, 1, 2]), /non-zero area/],
    [
      'an index out of range',
      tri([0, 0, 0, 1, 0, 0, 0, 0, 1], [0, 1, 3]),
      /indices\[2\] must be a whole number from 0 to 2/,
    ],
    ['no triangles', tri([0, 0, 0, 1, 0, 0, 0, 0, 1], []), /at least one triangle/],
    ['a ragged vertex list', tri([0, 0, 0, 1, 0], [0, 1, 2]), /x y z triples/],
    [
      'a flat convex hull',
      one({ shape: 'convexHull', points: [0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1] }),
      /points that span a volume/,
    ],
    [
      'a hull of 3 points',
      one({ shape: 'convexHull', points: [0, 0, 0, 1, 0, 0, 0, 1, 0] }),
      /4 to 1024 points/,
    ],
    [
      'a heightfield with too few heights',
      one(
        { shape: 'heightfield', rows: 2, cols: 2, heights: [0, 0, 0], scale: [1, 1, 1] },
        { kind: 'fixed' },
      ),
      /\(rows \+ 1\) × \(cols \+ 1\) = 9 numbers/,
    ],
  ])('%s', async (_, scene, message) => {
    expect(await refused({ scene, steps: 1 })).toMatch(message);
    await stillWorks();
  });
});

describe('hostile states (step and query inputs)', () => {
  it('truncated, foreign and altered states are refused', async () => {
    const state = await ok('simulate', { scene: one(ball()), steps: 5 });
    expect(await refused({ steps: 1 }, state.subarray(0, state.length - 1), 'step')).toMatch(
      /header describes/,
    );
    expect(await refused({ steps: 1 }, new Uint8Array(200), 'step')).toMatch(/not "INOSPHYS"/);
    const altered = state.slice();
    altered[altered.length - 1]! ^= 1;
    expect(await refused({ steps: 1 }, altered, 'step')).toMatch(/does not match its state hash/);
    expect(await refused({ rays: [] }, altered, 'query')).toMatch(/does not match its state hash/);
  });

  it('crafted snapshots with a matching hash end as badInput or ok, and the thread keeps working', async () => {
    const rnd = prng(SEED);
    const state = await ok('simulate', { scene: one(ball(), { position: [0, 2, 0] }), steps: 5 });
    const at = snapshotOffset(decodeState(state, () => {}));
    const statuses = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const s = state.slice();
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++)
        s[at + Math.floor(rnd() * (s.length - at))] = Math.floor(rnd() * 256);
      s.set(blake3(s.subarray(at)), OFFSET.stateHash);
      const r = await runPhysics('step', { steps: 3 }, s);
      expect(['ok', 'badInput', 'budgetExhausted'], `seed ${SEED}, case ${i}: ${r.error}`).toContain(
        r.status,
      );
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(statuses.get('badInput') ?? 0, `seed ${SEED}`).toBeGreaterThan(0);
    await stillWorks();
  }, 120_000);

  it('a query answers rays and contacts by scene index', async () => {
    const scene = {
      bodies: [
        { kind: 'fixed', colliders: [{ shape: 'cuboid', halfExtents: [5, 0.5, 5] }] },
        { position: [0, 1, 0], colliders: [ball()] },
      ],
    };
    const state = await ok('simulate', { scene, steps: 60 });
    const out = JSON.parse(
      new TextDecoder().decode(
        await ok(
          'query',
          {
            rays: [
              { origin: [0, 10, 0], dir: [0, -1, 0] },
              { origin: [20, 10, 0], dir: [0, -1, 0] },
            ],
            contacts: true,
          },
          state,
        ),
      ),
    );
    expect(out.step).toBe(60);
    expect(out.rays[0]).toMatchObject({ hit: true, body: 1, collider: 1 });
    expect(out.rays[0].toi).toBeCloseTo(10 - 1.5, 2); // the ball rests on the ground: top at 1.5
    expect(out.rays[1]).toEqual({ hit: false });
    expect(out.contacts).toEqual([
      expect.objectContaining({ body1: 0, body2: 1, collider1: 0, collider2: 1 }),
    ]);
    expect(await refused({ rays: [{ origin: [0, 0, 0], dir: [0, 0, 0] }] }, state, 'query')).toMatch(
      /zero vector/,
    );
  });
});
