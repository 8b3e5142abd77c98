/**
 * `ml.infer` with the model by BLAKE3 chunk address in the extension itself (test build): the model
 * of tests/unit/ml/infer-chunk (y = x·w + b, written as ONNX in the test) goes into the offscreen
 * document's chunk store with a `storage.put` job, then an `infer` job on a pool worker reads it by
 * address through the worker's store port. Its output must be byte-identical to the same inference
 * in Node (model inline) and to x·w + b in f32; a model address the store lacks is a clear bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/capsules/capsule';
import { mlCapsule, readNpy, writeNpy } from '../../src/capsules/ml/index';
import { nodeModels, useNodeOrt } from '../../src/cli/node-models';
import { prng, seedFromEnv } from '../unit/_prng';
import { affineModel } from '../unit/ml/_onnx';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';

const SEED = seedFromEnv(1207);
const N = 2048;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

let ext: ExtensionUnderTest;

function job(library: 'storage' | 'ml', method: string, params: unknown, input: Uint8Array) {
  return ext.askOffscreen('test/storage-job', {
    library,
    method,
    params: JSON.stringify(params),
    inputB64: b64(input),
  });
}

async function inNode(model: Uint8Array, xNpy: Uint8Array): Promise<Uint8Array> {
  const input = Uint8Array.from([...model, ...xNpy]);
  const ctx: JobContext = {
    input,
    output: () => new Uint8Array(0),
    checkpoint: () => undefined,
    costSoFar: 0,
    services: { mlModel: nodeModels },
  };
  const m = mlCapsule.methods['infer']!;
  return (await m.run(ctx, m.params.parse({ modelBytes: model.length }))) as Uint8Array;
}

beforeAll(async () => {
  useNodeOrt();
  ext = await launchExtension({ testBuild: true });
  // No local proof-of-work slices: the worker stays free for the jobs under test.
  await ext.ask('settings/set', { optOut: ['pow'], active: { workers: 1, dutyPercent: 100 } });
  await ext.ask('contribute/set', { on: true });
  await waitFor(
    () => ext.ask('status/get'),
    (s) => s.phase === 'running' && s.host.workersAlive >= 1,
    { timeoutMs: 60_000, what: 'the host running its workers' },
  );
}, 120_000);

afterAll(async () => {
  await ext?.close();
});

describe(`ml.infer by chunk address in the extension's workers (SEED=${SEED})`, () => {
  it('storage.put the model, infer by its address: same bytes as Node and x·w + b', async () => {
    const r = prng(SEED);
    const w = Float32Array.from({ length: N }, () => r() * 4 - 2);
    const b = Float32Array.from({ length: N }, () => r() * 4 - 2);
    const x = Float32Array.from({ length: N }, () => r() * 4 - 2);
    const model = affineModel(w, b);
    const xNpy = writeNpy('float32', [N], new Uint8Array(x.buffer));

    // Small chunks, so the model is a manifest and several chunks, each verified on read.
    const put = await job('storage', 'put', { chunkSize: 4096 }, model);
    expect(put.error).toBe('');
    expect(put.status).toBe('ok');
    const address = Buffer.from(put.outputB64, 'base64').toString('hex');
    expect(address).toMatch(/^[0-9a-f]{64}$/);

    const got = await job('ml', 'infer', { model: address }, xNpy);
    expect(got.error).toBe('');
    expect(got.status).toBe('ok');
    const out = new Uint8Array(Buffer.from(got.outputB64, 'base64'));
    expect(b64(out)).toBe(b64(await inNode(model, xNpy)));
    const y = readNpy(out);
    expect(y).toMatchObject({ type: 'float32', shape: [N] });
    const f = new Float32Array(y.data.slice().buffer);
    for (let i = 0; i < N; i++) expect(f[i], `y[${i}]`).toBe(Math.fround(Math.fround(x[i]! * w[i]!) + b[i]!));

    const missing = '0'.repeat(64);
    const bad = await job('ml', 'infer', { model: missing }, xNpy);
    expect(bad.status).toBe('badInput');
    expect(bad.error).toMatch(new RegExp(`model ${missing}: no chunk with address`));
  }, 180_000);
});
