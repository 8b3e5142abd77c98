/**
 * Determinism of the physics capsule: the committed golden state hashes (src/capsules/physics/vectors,
 * 10,000 steps) on this thread and in every worker of the Node engine; the same scene as JSON and
 * as Cap'n Proto is the same scene; and simulate(N) equals step(k) then step(N − k), bit for bit.
 * (tests/e2e/browser-engine.e2e.test.ts checks the same golden hashes in Chromium's Workers.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeEngine, type NodeEngine } from '../../../../src/cli/node-engine.ts';
import {
  decodeState,
  encodeSceneCapnp,
  normalizeScene,
  sceneId,
  snapshotOffset,
} from '../../../../src/capsules/physics/index.ts';
import { prng, seedFromEnv } from '../../_prng.ts';
import { SCENE_NAMES, golden, hex, namedScene, ok } from './_run.ts';

const SEED = seedFromEnv(0x9e11_0011);
const LONG = 600_000;

describe('golden scenes, 10,000 steps', () => {
  const g = golden();

  it('has a golden hash for every named scene, made with the Rapier build in use', async () => {
    expect(Object.keys(g.scenes).sort()).toEqual([...SCENE_NAMES].sort());
    expect(g.steps).toBe(10_000);
    const { loadRapier } = await import('../../../../src/capsules/physics/index.ts');
    expect((await loadRapier()).R.version()).toBe(g.rapier);
  });

  it.each(SCENE_NAMES)('%s: the scene id is the BLAKE3 of its canonical JSON', (name) => {
    expect(hex(sceneId(normalizeScene(namedScene(name))))).toBe(g.scenes[name]!.sceneId);
  });

  describe('in every worker of the Node engine (worker_threads)', () => {
    let h: NodeEngine;
    beforeAll(async () => {
      h = startNodeEngine({ workers: 2, storeDir: null });
      await h.ready(60_000);
    }, 90_000);
    afterAll(() => h?.dispose());

    it(
      'each scene, once on each worker, gives its golden hash',
      async () => {
        const seen = new Map<string, Set<number>>();
        for (const name of SCENE_NAMES) {
          // Two at once on two idle workers: one each.
          const params = JSON.stringify({ scene: namedScene(name), steps: g.steps });
          const outs = await Promise.all(
            [0, 1].map(() =>
              h.engine.submit({ library: 'physics', method: 'simulate', params, budget: 300_000 }),
            ),
          );
          for (const o of outs) {
            expect(o.status, o.error).toBe('ok');
            const s = decodeState(o.output, () => {});
            expect(hex(s.stateHash), `${name} on worker ${o.worker}`).toBe(g.scenes[name]!.stateHash);
            (seen.get(name) ?? seen.set(name, new Set()).get(name)!).add(o.worker);
          }
        }
        for (const name of SCENE_NAMES) expect([...seen.get(name)!].sort(), name).toEqual([0, 1]);
      },
      LONG,
    );
  });
});

describe('one scene, two encodings', () => {
  it.each(SCENE_NAMES)(
    '%s as Cap’n Proto input is the same scene and the same state as JSON',
    async (name) => {
      const scene = normalizeScene(namedScene(name));
      const capnp = encodeSceneCapnp(scene);
      const fromJson = await ok('simulate', { scene: namedScene(name), steps: 120 });
      const fromCapnp = await ok('simulate', { steps: 120 }, capnp);
      expect(hex(fromCapnp)).toBe(hex(fromJson));
    },
  );
});

describe('simulate(N) = step(k) + step(N − k), bit for bit', () => {
  it.each(['tower', 'shapes', 'joints'] as const)(
    '%s, with a seeded split point and trajectories',
    async (name) => {
      const rnd = prng(SEED ^ name.length);
      const N = 480;
      const every = 1 + Math.floor(rnd() * 40);
      const k = 1 + Math.floor(rnd() * (N - 1));
      const whole = decodeState(
        await ok('simulate', { scene: namedScene(name), steps: N, trajectoryEvery: every }),
        () => {},
      );
      const firstBytes = await ok('simulate', { scene: namedScene(name), steps: k, trajectoryEvery: every });
      const secondBytes = await ok('step', { steps: N - k, trajectoryEvery: every }, firstBytes);
      const first = decodeState(firstBytes, () => {});
      const second = decodeState(secondBytes, () => {});
      const where = `seed ${SEED}, k ${k}, every ${every}`;
      expect(second.step, where).toBe(N);
      expect(hex(second.stateHash), where).toBe(hex(whole.stateHash));
      expect(hex(second.snapshot), where).toBe(hex(whole.snapshot));
      expect(Buffer.from(second.transforms.buffer).equals(Buffer.from(whole.transforms.buffer)), where).toBe(
        true,
      );
      // The two trajectories together are the whole one.
      expect(first.frames + second.frames, where).toBe(whole.frames);
      const joined = new Float32Array([...first.trajectory, ...second.trajectory]);
      expect(Buffer.from(joined.buffer).equals(Buffer.from(whole.trajectory.buffer)), where).toBe(true);
      // step(0) is the identity on the state.
      const same = await ok('step', { steps: 0 }, secondBytes);
      expect(hex(same.subarray(snapshotOffset(decodeState(same, () => {}))))).toBe(hex(second.snapshot));
    },
    LONG,
  );
});
