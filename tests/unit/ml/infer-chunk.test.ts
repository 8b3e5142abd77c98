/**
 * `ml.infer` with the model given by BLAKE3 chunk address: a small ONNX model written in the test
 * (tests/unit/ml/_onnx.ts) is stored with `storage`'s ChunkStore in a directory (the CLI's store),
 * then run by address; the outputs match the inline-bytes form and y = x·w + b in f32. Also: an
 * unknown address, a store-less host, a tampered chunk, a blob over the size limit, and both/neither
 * of modelBytes and model are refused with errors that say what is allowed.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, type JobContext } from '../../../src/capsules/capsule.ts';
import { MAX_MODEL_BYTES, mlCapsule, readNpy, writeNpy } from '../../../src/capsules/ml/index.ts';
import type { ChunkStore } from '../../../src/capsules/storage/chunk-store.ts';
import { openDirChunkStore } from '../../../src/capsules/storage/open-dir-store.ts';
import { nodeModels, useNodeOrt } from '../../../src/cli/node-models.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { affineModel } from './_onnx.ts';

useNodeOrt();
const SEED = seedFromEnv(1207);
const N = 2048;

function ctx(input: Uint8Array, chunkStore?: ChunkStore): JobContext {
  return {
    input,
    output: () => {
      throw new Error('ml returns its output');
    },
    checkpoint: () => undefined,
    costSoFar: 0,
    services: { mlModel: nodeModels, ...(chunkStore ? { chunkStore } : {}) },
  };
}

async function infer(params: unknown, input: Uint8Array, store?: ChunkStore): Promise<Uint8Array> {
  const m = mlCapsule.methods['infer']!;
  return (await m.run(ctx(input, store), m.params.parse(params))) as Uint8Array;
}

const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);

describe('ml.infer with the model by BLAKE3 chunk address', () => {
  let dir = '';
  let store: ChunkStore;
  const r = prng(SEED);
  const w = Float32Array.from({ length: N }, () => r() * 4 - 2);
  const b = Float32Array.from({ length: N }, () => r() * 4 - 2);
  const x = Float32Array.from({ length: N }, () => r() * 4 - 2);
  const model = affineModel(w, b);
  const xNpy = writeNpy('float32', [N], new Uint8Array(x.buffer));

  beforeAll(async () => {
    console.info(`infer-chunk seed ${SEED} (SEED=… to replay)`);
    dir = await mkdtemp(join(tmpdir(), 'inos-ml-store-'));
    store = await openDirChunkStore({ dir, quotaBytes: 64 << 20 });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a stored model (several chunks) and matches the inline form and x·w + b', async () => {
    const address = await store.putBlob(model, { chunkSize: 4096 });
    expect(model.length).toBeGreaterThan(4 * 4096); // a manifest and five chunks, each verified on read
    const byRef = await infer({ model: address.toUpperCase() }, xNpy, store);
    const inline = await infer({ modelBytes: model.length }, Uint8Array.from([...model, ...xNpy]));
    expect(byRef).toEqual(inline);
    const y = readNpy(byRef);
    expect(y).toMatchObject({ type: 'float32', shape: [N] });
    const got = f32(y.data);
    for (let i = 0; i < N; i++)
      expect(got[i], `y[${i}]`).toBe(Math.fround(Math.fround(x[i]! * w[i]!) + b[i]!));
  });

  it('refuses an unknown address, a host without a store, and both or neither form', async () => {
    const missing = 'ab'.repeat(32);
    await expect(infer({ model: missing }, xNpy, store)).rejects.toThrow(
      new RegExp(`model ${missing}: no chunk with address`),
    );
    await expect(infer({ model: missing }, xNpy)).rejects.toThrow(/has no chunk store.*modelBytes/);
    const params = mlCapsule.methods['infer']!.params;
    expect(() => params.parse({ model: 'not-hex' })).toThrow(/64 hex digits/);
    expect(() => params.parse({})).toThrow(/exactly one of modelBytes .* or model/);
    expect(() => params.parse({ model: missing, modelBytes: 10 })).toThrow(/exactly one/);
  });

  it('refuses a model whose stored chunk was altered (BLAKE3 check), and keeps working', async () => {
    const own = await mkdtemp(join(tmpdir(), 'inos-ml-tamper-'));
    const s = await openDirChunkStore({ dir: own, quotaBytes: 1 << 20 });
    try {
      const address = await s.putBlob(model);
      const files: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true }))
          if (e.isDirectory()) await walk(join(d, e.name));
          else files.push(join(d, e.name));
      };
      await walk(join(own, 'chunks'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const bytes = new Uint8Array(await readFile(f));
        bytes[bytes.length >> 1]! ^= 0x40;
        await writeFile(f, bytes);
      }
      await expect(infer({ model: address }, xNpy, s)).rejects.toThrow(/corrupt/);
      // The same capsule still runs a good stored model afterwards.
      const good = await store.putBlob(model);
      expect(readNpy(await infer({ model: good }, xNpy, store)).shape).toEqual([N]);
    } finally {
      await s.close();
      await rm(own, { recursive: true, force: true });
    }
  });

  it(`refuses a stored blob over ${MAX_MODEL_BYTES} bytes before reading its chunks`, async () => {
    const big = new Uint8Array(MAX_MODEL_BYTES + 1);
    const address = await store.putBlob(big, { chunkSize: 16 << 20 });
    expect((await stat(dir)).isDirectory()).toBe(true);
    const err = await infer({ model: address }, xNpy, store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect(String(err)).toMatch(new RegExp(`is ${MAX_MODEL_BYTES + 1} bytes; at most ${MAX_MODEL_BYTES}`));
  });
});
