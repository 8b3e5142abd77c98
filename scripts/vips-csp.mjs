// wasm-vips 0.0.19's browser glue (lib/vips-es6.js, Emscripten 4 with embind) evaluates generated
// code in three places, which the MV3 extension CSP (script-src 'self' 'wasm-unsafe-eval') forbids:
//
// 1. embind's craftInvokerFunction builds each bound function's invoker with `new Function(names,
//    body)(...values)` (Emscripten's DYNAMIC_EXECUTION=1 path);
// 2. emval's _emval_create_invoker builds method callers the same way;
// 3. loading a side module evaluates its EM_ASM snippets and EM_JS functions with `eval`.
//
// This build step rewrites the glue without touching vips.wasm, so the extension runs the SAME
// library bytes as Node (byte-identical outputs): (1) and (2) become closures that do what the
// generated code does, statement for statement (the generated body is a function of the names in
// `names`, bound to `values`; the closure looks each one up by the same name); (3) is never reached
// by our side module (vips-heif.wasm exports no __start_em_asm / __em_js__*; tests/unit/capsules/
// image/vips-csp.test.ts checks it), so it throws a clear error instead of evaluating anything.
// Each rewrite must match exactly once, or the build fails: a new wasm-vips needs this file updated.
// Used by wxt.config.ts, which ships the result as vips/vips-es6.js next to vips.wasm.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const WASM_VIPS_VERSION = '0.0.19';
/** libvips thread Workers per extension worker: 6, what Node gets on a machine of up to 6 cores. */
export const VIPS_THREADS = 6;

/**
 * embind invoker without eval. `names`/`values`: what the generated function closes over
 * (invoker, fn, runDestructors, fromRetWire, toClassParamWire, stackSave, stackRestore,
 * toArg<i>Wire, arg<i>Wired_dtor / thisWired_dtor); the flags are the ones the generator tested.
 */
export function inosCraftInvoker(names, values, argTypes, isMethod, useDtors, useStack, returns) {
  const env = new Map(names.map((k, i) => [k, values[i]]));
  const get = (k) => env.get(k);
  const n = argTypes.length - 2;
  const invoker = get('invoker');
  const fn = get('fn');
  const fromRet = get('fromRetWire');
  const toThis = get('toClassParamWire');
  const runDestructors = get('runDestructors');
  const stackSave = get('stackSave');
  const stackRestore = get('stackRestore');
  const toArg = [];
  for (let i = 0; i < n; i++) toArg.push(get(`toArg${i}Wire`));
  const dtors = [];
  if (!useDtors)
    for (let e = isMethod ? 1 : 2; e < argTypes.length; e++) {
      const d = get(e === 1 ? 'thisWired_dtor' : `arg${e - 2}Wired_dtor`);
      if (d) dtors.push([e, d]);
    }
  const f = function (...args) {
    const destructors = useDtors ? [] : null;
    const sp = useStack ? stackSave() : 0;
    const wired = new Array(n);
    let thisWired;
    let rv;
    try {
      if (isMethod) thisWired = toThis(destructors, this);
      for (let i = 0; i < n; i++) wired[i] = toArg[i](destructors, args[i]);
      rv = isMethod ? invoker(fn, thisWired, ...wired) : invoker(fn, ...wired);
    } finally {
      if (useStack) stackRestore(sp);
    }
    if (useDtors) runDestructors(destructors);
    else for (const [e, d] of dtors) d(e === 1 ? thisWired : wired[e - 2]);
    if (returns) return fromRet(rv);
  };
  Object.defineProperty(f, 'length', { value: n });
  return f;
}

/**
 * emval method caller without eval. kind: 0 call, 1 method call, 2 `new`, 3 the (last) argument
 * itself; `env` is the object whose keys the generated code named (toValue, argFromPtr<i>,
 * getStringOrSymbol, toReturnWire, emval_returnValue).
 */
export function inosEmvalInvoker(env, argCount, kind) {
  const toValue = env.toValue;
  const argFromPtr = [];
  for (let p = 0; p < argCount; p++) argFromPtr.push(env[`argFromPtr${p}`]);
  const returns = 'emval_returnValue' in env;
  const readArgs = (args) => argFromPtr.map((read, p) => read(args + p * 8));
  return function (handle, methodName, destructorsRef, args) {
    let rv;
    if (kind === 0) {
      const target = toValue(handle);
      rv = target(...readArgs(args));
    } else if (kind === 2) {
      const Target = toValue(handle);
      rv = new Target(...readArgs(args));
    } else if (kind === 3) {
      const argv = readArgs(args);
      rv = argv[argv.length - 1];
    } else {
      const obj = toValue(handle);
      const method = obj[env.getStringOrSymbol(methodName)];
      rv = method.apply(obj, readArgs(args));
    }
    if (returns) return env.emval_returnValue(env.toReturnWire, destructorsRef, rv);
  };
}

const REWRITES = [
  {
    what: 'embind craftInvokerFunction (new Function)',
    from: 'b=(new Function(v,n+"}\\n"))(...d);return Me(a,b)}',
    to: 'b=inosCraftInvoker(v,d,b,c,h,l,m);return Me(a,b)}',
  },
  {
    what: 'emval _emval_create_invoker (new Function)',
    from: 'c=(new Function(Object.keys(h),l))(...Object.values(h));',
    to: 'c=inosEmvalInvoker(h,g.length,c);',
  },
  {
    what: 'side-module EM_ASM eval',
    from: 'Oe[D]=eval(`(${xa}) => { ${Z} };`)',
    to: 'Oe[D]=inosNoEval("EM_ASM")',
  },
  {
    what: 'side-module EM_JS eval',
    from: 'v[xa]=eval(`(${Xa}) => ${tb};`)',
    to: 'v[xa]=inosNoEval("EM_JS " + xa)',
  },
];

function inosNoEval(what) {
  throw new Error(
    `wasm-vips: a side module needs ${what}, which evaluates code; the extension CSP forbids it (only the vips-heif side module is supported)`,
  );
}

/** The CSP-safe browser glue: vips-es6.js with the four rewrites and the helpers prepended. */
export function cspSafeVipsGlue(code) {
  let out = code;
  for (const r of REWRITES) {
    const at = out.indexOf(r.from);
    if (at < 0 || out.indexOf(r.from, at + 1) >= 0)
      throw new Error(
        `vips-csp: expected exactly one "${r.what}" in wasm-vips ${WASM_VIPS_VERSION}'s vips-es6.js; update scripts/vips-csp.mjs`,
      );
    out = out.slice(0, at) + r.to + out.slice(at + r.from.length);
  }
  // libvips' threads: the glue starts max(cores, 6) thread Workers up front and lets libvips use as
  // many (VIPS_MAX_THREADS), both from one expression. A pool worker runs libvips at concurrency 1,
  // so it gets a fixed VIPS_THREADS instead of one per core (a 16-core machine would otherwise start
  // 16 thread Workers in each of its 15 pool workers). Both uses get the same number, so libvips never
  // asks for a thread the pool lacks: a new thread Worker can only start when this thread's event loop
  // turns, so a job would hang (measured: with 3, the load's warm-up hung at its second save).
  const cores = 'navigator.hardwareConcurrency>6?navigator.hardwareConcurrency:6';
  if (out.split(cores).length !== 3)
    throw new Error(
      `vips-csp: expected the thread-pool size expression twice in wasm-vips ${WASM_VIPS_VERSION}'s vips-es6.js; update scripts/vips-csp.mjs`,
    );
  out = out.split(cores).join(String(VIPS_THREADS));
  if (/\bnew Function\b|\beval\s*\(/.test(out))
    throw new Error('vips-csp: generated-code evaluation left in vips-es6.js after the rewrites');
  const helpers = [inosCraftInvoker, inosEmvalInvoker, inosNoEval].map((f) => f.toString()).join('\n');
  return `// Rewritten by INOS scripts/vips-csp.mjs: no eval or Function constructor (MV3 CSP).\n${helpers}\n${out}`;
}

/** Where wasm-vips' files are, checked to be the pinned version. */
export function wasmVipsLib(fromDir = process.cwd()) {
  const require = createRequire(join(fromDir, 'package.json'));
  // (package.json is not in the package's exports; vips.wasm is, in lib/)
  const lib = dirname(require.resolve('wasm-vips/vips.wasm'));
  const pkg = JSON.parse(readFileSync(join(lib, '..', 'package.json'), 'utf8'));
  if (pkg.version !== WASM_VIPS_VERSION)
    throw new Error(
      `vips-csp: wasm-vips ${pkg.version} installed, scripts/vips-csp.mjs was written for ${WASM_VIPS_VERSION}`,
    );
  return lib;
}

/** The files the extension ships under vips/: the rewritten glue and the unchanged wasm. */
export function vipsPublicFiles(fromDir = process.cwd()) {
  const lib = wasmVipsLib(fromDir);
  return [
    {
      relativeDest: 'vips/vips-es6.js',
      contents: cspSafeVipsGlue(readFileSync(join(lib, 'vips-es6.js'), 'utf8')),
    },
    { relativeDest: 'vips/vips.wasm', absoluteSrc: join(lib, 'vips.wasm') },
    { relativeDest: 'vips/vips-heif.wasm', absoluteSrc: join(lib, 'vips-heif.wasm') },
  ];
}
