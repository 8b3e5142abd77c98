/**
 * Runs one capsule method the way the engine does (resolve, input limit, params schema, output limit)
 * with a simple JobContext, so capsule tests do not depend on the engine. With `shared`, the input and
 * the output live at odd offsets inside SharedArrayBuffers, as arena blocks do in the pool, and the
 * output block is fenced by canary bytes that must survive the job.
 */
import {
  BadInputError,
  type Capsule,
  type CapsuleServices,
  type JobContext,
} from '../../../../src/capsules/capsule.ts';

export interface RunOptions {
  /** Put the input and output in SharedArrayBuffers (zero-copy views, as in the pool). */
  shared?: boolean;
  services?: CapsuleServices;
  /** Called from ctx.checkpoint(), e.g. to stop the job after N checkpoints. */
  onCheckpoint?: (count: number) => void;
  /** Called when the job asks for its output block. */
  onOutput?: (bytes: number) => void;
}

export interface RunResult {
  output: Uint8Array;
  checkpoints: number;
}

const CANARY = 0xa5;
const FENCE = 32;

function place(bytes: Uint8Array, shared: boolean): Uint8Array {
  if (!shared) return bytes.slice();
  // Offset 13: views that start mid-word, like an arena block after an odd-sized header.
  const view = new Uint8Array(new SharedArrayBuffer(bytes.length + 13), 13);
  view.set(bytes);
  return view;
}

export async function runMethod(
  capsule: Capsule,
  name: string,
  params: unknown,
  input: Uint8Array,
  opts: RunOptions = {},
): Promise<RunResult> {
  const m = Object.hasOwn(capsule.methods, name) ? capsule.methods[name] : undefined;
  if (!m) throw new BadInputError(`unknown method "${name}" in library "${capsule.library}"`);
  const limits = { ...capsule.limits, ...m.limits };
  if (input.length > limits.maxInputBytes)
    throw new BadInputError(
      `input is ${input.length} bytes; ${capsule.library}.${name} accepts at most ${limits.maxInputBytes} bytes`,
    );
  const parsed = m.params.safeParse(params);
  if (!parsed.success)
    throw new BadInputError(
      `bad params for ${capsule.library}.${name}: ${parsed.error.issues
        .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
        .join('; ')}`,
    );

  const shared = opts.shared ?? false;
  let block: Uint8Array | null = null;
  let out: Uint8Array | null = null;
  let checkpoints = 0;
  const ctx: JobContext = {
    input: place(input, shared),
    output(bytes) {
      if (out) throw new Error('ctx.output() may be called once per job');
      opts.onOutput?.(bytes);
      if (bytes > limits.maxOutputBytes)
        throw new BadInputError(
          `the output would be ${bytes} bytes; ${capsule.library}.${name} produces at most ${limits.maxOutputBytes}`,
        );
      block = new Uint8Array(
        shared ? new SharedArrayBuffer(bytes + 2 * FENCE) : new ArrayBuffer(bytes + 2 * FENCE),
      );
      block.fill(CANARY);
      out = block.subarray(FENCE, FENCE + bytes);
      return out;
    },
    checkpoint() {
      checkpoints++;
      opts.onCheckpoint?.(checkpoints);
    },
    get costSoFar() {
      return 0;
    },
    services: opts.services ?? {},
  };
  const returned = await m.run(ctx, parsed.data);
  if (returned) ctx.output(returned.length).set(returned);
  const result: Uint8Array = out ?? ctx.output(0);
  const fenced = block as Uint8Array | null;
  if (fenced) {
    const n = fenced.length - 2 * FENCE;
    for (let i = 0; i < FENCE; i++)
      if (fenced[i] !== CANARY || fenced[FENCE + n + i] !== CANARY)
        throw new Error(`${capsule.library}.${name} wrote outside its output block`);
  }
  return { output: result.slice(), checkpoints };
}

export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/**
 * Byte equality that stays fast on large arrays (vitest's toEqual walks typed arrays element by
 * element: seconds for a few hundred KiB). Returns a description of the first difference, or 'equal'.
 */
export function diffBytes(actual: Uint8Array, expected: Uint8Array): string {
  if (Buffer.compare(actual, expected) === 0) return 'equal';
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  return `first difference at byte ${i}: ${actual[i]} vs ${expected[i]}`;
}
