/**
 * Gates for tests that need an outside tool (capnp, b3sum, vips, espeak-ng…) or a capability (a WebGPU
 * adapter, WASM SIMD). `.ci/run` installs every tool, so under `CI=true` a missing one is a failure,
 * never a silent skip; locally the test skips and says so once on stderr.
 */
import { spawnSync } from 'node:child_process';

const seen = new Map<string, boolean>();
const warned = new Set<string>();

/** Whether `name --version` (or `name ...args`) runs and exits 0. Cached per process. */
export function hasTool(name: string, args: readonly string[] = ['--version']): boolean {
  const key = `${name}\0${args.join('\0')}`;
  let ok = seen.get(key);
  if (ok === undefined) {
    const res = spawnSync(name, args, { stdio: 'ignore' });
    ok = !res.error && res.status === 0;
    seen.set(key, ok);
  }
  return ok;
}

export const IN_CI = process.env.CI === 'true';

/**
 * True when the capability is present. When it is not: throws under CI (the test file fails with a
 * message naming what is missing and who installs it), returns false locally after one warning.
 */
export function need(what: string, present: boolean, why = ''): boolean {
  if (present) return true;
  const msg = `${what} is missing${why ? ` (${why})` : ''}`;
  if (IN_CI) throw new Error(`${msg}: CI must not skip — .ci/run installs every tool the tests use`);
  if (!warned.has(msg)) {
    warned.add(msg);
    console.warn(`SKIPPED locally: ${msg}`);
  }
  return false;
}

/** `need()` for command-line tools: true when every tool runs. */
export function needTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  return need(missing.join(', '), missing.length === 0, 'command-line tool not on PATH');
}

/** A test-name suffix that says why a tool-dependent test was skipped (empty when all are present). */
export function skipNote(...tools: string[]): string {
  const missing = tools.filter((t) => !hasTool(t));
  return missing.length ? ` — SKIPPED: ${missing.join(', ')} not installed` : '';
}
