/**
 * The physics against closed forms: free fall, a ball's bounce height with restitution, a pendulum's
 * period, and a box resting on a slope below its friction angle (and sliding above it). Tolerances
 * are the integrator's and the contact model's, stated per test.
 */
import { describe, expect, it } from 'vitest';
import { decodeState, TRANSFORM_WORDS, type SceneJson } from '../../../../src/capsules/physics/index.ts';
import { ok } from './_run.ts';

const G = 9.81;
const DT = 1 / 240;

/** Positions (x, y, z) of body `b` at every sampled step. */
async function track(scene: SceneJson, steps: number, b: number) {
  const s = decodeState(await ok('simulate', { scene, steps, trajectoryEvery: 1 }), () => {});
  const at = (f: number) => {
    const o = (f * s.bodies + b) * TRANSFORM_WORDS;
    return [s.trajectory[o]!, s.trajectory[o + 1]!, s.trajectory[o + 2]!] as const;
  };
  return Array.from({ length: s.frames }, (_, f) => at(f));
}

describe('closed forms', () => {
  it('free fall: y(t) = y0 − g t²/2 to the integrator’s first-order error', async () => {
    const steps = 240;
    const path = await track(
      {
        gravity: [0, -G, 0],
        timestep: DT,
        bodies: [{ position: [0, 100, 0], colliders: [{ shape: 'ball', radius: 0.5 }] }],
      },
      steps,
      0,
    );
    for (const n of [60, 120, 240]) {
      const t = n * DT;
      const y = path[n - 1]![1];
      // Symplectic Euler falls g·dt·t/2 further than the exact parabola after time t.
      expect(Math.abs(y - (100 - (G * t * t) / 2))).toBeLessThanOrEqual((G * DT * t) / 2 + 1e-3);
    }
  });

  it('bounce: a ball dropped from h rises to e²·h with restitution e', async () => {
    const e = 0.5;
    const h = 4; // drop height of the ball's bottom above the ground's top
    const r = 0.25;
    const path = await track(
      {
        gravity: [0, -G, 0],
        timestep: DT,
        bodies: [
          { kind: 'fixed', colliders: [{ shape: 'cuboid', halfExtents: [5, 0.5, 5], restitution: e }] },
          { position: [0, 0.5 + r + h, 0], colliders: [{ shape: 'ball', radius: r, restitution: e }] },
        ],
      },
      Math.round(2.2 / DT),
      1,
    );
    const ys = path.map((p) => p[1] - 0.5 - r);
    const impact = ys.findIndex((y, i) => i > 0 && ys[i - 1]! > y && ys[i + 1]! > y);
    expect(impact).toBeGreaterThan(0);
    const apex = Math.max(...ys.slice(impact));
    expect(apex / h).toBeGreaterThan(e * e * 0.9);
    expect(apex / h).toBeLessThan(e * e * 1.1);
  });

  it('pendulum: a small swing has period 2π·√(L/g)', async () => {
    const L = 2;
    const theta = 0.1;
    const x0 = L * Math.sin(theta);
    const y0 = 10 - L * Math.cos(theta);
    const path = await track(
      {
        gravity: [0, -G, 0],
        timestep: DT,
        solverIterations: 8,
        bodies: [
          { kind: 'fixed', position: [0, 10, 0] },
          // A small dense ball: a point mass to within (2/5)(r/L)² = 0.004%.
          { position: [x0, y0, 0], colliders: [{ shape: 'ball', radius: 0.02, density: 1000 }] },
        ],
        joints: [{ kind: 'spherical', body1: 0, body2: 1, anchor1: [0, 0, 0], anchor2: [-x0, 10 - y0, 0] }],
      },
      Math.round(6 / DT),
      1,
    );
    // Upward zero crossings of x, interpolated.
    const crossings: number[] = [];
    for (let i = 1; i < path.length; i++) {
      const a = path[i - 1]![0];
      const b = path[i]![0];
      if (a < 0 && b >= 0) crossings.push((i - 1 + a / (a - b)) * DT);
    }
    expect(crossings.length).toBeGreaterThanOrEqual(2);
    const period = (crossings.at(-1)! - crossings[0]!) / (crossings.length - 1);
    // The small-angle series adds θ²/16 = 0.06% at 0.1 rad.
    const expected = 2 * Math.PI * Math.sqrt(L / G) * (1 + (theta * theta) / 16);
    expect(Math.abs(period / expected - 1)).toBeLessThan(0.01);
  });

  it('slope: a box stays put below the friction angle and slides above it', async () => {
    const alpha = (20 * Math.PI) / 180; // tan α = 0.364
    const q: [number, number, number, number] = [0, 0, Math.sin(alpha / 2), Math.cos(alpha / 2)];
    const n = [-Math.sin(alpha), Math.cos(alpha), 0]; // the slope's normal
    const slide = async (mu: number) => {
      const start: [number, number, number] = [n[0]! * 0.6, 5 + n[1]! * 0.6, 0];
      const path = await track(
        {
          gravity: [0, -G, 0],
          timestep: DT,
          bodies: [
            {
              kind: 'fixed',
              position: [0, 5, 0],
              rotation: q,
              colliders: [{ shape: 'cuboid', halfExtents: [10, 0.1, 3], friction: mu }],
            },
            {
              position: start,
              rotation: q,
              colliders: [{ shape: 'cuboid', halfExtents: [0.5, 0.5, 0.5], friction: mu }],
            },
          ],
        },
        Math.round(2 / DT),
        1,
      );
      // Distance travelled between t = 0.5 s (settled on the slope) and t = 2 s.
      const a = path[Math.round(0.5 / DT)]!;
      const b = path.at(-1)!;
      return Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]);
    };
    expect(await slide(0.6)).toBeLessThan(0.01); // μ = 0.6 > tan 20°: at rest
    // μ = 0.2 < tan 20°: slides with a = g(sin α − μ cos α) = 1.51 m/s², ≥ 1.5 m in 1.5 s.
    expect(await slide(0.2)).toBeGreaterThan(1.0);
  });
});

describe('joint limits', () => {
  it('a prismatic slider pushed along its axis stops at its upper limit; one without limits does not', async () => {
    const run = async (limits?: number[]) => {
      const path = await track(
        {
          gravity: [0, 0, 0],
          timestep: DT,
          bodies: [
            { kind: 'fixed', position: [0, 0, 0] },
            {
              position: [0, 0, 0],
              linvel: [2, 0, 0],
              colliders: [{ shape: 'cuboid', halfExtents: [0.1, 0.1, 0.1] }],
            },
          ],
          joints: [{ kind: 'prismatic', body1: 0, body2: 1, axis: [1, 0, 0], ...(limits ? { limits } : {}) }],
        },
        Math.round(1.5 / DT),
        1,
      );
      return path.at(-1)!;
    };
    const limited = await run([-0.5, 0.75]);
    expect(limited[0]).toBeGreaterThan(0.7);
    expect(limited[0]).toBeLessThan(0.8);
    expect(Math.abs(limited[1]) + Math.abs(limited[2])).toBeLessThan(1e-3); // held on the axis
    expect((await run())[0]).toBeGreaterThan(2.9); // 2 m/s for 1.5 s
  });

  it('a revolute hinge swings down to its limit angle and no further', async () => {
    const path = await track(
      {
        gravity: [0, -G, 0],
        timestep: DT,
        solverIterations: 8,
        bodies: [
          { kind: 'fixed', position: [0, 5, 0] },
          { position: [1, 5, 0], colliders: [{ shape: 'ball', radius: 0.1 }] },
        ],
        // Horizontal arm of 1 m about z; −0.5 rad is as far down as it may turn.
        joints: [
          { kind: 'revolute', body1: 0, body2: 1, anchor2: [-1, 0, 0], axis: [0, 0, 1], limits: [-0.5, 0.5] },
        ],
      },
      Math.round(2 / DT),
      1,
    );
    const [x, y] = path.at(-1)!;
    const angle = Math.atan2(y - 5, x);
    expect(angle).toBeGreaterThan(-0.55);
    expect(angle).toBeLessThan(-0.45);
  });
});
