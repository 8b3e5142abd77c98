import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { method, type Capsule } from '../../../src/capsules/capsule';

const file = z.string().min(1);

/**
 * A capsule that exists only in workflow tests: steps that fail a given number of times, wait for a
 * file (so a test can kill the process inside a step), and an effect that must run once, kept in a
 * file where a test can count it.
 */
export const wfTestCapsule: Capsule = {
  library: 'wftest',
  version: '1',
  summary: 'workflow test steps',
  limits: {
    maxInputBytes: 64 << 20,
    maxOutputBytes: 64 << 20,
    timeoutMs: 30_000,
    maxMemoryBytes: 1 << 26,
    costCap: 60_000,
  },
  methods: {
    flaky: method({
      params: z.strictObject({ counter: file, failures: z.number().int().min(0) }),
      summary: 'fails the first `failures` runs (counted in a file), then echoes its input',
      run(ctx, p) {
        const n = existsSync(p.counter) ? Number(readFileSync(p.counter, 'utf8')) : 0;
        writeFileSync(p.counter, String(n + 1));
        if (n < p.failures) throw new Error(`flaky failure ${n + 1} of ${p.failures}`);
        ctx.output(ctx.input.length).set(ctx.input);
      },
    }),
    waitFor: method({
      params: z.strictObject({ file }),
      summary: 'waits (checkpointing) until a file exists, then echoes its input',
      run(ctx, p) {
        while (!existsSync(p.file)) {
          const until = performance.now() + 5;
          while (performance.now() < until);
          ctx.checkpoint();
        }
        ctx.output(ctx.input.length).set(ctx.input);
      },
    }),
    append: method({
      params: z.strictObject({ file, line: z.string().regex(/^[^\n]*$/) }),
      summary: 'appends a line to a file (must run once) → {"lines": n}',
      effect: 'once',
      compensate: (params) => ({ method: 'unappend', params }),
      run(_ctx, p) {
        appendFileSync(p.file, `${p.line}\n`);
        const lines = readFileSync(p.file, 'utf8').split('\n').filter(Boolean).length;
        return new TextEncoder().encode(JSON.stringify({ lines }));
      },
    }),
    unappend: method({
      params: z.strictObject({ file, line: z.string() }),
      summary: 'removes one occurrence of a line (idempotent per line)',
      effect: 'idempotent',
      run(_ctx, p) {
        if (!existsSync(p.file)) return;
        const lines = readFileSync(p.file, 'utf8').split('\n').filter(Boolean);
        const i = lines.indexOf(p.line);
        if (i >= 0) lines.splice(i, 1);
        writeFileSync(p.file, lines.map((l) => `${l}\n`).join(''));
      },
    }),
    touch: method({
      params: z.strictObject({ file }),
      summary: 'creates a file, then echoes its input',
      run(ctx, p) {
        writeFileSync(p.file, '');
        ctx.output(ctx.input.length).set(ctx.input);
      },
    }),
    emit: method({
      params: z.strictObject({ value: z.unknown() }),
      summary: 'outputs params.value as JSON text',
      run: (_ctx, p) => new TextEncoder().encode(JSON.stringify(p.value)),
    }),
    work: method({
      params: z.strictObject({ ms: z.number().min(0).max(10_000) }),
      summary: 'busy for `ms` (checkpointing every ~1 ms), then writes its input to its output in place',
      run(ctx, p) {
        const until = performance.now() + p.ms;
        while (performance.now() < until) {
          const slice = performance.now() + 1;
          while (performance.now() < slice);
          ctx.checkpoint();
        }
        ctx.output(ctx.input.length).set(ctx.input);
      },
    }),
  },
};
