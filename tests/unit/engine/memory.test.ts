/**
 * maxMemoryBytes (src/capsules/capsule.ts) is enforced per job on the WebAssembly memory a capsule
 * registers with ctx.trackMemory: checked at every checkpoint and when the job returns.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { method, type Capsule } from '../../../src/capsules/capsule';
import { execute, type ExecuteRequest } from '../../../src/engine/execute';
import { CapsuleRegistry } from '../../../src/engine/registry';

const PAGE = 65_536;

const wasmCapsule: Capsule = {
  library: 'wasmtest',
  version: '1',
  summary: 'grows a WebAssembly memory',
  limits: {
    maxInputBytes: 0,
    maxOutputBytes: 16,
    timeoutMs: 10_000,
    maxMemoryBytes: 1 << 20, // 16 pages
    costCap: 10_000,
  },
  methods: {
    grow: method({
      params: z.object({ pages: z.number().int().min(1).max(256), checkpoint: z.boolean() }).strict(),
      summary: 'grows a fresh memory to `pages` pages',
      run(ctx, { pages, checkpoint }) {
        const mem = new WebAssembly.Memory({ initial: 1, maximum: 256 });
        ctx.trackMemory?.(mem);
        ctx.trackMemory?.(mem); // a repeat is ignored
        mem.grow(pages - 1);
        if (checkpoint) ctx.checkpoint();
      },
    }),
    notMemory: method({
      params: z.object({}).strict(),
      summary: 'passes something that is not a memory',
      run(ctx) {
        ctx.trackMemory?.({ buffer: new ArrayBuffer(1) } as unknown as WebAssembly.Memory);
      },
    }),
  },
};

const registry = new CapsuleRegistry([wasmCapsule]);
function run(m: string, params: unknown, seen: WebAssembly.Memory[] = []) {
  const req: ExecuteRequest = {
    library: 'wasmtest',
    method: m,
    params: JSON.stringify(params),
    input: new Uint8Array(0),
    budget: 10_000,
    deadlineMs: 0,
    allocOutput: (n) => new Uint8Array(n),
    cancelled: () => false,
    onMemory: (mem) => seen.push(mem),
    clock: () => performance.now(),
    wallClock: () => Date.now(),
  };
  return execute(registry, req);
}

describe('maxMemoryBytes', () => {
  it('lets a job stay within its WebAssembly memory limit', async () => {
    const seen: WebAssembly.Memory[] = [];
    const r = await run('grow', { pages: 16, checkpoint: true }, seen);
    expect(r.status).toBe('ok');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buffer.byteLength).toBe(16 * PAGE);
  });

  it('stops a job whose memory passes the limit at its next checkpoint, with a message', async () => {
    const r = await run('grow', { pages: 40, checkpoint: true });
    expect(r.status).toBe('budgetExhausted');
    expect(r.error).toBe(
      `stopped: the job's WebAssembly memory reached ${40 * PAGE} bytes; wasmtest.grow may use at most ${1 << 20}`,
    );
  });

  it('catches the growth when the job returns without checking in', async () => {
    const r = await run('grow', { pages: 17, checkpoint: false });
    expect(r.status).toBe('budgetExhausted');
    expect(r.error).toContain(`reached ${17 * PAGE} bytes`);
  });

  it('refuses to track something that is not a WebAssembly.Memory', async () => {
    const r = await run('notMemory', {});
    expect(r.status).toBe('internalError');
    expect(r.error).toContain('ctx.trackMemory takes a WebAssembly.Memory');
  });
});
