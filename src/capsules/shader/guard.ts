/**
 * Loop guards for requester WGSL. A WebGPU implementation cannot pre-empt a running dispatch: on
 * SwiftShader and most real GPUs an endless loop holds the queue until the driver's watchdog kills
 * the whole GPU process (CAPSULES.md §5; gpuweb#6252). So every `loop`, `for` and `while` body gets a
 * counter check as its first statement, which bounds each invocation's work; a tripped guard breaks
 * out of the loop and raises a flag the capsule reads back, and the job fails with a clear error.
 *
 * Two guards, because of WGSL's uniformity rules (spec §15.2): a loop whose body reaches a barrier
 * must stay in uniform control flow, so its guard reads a workgroup counter through
 * `workgroupUniformLoad` (itself a barrier, lowered by Tint to barrier-load-barrier, so the write
 * after it cannot race with the reads); every other loop counts in a private per-invocation counter.
 *
 * This works on the source text (comments blanked first; WGSL has no string literals), which is enough
 * because WGSL's loop heads cannot contain `{`: after `for (…)`, `while cond` or `loop` the next `{`
 * opens the body.
 */

/** The capsule's own bindings live in this group; requester code may only use group 0. */
export const GUARD_GROUP = 1;
/** `@group(1) @binding(0)`: the dispatch slice's workgroup offset, filled by the capsule. */
export const OFFSET_BINDING = 0;
/** `@group(1) @binding(1)`: set to 1 by a tripped loop guard. */
export const TRIP_BINDING = 1;
/** Name the requester declares to receive the slice offset (`var<uniform> inos_offset: vec3u`). */
export const OFFSET_NAME = 'inos_offset';

const BARRIER_CALLS = /\b(workgroupBarrier|storageBarrier|textureBarrier|workgroupUniformLoad)\s*\(/;

/** Replaces comments (line and nested block) with spaces, keeping every offset. */
export function blankComments(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    if (code.startsWith('//', i)) {
      const end = code.indexOf('\n', i);
      const stop = end < 0 ? code.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (code.startsWith('/*', i)) {
      let depth = 0;
      const start = i;
      do {
        if (code.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (code.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < code.length);
      out += code.slice(start, i).replace(/[^\n]/g, ' ');
    } else out += code[i++];
  }
  return out;
}

/** Index of the bracket closing the one at `open` (`(`/`)` or `{`/`}`), or -1. */
function matching(text: string, open: number): number {
  const o = text[open];
  const c = o === '(' ? ')' : '}';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i;
  }
  return -1;
}

/** Names of user functions that reach a barrier, directly or through calls. */
function barrierFunctions(text: string): Set<string> {
  const bodies = new Map<string, string>();
  for (const m of text.matchAll(/\bfn\s+([A-Za-z_]\w*)/g)) {
    const open = text.indexOf('{', m.index);
    const close = open < 0 ? -1 : matching(text, open);
    if (close > 0) bodies.set(m[1]!, text.slice(open, close + 1));
  }
  const found = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, body] of bodies) {
      if (found.has(name)) continue;
      const calls = [...found].some((f) => new RegExp(`\\b${f}\\s*\\(`).test(body));
      if (BARRIER_CALLS.test(body) || calls) {
        found.add(name);
        changed = true;
      }
    }
  }
  return found;
}

export interface GuardedCode {
  code: string;
  /** Loops instrumented. */
  loops: number;
}

/**
 * Inserts the guards. `maxSteps` bounds the loop iterations one invocation (private guard) or one
 * workgroup (uniform guard) may run in one dispatch, summed over all its loops.
 */
export function guardLoops(code: string, maxSteps: number): GuardedCode {
  const text = blankComments(code);
  const viaBarrier = barrierFunctions(text);
  const reachesBarrier = (body: string) =>
    BARRIER_CALLS.test(body) || [...viaBarrier].some((f) => new RegExp(`\\b${f}\\s*\\(`).test(body));
  const inserts: { at: number; uniform: boolean }[] = [];
  for (const m of text.matchAll(/\b(loop|for|while)\b/g)) {
    let from = m.index + m[0].length;
    if (m[1] === 'for') {
      const paren = text.indexOf('(', from);
      const close = paren < 0 ? -1 : matching(text, paren);
      if (close < 0) continue; // Malformed: the compiler reports it.
      from = close + 1;
    }
    const open = text.indexOf('{', from);
    const close = open < 0 ? -1 : matching(text, open);
    if (close < 0) continue;
    inserts.push({ at: open + 1, uniform: reachesBarrier(text.slice(open, close + 1)) });
  }
  let out = code;
  for (const { at, uniform } of inserts.sort((a, b) => b.at - a.at))
    out = `${out.slice(0, at)} if (${uniform ? '_inos_wguard' : '_inos_guard'}()) { break; }${out.slice(at)}`;
  if (inserts.length === 0) return { code, loops: 0 };
  const n = `${Math.floor(maxSteps)}u`;
  const prelude = [
    `@group(${GUARD_GROUP}) @binding(${TRIP_BINDING}) var<storage, read_write> _inos_trip: atomic<u32>;`,
    'var<private> _inos_steps: u32;',
    `fn _inos_guard() -> bool { _inos_steps += 1u; if (_inos_steps > ${n}) { atomicStore(&_inos_trip, 1u); return true; } return false; }`,
  ];
  if (inserts.some((i) => i.uniform))
    prelude.push(
      'var<workgroup> _inos_wsteps: u32;',
      `fn _inos_wguard() -> bool { let n = workgroupUniformLoad(&_inos_wsteps); _inos_wsteps = n + 1u; if (n >= ${n}) { atomicStore(&_inos_trip, 1u); return true; } return false; }`,
    );
  // Appended, not prepended, so the compiler's line numbers match the requester's source.
  return { code: `${out}\n${prelude.join('\n')}\n`, loops: inserts.length };
}
