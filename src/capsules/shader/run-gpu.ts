/**
 * Runs a validated shader job on a GPUDevice: guarded WGSL (guard.ts), an explicit pipeline layout
 * (group 0: the job's buffers; group 1: the capsule's slice offset and loop-guard flag), one
 * submission per pass or per slice of a pass, each awaited under a wall-clock watchdog. A submission
 * past the watchdog destroys the device (the only way to stop a dispatch, CAPSULES.md §5) and fails
 * the job; the device provider (device.ts) hands out a fresh device to the next job.
 */
/// <reference types="@webgpu/types" />
import { BadInputError } from '../capsule.ts';
import { GUARD_GROUP, guardLoops, OFFSET_BINDING, OFFSET_NAME, TRIP_BINDING } from './guard.ts';
import { SHADER_LIMITS, type BufferSpec } from './params.ts';
import type { BufferKind, PassPlan } from './reflect.ts';

/** WebGPU flag values (spec §5.1, §5.3, §9.1), spelled out for hosts without the globals. */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;
const COMPUTE = 0x4;

/** The device was lost (driver reset, destroyed by a watchdog, adapter gone): the job failed. */
export class GpuLostError extends Error {
  override readonly name = 'GpuLostError';
  constructor(reason: string, message: string) {
    super(`the GPU device was lost (${reason}): ${message}`);
  }
}

export interface RunOptions {
  buffers: readonly BufferSpec[];
  passes: readonly PassPlan[];
  input: Uint8Array;
  loopSteps: number;
  /** Called between submissions (the job's checkpoint: throws to stop). */
  checkpoint?: () => void;
  submissionMs?: number;
  sliceTargetMs?: number;
  /** Invocations in the first slice of a sliced dispatch (default 2^13: a first dispatch may include a JIT compile). */
  firstSliceInvocations?: number;
  now?: () => number;
  /**
   * Called right after each dispatch is submitted, with its workgroup counts (tests: a clock that
   * charges per workgroup stands in for a slow adapter, so the split is checked without timing).
   */
  onSubmitted?: (groups: readonly [number, number, number]) => void;
}

export interface RunReport {
  output: Uint8Array;
  submissions: number;
  /** GPU wall time summed over submissions, ms. */
  gpuMs: number;
}

/** Compiles `code` on the device; rejects with a BadInputError listing the compiler's errors. */
export async function compileOnDevice(device: GPUDevice, code: string): Promise<GPUShaderModule> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: 'shader job' });
  const [info, scopeError] = await Promise.all([module.getCompilationInfo(), device.popErrorScope()]);
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0)
    throw new BadInputError(
      `WGSL does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`,
    );
  if (scopeError) throw new BadInputError(`WGSL does not compile: ${scopeError.message}`);
  return module;
}

function layoutEntries(passes: readonly PassPlan[]): GPUBindGroupLayoutEntry[] {
  const kinds = new Map<number, BufferKind>();
  for (const p of passes)
    for (const b of p.entry.bindings) {
      const seen = kinds.get(b.binding);
      if (seen && seen !== b.kind)
        throw new BadInputError(
          `@binding(${b.binding}) is ${seen} in one entry point and ${b.kind} in another`,
        );
      kinds.set(b.binding, b.kind);
    }
  return [...kinds].map(([binding, type]) => ({ binding, visibility: COMPUTE, buffer: { type } }));
}

/**
 * Waits for `p` at most `ms` from `since`; past that destroys the device and throws. The elapsed time
 * is checked again on completion because some backends run a submission inside `submit()` itself
 * (Dawn's OpenGL ES backend on llvmpipe blocks the thread), so the timer could not fire in time.
 */
async function watched<T>(
  device: GPUDevice,
  p: Promise<T>,
  lost: Promise<never>,
  ms: number,
  since: number,
  now: () => number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const left = Math.max(0, ms - (now() - since));
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
  try {
    const r = await Promise.race([p, lost, timeout]);
    if (r === 'timeout' || now() - since > ms) {
      device.destroy();
      // Let the provider see the loss first, so the next job gets a new device, not this one.
      await Promise.race([device.lost, new Promise((resolve) => setTimeout(resolve, 1000))]);
      throw new BadInputError(
        `a GPU submission ran longer than ${ms} ms, so the device was reset. Keep each pass short, or declare ` +
          `@group(${GUARD_GROUP}) @binding(${OFFSET_BINDING}) var<uniform> ${OFFSET_NAME}: vec3u, add it to ` +
          'workgroup_id and let the capsule split the dispatch',
      );
    }
    return r as T;
  } finally {
    clearTimeout(timer);
  }
}

export async function runOnDevice(device: GPUDevice, code: string, opts: RunOptions): Promise<RunReport> {
  const now = opts.now ?? (() => performance.now());
  const submissionMs = opts.submissionMs ?? SHADER_LIMITS.submissionMs;
  const target = opts.sliceTargetMs ?? SHADER_LIMITS.sliceTargetMs;
  const lost = device.lost.then((info): never => {
    throw new GpuLostError(info.reason, info.message);
  });
  lost.catch(() => undefined);

  // The job loop's heartbeat and stop checks live in checkpoint(): keep calling it while the GPU
  // compiles or runs (SwiftShader takes seconds to build pipelines with barriers), and stop after.
  let stop: unknown = null;
  const busy = async <T>(p: Promise<T>): Promise<T> => {
    const tick = setInterval(() => {
      try {
        opts.checkpoint?.();
      } catch (err) {
        stop ??= err;
      }
    }, 50);
    try {
      return await p;
    } finally {
      clearInterval(tick);
      if (stop) throw stop;
    }
  };

  const inputBytes = opts.buffers.filter((b) => b.init === 'input').reduce((n, b) => n + b.size, 0);
  if (inputBytes !== opts.input.length)
    throw new BadInputError(
      `the input is ${opts.input.length} bytes; the buffers with init 'input' take exactly ${inputBytes}`,
    );
  const guarded = guardLoops(code, opts.loopSteps);
  const module = await busy(compileOnDevice(device, guarded.code));
  const group0 = device.createBindGroupLayout({ entries: layoutEntries(opts.passes) });
  const group1 = device.createBindGroupLayout({
    entries: [
      { binding: OFFSET_BINDING, visibility: COMPUTE, buffer: { type: 'uniform' } },
      { binding: TRIP_BINDING, visibility: COMPUTE, buffer: { type: 'storage' } },
    ],
  });
  const layout = device.createPipelineLayout({ bindGroupLayouts: [group0, group1] });
  const pipelines = new Map<string, GPUComputePipeline>();
  for (const p of opts.passes) {
    if (pipelines.has(p.entry.name)) continue;
    try {
      const pipeline = await busy(
        Promise.race([
          device.createComputePipelineAsync({ layout, compute: { module, entryPoint: p.entry.name } }),
          lost,
        ]),
      );
      pipelines.set(p.entry.name, pipeline);
    } catch (err) {
      if (err instanceof GpuLostError || err === stop) throw err;
      throw new BadInputError(
        `entry point ${p.entry.name} is not a valid pipeline: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  const owned: GPUBuffer[] = [];
  const make = (size: number, usage: number) => {
    const b = device.createBuffer({ size, usage });
    owned.push(b);
    return b;
  };
  try {
    const kinds = new Map(layoutEntries(opts.passes).map((e) => [e.binding, e.buffer?.type]));
    let at = 0;
    const gpuBuffers = opts.buffers.map((spec) => {
      const uniform = kinds.get(spec.binding) === 'uniform' ? USAGE.UNIFORM : 0;
      const buf = make(spec.size, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST | uniform);
      if (spec.init === 'input') {
        device.queue.writeBuffer(buf, 0, opts.input.slice(at, at + spec.size));
        at += spec.size;
      }
      return buf;
    });
    const offsetBuf = make(16, USAGE.UNIFORM | USAGE.COPY_DST);
    const tripBuf = make(4, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST);
    const bind0 = device.createBindGroup({
      layout: group0,
      entries: opts.buffers.map((spec, i) => ({
        binding: spec.binding,
        resource: { buffer: gpuBuffers[i]! },
      })),
    });
    const bind1 = device.createBindGroup({
      layout: group1,
      entries: [
        { binding: OFFSET_BINDING, resource: { buffer: offsetBuf } },
        { binding: TRIP_BINDING, resource: { buffer: tripBuf } },
      ],
    });

    let submissions = 0;
    let gpuMs = 0;
    const submit = async (
      pipeline: GPUComputePipeline,
      offset: [number, number],
      groups: [number, number, number],
    ) => {
      opts.checkpoint?.();
      device.queue.writeBuffer(offsetBuf, 0, Uint32Array.of(offset[0], offset[1], 0, 0));
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind0);
      pass.setBindGroup(1, bind1);
      pass.dispatchWorkgroups(...groups);
      pass.end();
      const t0 = now();
      device.queue.submit([enc.finish()]);
      opts.onSubmitted?.(groups);
      await busy(watched(device, device.queue.onSubmittedWorkDone(), lost, submissionMs, t0, now));
      submissions++;
      const dt = now() - t0;
      gpuMs += dt;
      return dt;
    };

    for (const p of opts.passes) {
      const pipeline = pipelines.get(p.entry.name)!;
      const [x, y, z] = p.dispatch;
      if (x * y * z === 0) continue;
      if (!p.entry.sliceable) {
        await submit(pipeline, [0, 0], p.dispatch);
        continue;
      }
      // Slices of `budget` workgroups: a small first one (it may include a JIT compile), then sized
      // from the last one's time towards `target` ms. Whole rows of workgroups while the budget holds
      // a row; below that, part of one row (sliceRows) or whole columns (an x-only offset).
      const perGroup = p.invocations / (x * y * z);
      let budget = Math.max(1, Math.floor((opts.firstSliceInvocations ?? 8192) / perGroup));
      for (let y0 = 0; y0 < y;) {
        const h = p.entry.sliceRows ? Math.max(1, Math.min(y - y0, Math.floor(budget / (x * z)))) : y;
        for (let x0 = 0; x0 < x;) {
          const w = Math.max(1, Math.min(x - x0, Math.floor(budget / (h * z))));
          const dt = await submit(pipeline, [x0, y0], [w, h, z]);
          x0 += w;
          const scale = dt > 0 ? Math.min(4, Math.max(0.25, target / dt)) : 4;
          budget = Math.max(1, Math.round(w * h * z * scale));
        }
        y0 += h;
      }
    }

    const reads = opts.buffers.map((s, i) => [s, gpuBuffers[i]!] as const).filter(([s]) => s.read);
    const outBytes = reads.reduce((n, [s]) => n + s.size, 0);
    const staging = make(4 + outBytes, USAGE.MAP_READ | USAGE.COPY_DST);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(tripBuf, 0, staging, 0, 4);
    let off = 4;
    for (const [s, buf] of reads) {
      enc.copyBufferToBuffer(buf, 0, staging, off, s.size);
      off += s.size;
    }
    const t0 = now();
    device.queue.submit([enc.finish()]);
    await busy(watched(device, staging.mapAsync(MAP_READ), lost, submissionMs, t0, now));
    const all = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    if (new Uint32Array(all.buffer, 0, 1)[0] !== 0)
      throw new BadInputError(
        `a loop ran more than loopSteps = ${opts.loopSteps} iterations in one invocation (or workgroup, for ` +
          `loops with barriers) and was stopped; raise loopSteps (≤ ${SHADER_LIMITS.maxLoopSteps}) or bound the loop`,
      );
    return { output: all.subarray(4), submissions, gpuMs };
  } finally {
    for (const b of owned) b.destroy();
  }
}
