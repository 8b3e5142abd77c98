/**
 * `npm run bench:physics`: ms per step for two 1000-body scenes on one thread, written to
 * bench/results/physics.json:
 *  - `pile`: 1000 dynamic 1 m cubes stacked 10 × 10 × 10 on a ground slab (all in contact);
 *  - `spheres`: 1000 balls falling from a 10 × 10 × 10 grid onto the ground (they land mid-run).
 * For each scene, in this same run and thread, interleaved round by round:
 *  - capsule: a whole `physics.simulate` job through the engine's execute() (params parsing, scene
 *    checks, build, per-step checkpoint and memory check, snapshot, BLAKE3, state bundle);
 *  - direct: the same Rapier build and instance called directly (build, the same steps, snapshot);
 *  - simd: @dimforge/rapier3d-simd-compat (0.20.0, another determinism domain) called directly, for
 *    reference.
 * ms/step = the whole job's (or direct run's) time / steps; the best of ROUNDS rounds is kept (other
 * processes only ever slow a sample down) and every sample is in the json. overhead = capsule/direct − 1.
 * Env: PHYSICS_BENCH_STEPS (default 200), PHYSICS_BENCH_ROUNDS (default 3).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { execute } from '../../src/engine/execute.ts';
import { CapsuleRegistry } from '../../src/engine/registry.ts';
import {
  buildWorld,
  loadRapier,
  normalizeScene,
  physicsCapsule,
  type SceneJson,
} from '../../src/capsules/physics/index.ts';

const STEPS = Number(process.env['PHYSICS_BENCH_STEPS'] ?? 200);
const ROUNDS = Number(process.env['PHYSICS_BENCH_ROUNDS'] ?? 3);
const root = join(import.meta.dirname, '..', '..');

type V3 = [number, number, number];
const ground = {
  kind: 'fixed' as const,
  colliders: [{ shape: 'cuboid' as const, halfExtents: [40, 0.5, 40] as V3 }],
};
const grid = (f: (i: number, j: number, k: number) => SceneJson['bodies'][number]) =>
  Array.from({ length: 1000 }, (_, n) => f(n % 10, Math.floor(n / 100), Math.floor(n / 10) % 10));

const SCENES: Record<string, SceneJson> = {
  pile: {
    bodies: [
      ground,
      ...grid((i, j, k) => ({
        position: [i * 1.001 - 5, 1.001 + j * 1.001, k * 1.001 - 5],
        colliders: [{ shape: 'cuboid', halfExtents: [0.5, 0.5, 0.5] }],
      })),
    ],
  },
  spheres: {
    bodies: [
      ground,
      ...grid((i, j, k) => ({
        position: [i * 2 - 9 + 0.1 * j, 3 + j * 2, k * 2 - 9 + 0.1 * j],
        colliders: [{ shape: 'ball', radius: 0.5 }],
      })),
    ],
  },
};

const registry = new CapsuleRegistry([physicsCapsule]);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function capsuleRun(scene: SceneJson): Promise<number> {
  const params = JSON.stringify({ scene, steps: STEPS });
  const t0 = performance.now();
  const r = await execute(registry, {
    library: 'physics',
    method: 'simulate',
    params,
    input: new Uint8Array(0),
    budget: physicsCapsule.limits.costCap,
    deadlineMs: 0,
    allocOutput: (n) => new Uint8Array(n),
    cancelled: () => false,
    clock: () => performance.now(),
    wallClock: () => Date.now(),
  });
  const ms = performance.now() - t0;
  if (r.status !== 'ok') throw new Error(`capsule run failed: ${r.status}: ${r.error}`);
  return ms / STEPS;
}

async function directRun(scene: SceneJson): Promise<number> {
  const rapier = await loadRapier();
  const normal = normalizeScene(scene); // outside the timing: the direct caller has its world spec
  const t0 = performance.now();
  const world = buildWorld(rapier, normal);
  for (let i = 0; i < STEPS; i++) world.step();
  world.takeSnapshot();
  world.free();
  return (performance.now() - t0) / STEPS;
}

type Simd = typeof import('@dimforge/rapier3d-simd-compat');
async function simdRun(S: Simd, scene: SceneJson): Promise<number> {
  const spec = normalizeScene(scene);
  const t0 = performance.now();
  const world = new S.World({ x: 0, y: -9.81, z: 0 });
  for (const b of spec.bodies) {
    const body = world.createRigidBody(
      (b.kind === 'fixed' ? S.RigidBodyDesc.fixed() : S.RigidBodyDesc.dynamic())
        .setTranslation(...b.position)
        .setCanSleep(false),
    );
    for (const c of b.colliders)
      world.createCollider(
        c.shape === 'ball'
          ? S.ColliderDesc.ball(c.radius)
          : S.ColliderDesc.cuboid(...(c as { halfExtents: V3 }).halfExtents),
        body,
      );
  }
  for (let i = 0; i < STEPS; i++) world.step();
  world.takeSnapshot();
  world.free();
  return (performance.now() - t0) / STEPS;
}

const load0 = loadavg()[0]!;
const S: Simd = await import('@dimforge/rapier3d-simd-compat');
await S.init();
const { R } = await loadRapier();
const results: Record<string, unknown> = {};
const table: Array<Record<string, string | number>> = [];
for (const [name, scene] of Object.entries(SCENES)) {
  // Warm-up: compile every path once.
  await capsuleRun(scene);
  await directRun(scene);
  await simdRun(S, scene);
  const samples = { capsule: [] as number[], direct: [] as number[], simd: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    samples.capsule.push(await capsuleRun(scene));
    samples.direct.push(await directRun(scene));
    samples.simd.push(await simdRun(S, scene));
  }
  const best = (xs: number[]) => Math.min(...xs);
  const capsule = best(samples.capsule);
  const direct = best(samples.direct);
  const simd = best(samples.simd);
  results[name] = {
    capsule_ms_per_step: round(capsule),
    direct_ms_per_step: round(direct),
    capsule_overhead_pct: round((capsule / direct - 1) * 100, 1),
    simd_ms_per_step: round(simd),
    simd_speedup_vs_direct: round(direct / simd, 2),
    samples_ms_per_step: {
      capsule: samples.capsule.map((x) => round(x)),
      direct: samples.direct.map((x) => round(x)),
      simd: samples.simd.map((x) => round(x)),
    },
  };
  table.push({
    scene: name,
    'capsule ms/step': round(capsule),
    'direct ms/step': round(direct),
    'overhead %': round((capsule / direct - 1) * 100, 1),
    'simd ms/step': round(simd),
  });
}
const out = {
  ...results,
  goal: 'capsule_overhead_pct ≤ 5',
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_1m_before_after: [round(load0, 2), round(loadavg()[0]!, 2)],
    steps_per_sample: STEPS,
    rounds: ROUNDS,
    thread: 'one (the bench process main thread); capsule and direct share one Rapier instance',
    builds: {
      deterministic: `@dimforge/rapier3d-deterministic-compat ${R.version()}`,
      simd: `@dimforge/rapier3d-simd-compat ${S.version()}`,
    },
  },
};
console.table(table);
writeFileSync(join(root, 'bench', 'results', 'physics.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/physics.json');
