/**
 * The shader capsule on a real WebGPU implementation: Dawn's Node bindings (Vulkan, or Mesa llvmpipe
 * through OpenGL ES here). Known-answer kernels must match their CPU references; hostile WGSL must
 * end as a clear bad-input error, after which the same provider serves the next job correctly.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError, type JobContext } from '../../../src/capsules/capsule.ts';
import {
  compareShaderOutputs,
  executeParams,
  gpuDeviceProvider,
  matmulJob,
  planPasses,
  prefixSumJob,
  reflectShader,
  runOnDevice,
  shaderCapsule,
  SHADER_LIMITS,
  vectorAddJob,
  type KernelJob,
} from '../../../src/capsules/shader/index.ts';
import { startNodeEngine } from '../../../src/cli/node-engine.ts';
import { need } from '../../_tools.ts';
import { testGpu } from '../pow/_gpu.ts';

const gpu = await testGpu();
const haveGpu = need('a WebGPU adapter from Dawn (vulkan or opengles)', gpu !== null, 'shader GPU tests');
const gpuDevice = gpu ? gpuDeviceProvider(() => gpu.instance, gpu.options) : async () => null;

function ctx(input: Uint8Array): JobContext {
  return {
    input,
    output: () => {
      throw new Error('shader returns its output');
    },
    checkpoint: () => undefined,
    costSoFar: 0,
    services: { gpuDevice },
  };
}

async function execute(params: unknown, input: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
  const p = shaderCapsule.methods['execute']!.params.parse(params);
  return (await shaderCapsule.methods['execute']!.run(ctx(input), p)) as Uint8Array;
}

const check = async (job: KernelJob) => {
  const out = await execute(job.params, job.input);
  const verdict = compareShaderOutputs(out, job.expected, job.params.output);
  expect(verdict, `${job.name}: max |diff| ${verdict.maxAbsDiff}`).toMatchObject({ agree: true });
};

describe.skipIf(!haveGpu)(`shader capsule on ${gpu?.name ?? 'no adapter'}`, () => {
  it('vector add (u32) is exact', () => check(vectorAddJob(1000)));
  it('prefix sum (u32, three passes, barriers in loops) is exact', () => check(prefixSumJob(5000)));
  it('matrix multiply (f32) is within its tolerance', () => check(matmulJob(64)));

  it('slices a dispatch that declares inos_offset into several submissions', async () => {
    const job = matmulJob(128);
    const device = (await gpuDevice())!;
    const passes = planPasses(reflectShader(job.params.code), job.params.buffers, job.params.passes);
    // First slices of 2048 invocations (one column of 8 workgroups), so 8 columns take > 1 submission.
    const report = await runOnDevice(device, job.params.code, {
      buffers: job.params.buffers,
      passes,
      input: job.input,
      loopSteps: 1 << 16,
      firstSliceInvocations: 2048,
    });
    expect(report.submissions).toBeGreaterThan(1);
    expect(compareShaderOutputs(report.output, job.expected, job.params.output).agree).toBe(true);
  });

  it('splits by workgroup rows a dispatch whose single submission would pass the 1 s limit; output exact', async () => {
    // A slow adapter stands in as a clock that charges 1 ms per workgroup submitted (no real timing):
    // 4 × 1024 workgroups = 4096 ms as one submission, 1024 ms as one column, so only row slices fit.
    const [gx, gy] = [4, 1024];
    const code = (offset: string) => `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(1) @binding(0) var<uniform> inos_offset: vec3u;
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let g = ${offset};
  let i = (g.y * 8u + lid.y) * ${gx * 8}u + g.x * 8u + lid.x;
  out[i] = out[i] + ((i * 2654435761u) ^ (g.y << 8u) ^ g.x);
}`;
    const size = gx * gy * 64 * 4;
    const params = {
      buffers: [{ binding: 0, size, init: 'zero' as const, read: true }],
      passes: [{ entryPoint: 'main', dispatch: [gx, gy] }],
    };
    const run = async (wgsl: string) => {
      let clock = 0;
      const costs: number[] = [];
      const passes = planPasses(reflectShader(wgsl), params.buffers, params.passes);
      const report = await runOnDevice((await gpuDevice())!, wgsl, {
        ...params,
        passes,
        input: new Uint8Array(0),
        loopSteps: 1 << 16,
        now: () => clock,
        onSubmitted: (g) => {
          costs.push(g[0] * g[1] * g[2]);
          clock += g[0] * g[1] * g[2];
        },
      });
      return { report, costs, passes };
    };
    const expected = new Uint32Array(gx * gy * 64);
    for (let gyi = 0; gyi < gy; gyi++)
      for (let gxi = 0; gxi < gx; gxi++)
        for (let ly = 0; ly < 8; ly++)
          for (let lx = 0; lx < 8; lx++) {
            const i = (gyi * 8 + ly) * gx * 8 + gxi * 8 + lx;
            expected[i] = (Math.imul(i, 2654435761) ^ (gyi << 8) ^ gxi) >>> 0;
          }

    const rows = await run(code('wid + inos_offset'));
    expect(rows.passes[0]!.entry.sliceRows).toBe(true);
    expect(rows.costs.reduce((a, b) => a + b, 0)).toBe(gx * gy);
    expect(Math.max(...rows.costs)).toBeLessThanOrEqual(SHADER_LIMITS.sliceTargetMs * 4);
    expect(rows.report.submissions).toBeGreaterThan((gx * gy) / 1000);
    expect(new Uint32Array(rows.report.output.slice().buffer)).toEqual(expected);

    // The same kernel unsliced, and sliced by columns only (it reads only inos_offset.x), exceed it.
    const whole = code('wid');
    await expect(run(whole)).rejects.toThrow(/ran longer than 1000 ms, so the device was reset/);
    const columns = code('vec3u(wid.x + inos_offset.x, wid.y, 0u)');
    expect(reflectShader(columns).entryPoints[0]!.sliceRows).toBe(false);
    await expect(run(columns)).rejects.toThrow(/ran longer than 1000 ms/);
    await check(vectorAddJob(200, 11));
  });

  it('an endless loop stops at loopSteps with a clear error; the next job runs', async () => {
    const code = `@group(0) @binding(0) var<storage, read_write> x: array<atomic<u32>>;
@compute @workgroup_size(64) fn main() { loop { if (atomicAdd(&x[0], 1u) == 0xffffffffu && atomicLoad(&x[1]) == 7u) { break; } } }`;
    const params = { code, buffers: [{ binding: 0, size: 8 }], passes: [{ dispatch: [4] }], loopSteps: 1000 };
    await expect(execute(params)).rejects.toThrow(/loop ran more than loopSteps = 1000 iterations/);
    await check(vectorAddJob(300, 9));
  });

  it('an endless loop with a barrier inside is stopped by the workgroup guard', async () => {
    const code = `@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@compute @workgroup_size(32) fn main(@builtin(local_invocation_index) i: u32) { while (true) { workgroupBarrier(); x[i] += 1u; } }`;
    const params = { code, buffers: [{ binding: 0, size: 128 }], passes: [{ dispatch: [1] }], loopSteps: 50 };
    await expect(execute(params)).rejects.toThrow(/loop ran more than loopSteps = 50/);
  });

  it('an out-of-bounds index stays inside its binding (robust access): the neighbour is untouched', async () => {
    const code = `@group(0) @binding(0) var<storage, read_write> small: array<u32>;
@group(0) @binding(1) var<storage, read_write> canary: array<u32>;
@compute @workgroup_size(1) fn main() { small[1000000u + small[0]] = 0xdeadu; canary[0] = canary[0] + 0u; }`;
    const canary = new Uint8Array(16).fill(0xab);
    const out = await execute(
      {
        code,
        buffers: [
          { binding: 0, size: 16, read: false },
          { binding: 1, size: 16, init: 'input', read: true },
        ],
        passes: [{ dispatch: [1] }],
      },
      canary,
    );
    expect(out).toEqual(canary);
  });

  it('invalid code is bad input naming the line; huge dispatches are refused before running', async () => {
    const bad = `@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@compute @workgroup_size(1) fn main() {
  x[0] = 1.5;
}`;
    const run = execute({ code: bad, buffers: [{ binding: 0, size: 4 }], passes: [{ dispatch: [1] }] });
    await expect(run).rejects.toBeInstanceOf(BadInputError);
    await expect(
      execute({ code: bad, buffers: [{ binding: 0, size: 4 }], passes: [{ dispatch: [1] }] }),
    ).rejects.toThrow(/does not compile: 3:/);
    const huge = { ...vectorAddJob(64).params, passes: [{ entryPoint: 'main', dispatch: [65535, 65535] }] };
    await expect(execute(huge, vectorAddJob(64).input)).rejects.toThrow(/at most 268435456 per pass/);
    await check(prefixSumJob(700, 4));
  });

  it('a submission over the watchdog resets the device; the provider gives a new one', async () => {
    const job = matmulJob(256, 5, false);
    const device = (await gpuDevice())!;
    const passes = planPasses(reflectShader(job.params.code), job.params.buffers, job.params.passes);
    // 0 ms: the watchdog fires before any GPU can finish a 33 MFLOP submission.
    const run = runOnDevice(device, job.params.code, {
      buffers: job.params.buffers,
      passes: passes.map((p) => ({ ...p, entry: { ...p.entry, sliceable: false } })),
      input: job.input,
      loopSteps: 1 << 16,
      submissionMs: 0,
    });
    await expect(run).rejects.toThrow(/ran longer than 0 ms, so the device was reset/);
    const lost = await device.lost;
    expect(lost.reason).toBe('destroyed');
    const next = (await gpuDevice())!;
    expect(next).not.toBe(device);
    await check(vectorAddJob(128, 6));
  });

  it('compile reports compiler errors from the GPU and entry points for valid code', async () => {
    const compile = (code: string) =>
      shaderCapsule.methods['compile']!.run(ctx(new Uint8Array(0)), { code }) as Promise<Uint8Array>;
    const good = JSON.parse(new TextDecoder().decode(await compile(prefixSumJob(256).params.code)));
    expect(good).toMatchObject({ ok: true, checkedBy: 'wgsl_reflect+gpu' });
    expect(good.entryPoints.map((e: { name: string }) => e.name)).toEqual([
      'scan_blocks',
      'scan_sums',
      'add_sums',
    ]);
    const bad = JSON.parse(
      new TextDecoder().decode(await compile('@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }')),
    );
    expect(bad).toMatchObject({ ok: false, checkedBy: 'wgsl_reflect+gpu' });
    expect(executeParams.safeParse({}).success).toBe(false);
  });
});

describe.skipIf(!haveGpu)('shader jobs through the Node engine (the `inos run` worker threads)', () => {
  it('runs only when the host allows the GPU, and then correctly', async () => {
    const job = prefixSumJob(1000, 8);
    const submit = async (gpu: boolean) => {
      const h = startNodeEngine({ workers: 1, storeDir: null, gpu });
      try {
        await h.ready();
        const params = JSON.stringify(job.params);
        return await h.engine.submit({ library: 'shader', method: 'execute', params, input: job.input });
      } finally {
        await h.dispose();
      }
    };
    const off = await submit(false);
    expect(off.status).toBe('internalError');
    expect(off.error).toMatch(/no GPU on this worker now/);
    const on = await submit(true);
    expect(on.error ?? '').toBe('');
    expect(on.status).toBe('ok');
    expect(compareShaderOutputs(on.output, job.expected, job.params.output).agree).toBe(true);
  });
});
