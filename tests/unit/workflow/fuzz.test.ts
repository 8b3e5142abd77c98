/**
 * 10⁴ seeded workflow definitions: valid ones with one known defect planted (each must be refused
 * with a message naming it) and random mutations and junk (each must either plan or be refused with a
 * WorkflowDefinitionError; anything else thrown is a crash). Valid ones also round-trip through the
 * Cap'n Proto form. Seed: SEED=<n> (printed); N=<count> to run more.
 */
import { describe, expect, it } from 'vitest';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import {
  decodeWorkflow,
  encodeWorkflow,
  parseWorkflowJson,
  planWorkflow,
  WorkflowDefinitionError,
} from '../../../src/workflow/index.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { WF_CAPSULES } from './_engine.ts';

const SEED = seedFromEnv(0xf022_2026);
const N = Number(process.env.N ?? 10_000);
console.log(`[workflow fuzz] seed ${SEED}, ${N} definitions`);
const registry = new CapsuleRegistry(WF_CAPSULES);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function generator(seed: number) {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const junk = (depth = 0): Json => {
    switch (int(depth > 3 ? 5 : 8)) {
      case 0:
        return null;
      case 1:
        return r() < 0.5;
      case 2:
        return pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0]);
      case 3:
        return pick([
          '',
          'x',
          '${',
          '${previous}',
          '${steps..x}',
          '${vars.__proto__}',
          'é\u0000',
          'steps.a',
          'a'.repeat(300),
        ]);
      case 4:
        return `\${${pick(['previous', 'steps', 'vars', 'nope'])}.${pick(['length', 'hex', 'a', 's0', 'x.y'])}}`;
      case 5:
        return Array.from({ length: int(4) }, () => junk(depth + 1));
      default: {
        const o: { [k: string]: Json } = {};
        for (let i = int(4); i > 0; i--)
          o[
            pick([
              'steps',
              'library',
              'method',
              'params',
              'input',
              'parallel',
              'onError',
              'budget',
              'name',
              'x',
              'constructor',
            ])
          ] = junk(depth + 1);
        return o;
      }
    }
  };
  const methods: Array<[string, string, Json]> = [
    ['crypto', 'sha256', {}],
    ['crypto', 'blake3', {}],
    ['storage', 'compress', { quality: 5 }],
    ['storage', 'put', {}],
    ['wftest', 'emit', { value: '${previous.length}' }],
  ];
  const valid = () => {
    const n = 1 + int(6);
    const steps = Array.from({ length: n }, (_, i) => {
      const [library, method, params] = pick(methods);
      const step: { [k: string]: Json } = { name: `s${i}`, library, method, params: structuredClone(params) };
      if (i > 0 && r() < 0.3) step['input'] = `steps.s${int(i)}`;
      if (r() < 0.2)
        step['conditional'] = { field: 'previous.length', operator: pick(['<', '>', '==']), value: int(100) };
      return step;
    });
    // Parallel pairs without references among themselves.
    for (let i = 0; i + 1 < n; i++)
      if (r() < 0.2 && !steps[i]!['conditional'] && !steps[i + 1]!['conditional']) {
        steps[i]!['parallel'] = {};
        steps[i + 1]!['parallel'] = {};
        delete steps[i + 1]!['input'];
        if (steps[i + 1]!['method'] === 'emit') steps[i + 1]!['params'] = { value: 1 };
        i++;
      }
    return {
      steps,
      onError: pick(['abort', 'skip', 'retry', 'rollback']),
      budget: int(1000),
      vars: { k: 'v' },
    } as {
      steps: Array<{ [k: string]: Json }>;
      [k: string]: Json;
    };
  };
  /** Plants one defect; returns what the message must mention. */
  const defects: Array<(w: ReturnType<typeof valid>) => RegExp> = [
    (w) => ((pick(w.steps)['library'] = 'nolib'), /unknown library "nolib"/),
    (w) => ((pick(w.steps)['method'] = 'nomethod'), /unknown method "nomethod"/),
    (w) => {
      const s = w.steps[0]!;
      s['input'] = `steps.${s['name']}`;
      return /its own output \(a cycle\)/;
    },
    (w) => {
      w.steps.push({ name: 'late', library: 'crypto', method: 'sha256' });
      w.steps[0]!['input'] = 'steps.late';
      delete w.steps[0]!['parallel'];
      return /refers to late, which comes after it|runs in parallel/;
    },
    (w) => {
      w.steps.push(
        { name: 'ca', library: 'wftest', method: 'emit', params: { value: '${steps.cb.x}' } },
        { name: 'cb', library: 'wftest', method: 'emit', params: { value: '${steps.ca.x}' } },
      );
      return /cycle ca → cb → ca/;
    },
    (w) => {
      w.steps.push({ library: 'crypto', method: 'sha256' });
      w.steps[w.steps.length - 1]!['name'] = w.steps[0]!['name']!;
      return /is used twice/;
    },
    (w) => ((w['onError'] = 'explode'), /onError must be one of/),
    (w) => ((pick(w.steps)['params'] = { value: '${vars.missing}' }), /vars do not define|bad params|params/),
    (w) => (
      (pick(w.steps)['conditional'] = { field: 'previous.length', operator: '=~', value: 1 }),
      /operator must be one of|parallel cannot be combined/
    ),
    (w) => ((w['budget'] = -5), /budget must be ≥ 0/),
    (w) => ((w.steps.length = 0), /at least one step/),
    (w) => ((pick(w.steps)['input'] = 'upstream'), /must be previous, workflow, none or steps.NAME/),
  ];
  return { int, r, pick, junk, valid, defects };
}

describe('fuzzed workflow definitions', () => {
  it(`${N} definitions: 0 crashes, every bad one refused with a message`, () => {
    const g = generator(SEED);
    let planned = 0;
    let refused = 0;
    const crashes: string[] = [];
    for (let i = 0; i < N; i++) {
      const kind = g.int(4);
      let text: string;
      let expected: RegExp | null = null;
      if (kind === 0) text = JSON.stringify(g.valid());
      else if (kind === 1) {
        const w = g.valid();
        expected = g.pick(g.defects)(w);
        text = JSON.stringify(w);
      } else if (kind === 2) {
        // A valid definition with one value replaced by junk.
        const w = g.valid();
        const s = g.pick(w.steps);
        s[g.pick(['library', 'method', 'params', 'input', 'conditional', 'name', 'parallel', 'extra'])] =
          g.junk();
        text = JSON.stringify(g.r() < 0.3 ? { workflow: w } : w);
      } else {
        const j = JSON.stringify(g.junk());
        // Truncated or byte-flipped text as well as structured junk.
        text = g.r() < 0.3 ? j.slice(0, g.int(j.length + 1)) : j;
      }
      try {
        const w = parseWorkflowJson(text);
        planWorkflow(w, registry);
        if (expected)
          crashes.push(
            `#${i}: accepted a definition with a planted defect (${expected}): ${text.slice(0, 300)}`,
          );
        else {
          planned++;
          expect(decodeWorkflow(encodeWorkflow(w))).toEqual(w);
        }
      } catch (err) {
        if (!(err instanceof WorkflowDefinitionError) || !err.message || err.problems.length === 0)
          crashes.push(
            `#${i}: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)} for ${text.slice(0, 300)}`,
          );
        else if (expected && !expected.test(err.message))
          crashes.push(`#${i}: refused, but the message does not say ${expected}: ${err.message}`);
        else refused++;
      }
    }
    console.log(
      `[workflow fuzz] ${planned} planned, ${refused} refused with a message, ${crashes.length} crashes`,
    );
    if (crashes.length)
      throw new Error(
        `seed ${SEED}: ${crashes.length} crashes, first ones:\n${crashes.slice(0, 5).join('\n')}`,
      );
    expect(planned).toBeGreaterThan(N / 10);
    expect(refused).toBeGreaterThan(N / 2);
  });
});
