import { describe, expect, it } from 'vitest';
import { BadInputError, JobStopped, type JobContext } from '../../../src/capsules/capsule.ts';
import { powCapsule } from '../../../src/capsules/pow/capsule.ts';
import { BLOCK_VECTORS } from '../../../src/capsules/pow/vectors.ts';

function ctx(checkpoint: () => void = () => undefined): JobContext {
  return {
    input: new Uint8Array(0),
    output: () => {
      throw new Error('pow returns its output');
    },
    checkpoint,
    costSoFar: 0,
    services: {},
  };
}

const decode = (bytes: Uint8Array | void): unknown =>
  JSON.parse(new TextDecoder().decode(bytes as Uint8Array));

describe('pow capsule (engine contract)', () => {
  const v = BLOCK_VECTORS[1]!;
  const header = v.header.slice(0, 152) + '00000000';

  it('search returns the result as JSON bytes', async () => {
    const params = powCapsule.methods['search']!.params.parse({
      header,
      nonceStart: v.nonce - 10,
      count: 100,
      bits: v.bits,
    });
    const out = await powCapsule.methods['search']!.run(ctx(), params);
    expect(decode(out)).toEqual({ found: true, nonce: v.nonce, hash: v.hash, hashes: 11, stopped: null });
  });

  it('verify returns {valid, hash}', async () => {
    const out = await powCapsule.methods['verify']!.run(ctx(), { header: v.header, bits: v.bits });
    expect(decode(out)).toEqual({ valid: true, hash: v.hash });
  });

  it('turns validation errors into BadInputError with the field named', async () => {
    const run = powCapsule.methods['search']!.run(ctx(), {
      header,
      nonceStart: 0,
      count: 1,
      bits: 0x04923456,
    });
    await expect(run).rejects.toBeInstanceOf(BadInputError);
    await expect(
      powCapsule.methods['search']!.run(ctx(), { header, nonceStart: 0, count: 1, bits: 0x04923456 }),
    ).rejects.toThrow(/bits.*sign bit/);
    expect(() => powCapsule.methods['verify']!.run(ctx(), { header: 'ab' })).toThrow(BadInputError);
  });

  it('the schemas refuse unknown keys', () => {
    expect(powCapsule.methods['verify']!.params.safeParse({ header: v.header, nonce: 1 }).success).toBe(
      false,
    );
  });

  it('checkpoints between batches, so JobStopped ends a long search', async () => {
    let calls = 0;
    const stopping = ctx(() => {
      if (++calls > 5) throw new JobStopped('cancelled');
    });
    const params = { header: 'ab'.repeat(80), nonceStart: 0, count: 2 ** 32, target: '0'.repeat(63) + '1' };
    await expect(powCapsule.methods['search']!.run(stopping, params)).rejects.toBeInstanceOf(JobStopped);
    expect(calls).toBe(6);
  });
});

describe('pow capsule on a GPU service', () => {
  const v = BLOCK_VECTORS[1]!;
  const header = v.header.slice(0, 152) + '00000000';
  const params = () =>
    powCapsule.methods['search']!.params.parse({
      header,
      nonceStart: v.nonce - 10,
      count: 100,
      bits: v.bits,
    });

  it('uses the GPU searcher the host offers, checking in between its batches', async () => {
    let checkpoints = 0;
    const gpu = {
      search: async (_job: unknown, opts: { shouldStop: () => boolean }) => {
        opts.shouldStop();
        return { found: true, nonce: v.nonce, hash: v.hash, hashes: 11, stopped: null };
      },
    };
    const c = { ...ctx(() => void checkpoints++), services: { powGpu: async () => gpu } };
    expect(decode(await powCapsule.methods['search']!.run(c, params()))).toMatchObject({
      found: true,
      backend: 'gpu',
    });
    expect(checkpoints).toBe(1);
  });

  it('stops the GPU search when a checkpoint says so, with the same JobStopped', async () => {
    const gpu = {
      search: async (_j: unknown, o: { shouldStop: () => boolean }) => ({
        found: false,
        stopped: o.shouldStop() ? 'cancelled' : null,
      }),
    };
    const c = {
      ...ctx(() => {
        throw new JobStopped('budget');
      }),
      services: { powGpu: async () => gpu },
    };
    await expect(powCapsule.methods['search']!.run(c, params())).rejects.toBeInstanceOf(JobStopped);
  });

  it('finishes the job on the CPU when the device is lost', async () => {
    const { GpuDeviceLostError } = await import('../../../src/capsules/pow/search-gpu.ts');
    const gpu = {
      search: async () => {
        throw new GpuDeviceLostError('unknown', 'gone');
      },
    };
    const c = { ...ctx(), services: { powGpu: async () => gpu } };
    expect(decode(await powCapsule.methods['search']!.run(c, params()))).toEqual({
      found: true,
      nonce: v.nonce,
      hash: v.hash,
      hashes: 11,
      stopped: null,
    });
  });

  it('stays on the CPU when the host offers no GPU', async () => {
    const c = { ...ctx(), services: { powGpu: async () => null } };
    expect(decode(await powCapsule.methods['search']!.run(c, params()))).toMatchObject({
      found: true,
      nonce: v.nonce,
    });
  });
});
