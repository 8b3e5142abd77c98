/**
 * scripts/vips-csp.mjs: the extension's wasm-vips glue must evaluate no generated code (MV3 CSP), and
 * the closures that replace embind's generated invokers must do what the generated code does.
 * Image jobs in Chromium giving Node's bytes is tests/e2e/image.e2e.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cspSafeVipsGlue,
  inosCraftInvoker,
  inosEmvalInvoker,
  VIPS_THREADS,
  vipsPublicFiles,
  wasmVipsLib,
} from '../../../../scripts/vips-csp.mjs';

const lib = wasmVipsLib();
const EVAL = /\bnew Function\b|\beval\s*\(|\bFunction\s*\(/;

describe('the CSP-safe wasm-vips glue', () => {
  it('has no eval / new Function left, and fixed thread counts', () => {
    const original = readFileSync(join(lib, 'vips-es6.js'), 'utf8');
    expect(EVAL.test(original)).toBe(true);
    const glue = cspSafeVipsGlue(original);
    expect(glue.match(EVAL)).toBeNull();
    expect(glue).toContain(`VIPS_MAX_THREADS=${VIPS_THREADS}`);
    expect(glue).not.toContain('navigator.hardwareConcurrency>6');
  });

  it('ships the package vips.wasm and vips-heif.wasm unchanged (the bytes Node runs)', () => {
    const files = vipsPublicFiles();
    expect(files.map((f) => f.relativeDest)).toEqual([
      'vips/vips-es6.js',
      'vips/vips.wasm',
      'vips/vips-heif.wasm',
    ]);
    for (const f of files.slice(1)) expect('absoluteSrc' in f && f.absoluteSrc.startsWith(lib)).toBe(true);
  });

  it('the side module we load has no EM_ASM / EM_JS (the glue would eval them)', () => {
    const mod = new WebAssembly.Module(readFileSync(join(lib, 'vips-heif.wasm')));
    const names = WebAssembly.Module.exports(mod).map((e) => e.name);
    expect(names.filter((n) => n.includes('em_asm') || n.startsWith('__em_js__'))).toEqual([]);
  });

  it('refuses a glue it was not written for', () => {
    expect(() => cspSafeVipsGlue('var x = 1;')).toThrow(/update scripts\/vips-csp.mjs/);
  });
});

describe('the invoker closures', () => {
  const type = (name: string, dtor: ((v: unknown) => void) | null = null) => ({ name, I: dtor });

  it('a method with destructors: wires this and args, runs the destructors, converts the result', () => {
    const log: string[] = [];
    const destructorLists: unknown[][] = [];
    const argTypes = [type('ret'), type('this'), type('a'), type('b')];
    const names = [
      'humanName',
      'throwBindingError',
      'invoker',
      'fn',
      'runDestructors',
      'fromRetWire',
      'toClassParamWire',
      'toArg0Wire',
      'toArg1Wire',
    ];
    const values = [
      'm',
      null,
      (fn: string, self: unknown, a: unknown, b: unknown) =>
        `${fn}(${String(self)},${String(a)},${String(b)})`,
      'target',
      (d: unknown[]) => {
        destructorLists.push(d);
        log.push(`dtors:${d.length}`);
      },
      (rv: string) => `ret<${rv}>`,
      (d: unknown[] | null, self: { id: string }) => {
        d?.push('this');
        return self.id;
      },
      (d: unknown[] | null, a: number) => {
        d?.push('a');
        return a * 10;
      },
      (_d: unknown[] | null, b: string) => b.toUpperCase(),
    ];
    const f = inosCraftInvoker(names, values, argTypes, true, true, false, true);
    expect(f.length).toBe(2);
    expect(f.call({ id: 'obj' }, 4, 'x')).toBe('ret<target(obj,40,X)>');
    expect(log).toEqual(['dtors:2']);
    expect(destructorLists[0]).toEqual(['this', 'a']);
  });

  it('a free function without a destructor list: per-argument dtors, stack restored, void result', () => {
    const log: string[] = [];
    const argTypes = [type('void'), null, type('a'), type('b', () => undefined)];
    const names = [
      'invoker',
      'fn',
      'fromRetWire',
      'stackSave',
      'stackRestore',
      'toArg0Wire',
      'toArg1Wire',
      'arg1Wired_dtor',
    ];
    const values = [
      (_fn: string, a: number, b: number) => {
        log.push(`call ${a} ${b}`);
        return 99;
      },
      'target',
      () => 'never',
      () => 1234,
      (sp: number) => log.push(`restore ${sp}`),
      (d: null, a: number) => (d === null ? a + 1 : -1),
      (_d: null, b: number) => b + 2,
      (w: number) => log.push(`dtor ${w}`),
    ];
    const f = inosCraftInvoker(names, values, argTypes as never, false, false, true, false);
    expect(f(1, 2)).toBeUndefined();
    expect(log).toEqual(['call 2 4', 'restore 1234', 'dtor 4']);
  });

  it('emval callers: method call, constructor, function call, with and without a return wire', () => {
    const mem = new Map<number, unknown>([
      [100, 3],
      [108, 4],
    ]);
    const read = (p: number) => mem.get(p);
    const objects = new Map<number, unknown>([
      [
        1,
        {
          base: 10,
          add(this: { base: number }, a: number, b: number) {
            return this.base + a + b;
          },
        },
      ],
      [
        2,
        class {
          constructor(
            readonly a: number,
            readonly b: number,
          ) {}
        },
      ],
      [3, (a: number, b: number) => a * b],
    ]);
    const env = {
      toValue: (h: number) => objects.get(h),
      argFromPtr0: read,
      argFromPtr1: read,
      getStringOrSymbol: (n: number) => (n === 7 ? 'add' : '?'),
      toReturnWire: 'wire',
      emval_returnValue: (w: string, d: number, v: unknown) => [w, d, v],
    };
    expect(inosEmvalInvoker(env, 2, 1)(1, 7, 5, 100)).toEqual(['wire', 5, 17]);
    expect(inosEmvalInvoker(env, 2, 2)(2, 0, 5, 100)).toEqual(['wire', 5, { a: 3, b: 4 }]);
    expect(inosEmvalInvoker(env, 2, 0)(3, 0, 5, 100)).toEqual(['wire', 5, 12]);
    const { toReturnWire: _w, emval_returnValue: _r, ...noReturn } = env;
    expect(inosEmvalInvoker(noReturn, 2, 0)(3, 0, 5, 100)).toBeUndefined();
    expect(inosEmvalInvoker(env, 1, 3)(0, 0, 5, 100)).toEqual(['wire', 5, 3]);
  });
});
