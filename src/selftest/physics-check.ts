/**
 * physicsGolden: every named physics scene (src/capsules/physics/vectors) run for its golden step count on
 * the pool's Workers (all three at once, so both workers take some), in this real
 * Chromium: the Rapier wasm inlined in the bundle must load under the extension's CSP and reproduce
 * the state hashes committed from Node, bit for bit.
 */
import goldenText from '../capsules/physics/vectors/golden.json?raw';
import jointsText from '../capsules/physics/vectors/scenes/joints.json?raw';
import shapesText from '../capsules/physics/vectors/scenes/shapes.json?raw';
import towerText from '../capsules/physics/vectors/scenes/tower.json?raw';
import { OFFSET } from '../capsules/physics/state-layout.ts';
import { toHex } from './_stats.ts';
import type { SelfTestHost } from './host.ts';

const SCENES: Record<string, string> = { tower: towerText, shapes: shapesText, joints: jointsText };

export interface PhysicsRun {
  scene: string;
  worker: number;
  status: string;
  error: string;
  stateHash: string;
  expected: string;
}

export interface PhysicsGoldenResult {
  rapierSteps: number;
  runs: PhysicsRun[];
}

export async function physicsGolden(host: SelfTestHost): Promise<PhysicsGoldenResult> {
  const golden = JSON.parse(goldenText) as {
    steps: number;
    scenes: Record<string, { stateHash: string }>;
  };
  const { engine } = await host.engine();
  // All three at once over the two workers: each worker runs at least one scene (the Node unit test
  // runs every scene on every worker; here the point is the browser's wasm and CSP, kept short).
  const runs = await Promise.all(
    Object.entries(SCENES).map(async ([name, text]): Promise<PhysicsRun> => {
      const params = JSON.stringify({ scene: JSON.parse(text) as unknown, steps: golden.steps });
      const o = await engine.submit({ library: 'physics', method: 'simulate', params, budget: 300_000 });
      return {
        scene: name,
        worker: o.worker,
        status: o.status,
        error: o.error,
        stateHash: o.status === 'ok' ? toHex(o.output.subarray(OFFSET.stateHash, OFFSET.stateHash + 32)) : '',
        expected: golden.scenes[name]?.stateHash ?? '(no golden hash)',
      };
    }),
  );
  return { rapierSteps: golden.steps, runs };
}
