/**
 * Static checks of requester WGSL before anything reaches a GPU, on wgsl_reflect's parse (a
 * well-kept reflection library, ~1 M downloads a month, rather than a parser of our own): the entry
 * points exist and are compute shaders, every binding they use is a group-0 buffer the job declares
 * with a size that holds the variable's type, workgroup sizes and dispatches are within the limits.
 * The GPU's compiler (`getCompilationInfo`) stays the authority on the rest (types, uniformity).
 */
import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { BadInputError } from '../capsule.ts';
import { blankComments, GUARD_GROUP, OFFSET_BINDING, OFFSET_NAME } from './guard.ts';
import { SHADER_LIMITS, type BufferSpec } from './params.ts';

export type BufferKind = 'uniform' | 'read-only-storage' | 'storage';

export interface ReflectedBinding {
  binding: number;
  name: string;
  kind: BufferKind;
  /** Smallest buffer that holds the variable (one element for a runtime-sized array). */
  minBytes: number;
  type: string;
}

export interface ReflectedEntry {
  name: string;
  workgroupSize: [number, number, number] | null;
  bindings: ReflectedBinding[];
  /** Uses `@group(1) @binding(0) var<uniform> inos_offset: vec3u`, so its dispatch can be sliced. */
  sliceable: boolean;
  /**
   * The code reads `inos_offset` beyond `.x` (`.y`, a swizzle, or the whole vector added to
   * workgroup_id), so the capsule may split the dispatch by workgroup rows too, not only columns.
   */
  sliceRows: boolean;
}

export interface Reflection {
  entryPoints: ReflectedEntry[];
}

/** Device limits the checks need (a subset of GPUSupportedLimits). */
export interface DispatchLimits {
  maxComputeWorkgroupsPerDimension: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupSizeZ: number;
  maxStorageBufferBindingSize: number;
  maxUniformBufferBindingSize: number;
}

/** WebGPU's default limits (spec §3.6.2): what every adapter offers at least. */
export const DEFAULT_LIMITS: DispatchLimits = {
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxStorageBufferBindingSize: 128 << 20,
  maxUniformBufferBindingSize: 64 << 10,
};

function kindOf(v: VariableInfo): BufferKind {
  if (v.resourceType === ResourceType.Uniform) return 'uniform';
  if (v.resourceType === ResourceType.Storage && !v.type.name.startsWith('texture'))
    return v.access === 'read_write' ? 'storage' : 'read-only-storage';
  throw new BadInputError(
    `binding ${v.name} (@group(${v.group}) @binding(${v.binding})) is a texture or sampler; ` +
      'shader jobs bind only uniform and storage buffers',
  );
}

/**
 * Whether the code reads `inos_offset` other than as `.x` (or `[0]`) outside its declaration: then
 * the y offset reaches the shader and the dispatch may be split by rows. Works on the text with
 * comments blanked (WGSL has no string literals).
 */
function readsOffsetRows(code: string): boolean {
  const text = blankComments(code);
  const uses = new RegExp(`\\b${OFFSET_NAME}\\b(?!\\s*:)`, 'g');
  const xOnly = new RegExp(`^\\s*(\\.\\s*x\\b|\\[\\s*0u?\\s*\\])`);
  for (const m of text.matchAll(uses)) if (!xOnly.test(text.slice(m.index + m[0].length))) return true;
  return false;
}

/** Parses `code` and reflects its compute entry points; a syntax error is a BadInputError. */
export function reflectShader(code: string): Reflection {
  let r: WgslReflect;
  try {
    r = new WgslReflect(code);
  } catch (err) {
    throw new BadInputError(`WGSL does not parse: ${(err as Error).message}`, { cause: err });
  }
  const rows = readsOffsetRows(code);
  const entryPoints = r.entry.compute.map((f): ReflectedEntry => {
    const bindings: ReflectedBinding[] = [];
    let sliceable = false;
    for (const v of f.resources) {
      if (v.group === GUARD_GROUP && v.binding === OFFSET_BINDING && v.name === OFFSET_NAME) {
        if (
          v.resourceType !== ResourceType.Uniform ||
          (v.type.name !== 'vec3u' && v.type.name !== 'vec3<u32>')
        )
          throw new BadInputError(`${OFFSET_NAME} must be declared as var<uniform> ${OFFSET_NAME}: vec3u`);
        sliceable = true;
        continue;
      }
      if (v.group !== 0)
        throw new BadInputError(
          `binding ${v.name} is in group ${v.group}; requester bindings must be in group 0 ` +
            `(group ${GUARD_GROUP} holds only @binding(${OFFSET_BINDING}) var<uniform> ${OFFSET_NAME}: vec3u)`,
        );
      const kind = kindOf(v);
      const minBytes = Math.max(v.size, v.isArray && v.count === 0 ? v.stride : 0, 4);
      const runtime = v.isArray && v.count === 0;
      const type = runtime ? `array<${v.format?.getTypeName() ?? '?'}>` : v.type.getTypeName();
      bindings.push({ binding: v.binding, name: v.name, kind, minBytes, type });
    }
    bindings.sort((a, b) => a.binding - b.binding);
    const ws = f.workgroupSize;
    const known = ws && ws.every((n) => Number.isInteger(n)) ? ws : null;
    return { name: f.name, workgroupSize: known, bindings, sliceable, sliceRows: sliceable && rows };
  });
  if (r.entry.vertex.length + r.entry.fragment.length > 0)
    throw new BadInputError('only @compute entry points are allowed in shader jobs');
  return { entryPoints };
}

export interface PassPlan {
  entry: ReflectedEntry;
  dispatch: [number, number, number];
  invocations: number;
}

/**
 * Checks the job's buffers and passes against the reflection and the device's limits; returns the
 * passes with their entry points. Every message says what is allowed.
 */
export function planPasses(
  reflection: Reflection,
  buffers: readonly BufferSpec[],
  passes: readonly { entryPoint: string; dispatch: number[] }[],
  limits: DispatchLimits = DEFAULT_LIMITS,
): PassPlan[] {
  const declared = new Map<number, BufferSpec>();
  let total = 0;
  for (const b of buffers) {
    if (declared.has(b.binding)) throw new BadInputError(`binding ${b.binding} is declared twice in buffers`);
    declared.set(b.binding, b);
    total += b.size;
  }
  if (total > SHADER_LIMITS.maxTotalBufferBytes)
    throw new BadInputError(
      `buffers total ${total} bytes; at most ${SHADER_LIMITS.maxTotalBufferBytes} bytes per job`,
    );
  const used = new Set<number>();
  const plans = passes.map((p, i): PassPlan => {
    const entry = reflection.entryPoints.find((e) => e.name === p.entryPoint);
    if (!entry) {
      const names = reflection.entryPoints.map((e) => e.name).join(', ') || 'none';
      throw new BadInputError(`pass ${i}: no @compute entry point "${p.entryPoint}" (found: ${names})`);
    }
    for (const b of entry.bindings) {
      const spec = declared.get(b.binding);
      if (!spec)
        throw new BadInputError(
          `pass ${i} (${entry.name}) uses @binding(${b.binding}) ${b.name}: ${b.type}, which buffers does not declare`,
        );
      if (spec.size < b.minBytes)
        throw new BadInputError(
          `buffer for @binding(${b.binding}) ${b.name}: ${b.type} is ${spec.size} bytes; it needs at least ${b.minBytes}`,
        );
      const max =
        b.kind === 'uniform' ? limits.maxUniformBufferBindingSize : limits.maxStorageBufferBindingSize;
      if (spec.size > max)
        throw new BadInputError(
          `buffer for @binding(${b.binding}) is ${spec.size} bytes; this device binds at most ${max} bytes as ${b.kind}`,
        );
      used.add(b.binding);
    }
    const ws = entry.workgroupSize;
    if (ws) {
      const [x, y, z] = ws;
      const n = x * y * z;
      if (
        n > limits.maxComputeInvocationsPerWorkgroup ||
        x > limits.maxComputeWorkgroupSizeX ||
        y > limits.maxComputeWorkgroupSizeY ||
        z > limits.maxComputeWorkgroupSizeZ
      )
        throw new BadInputError(
          `${entry.name}: @workgroup_size(${x}, ${y}, ${z}) exceeds this device's limits ` +
            `(≤ ${limits.maxComputeInvocationsPerWorkgroup} invocations, x ≤ ${limits.maxComputeWorkgroupSizeX}, ` +
            `y ≤ ${limits.maxComputeWorkgroupSizeY}, z ≤ ${limits.maxComputeWorkgroupSizeZ})`,
        );
    }
    const dispatch: [number, number, number] = [p.dispatch[0] ?? 1, p.dispatch[1] ?? 1, p.dispatch[2] ?? 1];
    for (const d of dispatch)
      if (d > limits.maxComputeWorkgroupsPerDimension)
        throw new BadInputError(
          `pass ${i}: dispatch ${dispatch.join('×')} exceeds ${limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`,
        );
    const perGroup = ws ? ws[0] * ws[1] * ws[2] : limits.maxComputeInvocationsPerWorkgroup;
    const invocations = dispatch[0] * dispatch[1] * dispatch[2] * perGroup;
    if (invocations > SHADER_LIMITS.maxInvocationsPerPass)
      throw new BadInputError(
        `pass ${i}: ${dispatch.join('×')} workgroups of ${perGroup} is ${invocations} invocations; ` +
          `at most ${SHADER_LIMITS.maxInvocationsPerPass} per pass (split the work into more passes or jobs)`,
      );
    return { entry, dispatch, invocations };
  });
  for (const b of buffers)
    if (!used.has(b.binding))
      throw new BadInputError(`buffers declares @binding(${b.binding}), which no pass's entry point uses`);
  return plans;
}
