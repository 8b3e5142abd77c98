/**
 * `inos run physics …` end to end on the Node engine (a worker thread): simulate from a scene file
 * prints the state hash and writes the bundle and its parts; step continues from it; hostile
 * requests exit 2; a run that outlives its budget exits 3.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunCommand } from '../../../../src/cli/commands/run.ts';
import { memoryIo } from '../../../../src/cli/io.ts';
import { main } from '../../../../src/cli/main.ts';
import { startNodeEngine, type NodeEngine } from '../../../../src/cli/node-engine.ts';
import { CommandRegistry } from '../../../../src/cli/registry.ts';
import { decodeState, TRANSFORM_BYTES } from '../../../../src/capsules/physics/index.ts';
import { hex, namedScene } from './_run.ts';

let work: string;
let engine: NodeEngine;
let registry: CommandRegistry;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-physics-'));
  engine = startNodeEngine({ workers: 1, storeDir: null });
  registry = new CommandRegistry([
    createRunCommand(() => ({
      engine: engine.engine,
      ready: (ms) => engine.ready(ms),
      dispose: async () => {},
    })),
  ]);
  await engine.ready(60_000);
}, 90_000);
afterAll(async () => {
  await engine?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function inos(argv: string[]) {
  const io = memoryIo();
  const status = await main(['run', 'physics', ...argv], io, registry);
  return { status, text: io.stdoutText(), stderr: io.stderr() };
}

describe('inos run physics', () => {
  it('simulate --params @scene.json prints the state hash and writes the bundle and its parts; step goes on from it', async () => {
    const params = join(work, 'scene.json');
    writeFileSync(params, JSON.stringify({ scene: namedScene('joints'), steps: 120, trajectoryEvery: 30 }));
    const out = join(work, 'state.bin');
    const r = await inos(['simulate', '--params', `@${params}`, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const state = decodeState(readFileSync(out), () => {});
    expect(r.text).toBe(`state ${hex(state.stateHash)}  step 120  bodies 12  scene ${hex(state.sceneId)}\n`);
    expect(readFileSync(`${out}.snapshot.bin`).equals(Buffer.from(state.snapshot))).toBe(true);
    const transforms = readFileSync(`${out}.transforms.f32`);
    expect(transforms.length).toBe(12 * TRANSFORM_BYTES);
    // Little-endian f32, body order: body 0 is the fixed beam at (0, 10, 0).
    expect([0, 1, 2].map((i) => transforms.readFloatLE(4 * i))).toEqual([0, 10, 0]);
    expect(readFileSync(`${out}.trajectory.f32`).length).toBe(4 * 12 * TRANSFORM_BYTES);

    const next = join(work, 'next.bin');
    const s = await inos(['step', '--params', '{"steps":30}', '--in', out, '--out', next]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.text).toMatch(/^state [0-9a-f]{64}  step 150  bodies 12 {2}scene /);
  }, 120_000);

  it('exits 2 with the field named for a hostile scene, and 3 when the budget runs out', async () => {
    const bad = await inos([
      'simulate',
      '--params',
      '{"steps":1,"scene":{"bodies":[{"colliders":[{"shape":"ball","radius":-1}]}]}}',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /bad input: scene: bodies\[0\]\.colliders\[0\]\.radius must be a finite number/,
    );
    const tooBig = join(work, 'million.json');
    writeFileSync(
      tooBig,
      JSON.stringify({ steps: 1, scene: { bodies: Array.from({ length: 1_000_000 }, () => ({})) } }),
    );
    const million = await inos(['simulate', '--params', `@${tooBig}`]);
    expect(million.status).toBe(2);
    expect(million.stderr).toMatch(/params are at most 1048576 bytes/);
    const long = await inos([
      'simulate',
      '--budget',
      '50',
      '--params',
      JSON.stringify({ scene: namedScene('tower'), steps: 1_000_000 }),
    ]);
    expect(long.status, long.stderr).toBe(3);
    expect(long.stderr).toMatch(/budget exhausted/);
  }, 120_000);
});
