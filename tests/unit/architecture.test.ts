import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capsule } from '../../src/capsules/capsule';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MANIFEST = join(ROOT, '.output', 'chrome-mv3', 'manifest.json');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers of static imports, re-exports, side-effect imports and dynamic import()s. */
function specsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const patterns = [
    /(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
  ];
  return patterns.flatMap((re) => [...src.matchAll(re)].map((m) => m[1]!)).filter((s) => s.startsWith('.'));
}

function importsOf(file: string): string[] {
  return specsOf(file)
    .map((s) => resolveImport(dirname(file), s))
    .filter((p): p is string => !!p);
}

function resolveImport(from: string, spec: string): string | null {
  // Vite query suffixes (`?raw`, `?url`) name the same file.
  const base = resolve(from, spec.replace(/\?.*$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

describe('the built manifest (run `npm run build` first; `npm test` does)', () => {
  const manifest = () => {
    if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} is missing: run \`npm run build\` first`);
    return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, unknown>;
  };

  it('is MV3 with exactly the permissions it uses and no host permissions', () => {
    const m = manifest();
    expect(m.manifest_version).toBe(3);
    expect([...(m.permissions as string[])].sort()).toEqual([
      'alarms',
      'idle',
      'offscreen',
      'storage',
      'system.cpu',
    ]);
    expect(m.host_permissions ?? []).toEqual([]);
    expect(m.optional_host_permissions ?? []).toEqual([]);
    expect(m.content_scripts ?? []).toEqual([]);
  });

  it('makes extension pages cross-origin isolated', () => {
    const m = manifest();
    expect(m.cross_origin_opener_policy).toEqual({ value: 'same-origin' });
    expect(m.cross_origin_embedder_policy).toEqual({ value: 'require-corp' });
  });

  it("allows WebAssembly and nothing remote in the extension pages' CSP", () => {
    const csp = (manifest().content_security_policy as { extension_pages: string }).extension_pages;
    expect(csp).toBe("script-src 'self' 'wasm-unsafe-eval'; object-src 'self';");
  });

  it('ships the background worker, the offscreen document and the popup', () => {
    const m = manifest();
    expect(m.background).toMatchObject({ service_worker: 'background.js' });
    expect((m.action as { default_popup: string }).default_popup).toBe('popup.html');
    expect(existsSync(join(ROOT, '.output', 'chrome-mv3', 'offscreen.html'))).toBe(true);
  });
});

describe('test hooks', () => {
  const bundleText = (dir: string) => {
    const root = join(ROOT, '.output', dir);
    if (!existsSync(root))
      throw new Error(`${root} is missing: run \`npm run build && npm run build:test\` first`);
    const files: string[] = [];
    const visit = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) visit(p);
        else if (n.endsWith('.js')) files.push(readFileSync(p, 'utf8'));
      }
    };
    visit(root);
    return files.join('\n');
  };

  it('are compiled into the test build only, never into the shipped bundle', () => {
    expect(bundleText('chrome-mv3')).not.toContain('[inos test build]');
    const test = bundleText('chrome-mv3-test');
    expect(test).toContain('[inos test build] idle overridden');
    expect(test).toContain('[inos test build] power overridden');
  });
});

describe('source layout', () => {
  const src = walk(join(ROOT, 'src'));
  const entry = walk(join(ROOT, 'entrypoints'));

  it('keeps entrypoints thin: they wire, src/ holds the logic', () => {
    for (const f of entry) {
      const lines = readFileSync(f, 'utf8').split('\n').length;
      expect(lines, relative(ROOT, f)).toBeLessThanOrEqual(40);
    }
  });

  it('never imports entrypoints from src/', () => {
    for (const f of src)
      for (const dep of importsOf(f))
        expect(relative(ROOT, dep), relative(ROOT, f)).not.toMatch(/^entrypoints\//);
  });

  it('has no import cycles in src/', () => {
    const graph = new Map(src.map((f) => [f, importsOf(f)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(ROOT, p)).join(' → '));
        return;
      }
      state.set(f, 'visiting');
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of src) visit(f, []);
    expect(cycles).toEqual([]);
  });
});

/**
 * The layers of src/, lowest first. A folder may import its own files and folders of a LOWER layer
 * only: never one above, never a sibling in its own layer, so the folder graph has no cycles.
 *
 *   0  wire, sab, lifecycle, ledger, types,  — byte formats, the shared-memory bus, pure state, the
 *      random                                  one seeded PRNG
 *   1  capsules                              — the work itself; knows nothing of workers or buses
 *   2  engine                                — runs capsules' jobs over the bus (host and worker side)
 *   3  pool, mesh, workflow, market          — owns Workers (bus + pool + engine for a host); the
 *                                              peer-to-peer mesh; workflows over capsules; the market
 *   4  scheduler                             — the background's policy and queue
 *   5  messaging                             — typed protocols between contexts
 *   6  offscreen, cli, selftest              — hosts of the engine
 *   7  background, popup                     — the extension's top: service worker and UI
 *
 * A new folder must be placed here (the test names it), so its place is a decision, not an accident.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['wire', 'sab', 'lifecycle', 'ledger', 'types', 'random'],
  ['capsules'],
  ['engine'],
  ['pool', 'mesh', 'workflow', 'market'],
  ['scheduler', 'trade'],
  ['messaging'],
  ['offscreen', 'cli', 'selftest'],
  ['background', 'popup'],
];

describe('layers of src/', () => {
  const SRC = join(ROOT, 'src');
  const files = walk(SRC);
  const folderOf = (f: string) => relative(SRC, f).split(/[\\/]/)[0]!;
  const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

  it('places every folder of src/ in a layer', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    const unplaced = folders.filter(
      (n) => !rank.has(n) && walk(join(SRC, n)).length > 0, // a folder with only a README has no code
    );
    expect(unplaced, 'add these folders to LAYERS in tests/unit/architecture.test.ts').toEqual([]);
    for (const f of files) expect(relative(SRC, f), 'src/ holds folders only').toContain('/');
  });

  it('imports only downwards, and nothing from tests/, bench/ or scripts/', () => {
    const bad: string[] = [];
    for (const f of files)
      for (const spec of specsOf(f)) {
        const target = resolve(dirname(f), spec.replace(/\?.*$/, ''));
        const rel = relative(ROOT, target);
        if (/^(tests|bench|scripts)[\\/]/.test(rel)) {
          bad.push(`${relative(ROOT, f)} imports ${rel} (src/ must not depend on ${rel.split(/[\\/]/)[0]}/)`);
          continue;
        }
        if (!rel.startsWith(`src/`)) continue; // node_modules, schemas/gen
        const from = folderOf(f);
        const to = folderOf(target);
        if (from === to) continue;
        const rf = rank.get(from);
        const rt = rank.get(to);
        if (rf === undefined || rt === undefined) continue; // reported by the test above
        if (rt >= rf)
          bad.push(
            `${relative(ROOT, f)} imports src/${to} (layer ${rt}) from src/${from} (layer ${rf}): ${rt === rf ? 'a sibling' : 'upwards'}`,
          );
      }
    expect(bad).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files)
      for (const dep of importsOf(f)) {
        if (!dep.startsWith(SRC)) continue;
        const a = folderOf(f);
        const b = folderOf(dep);
        if (a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a)!).add(b);
      }
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
        return;
      }
      state.set(n, 'visiting');
      for (const d of edges.get(n) ?? []) visit(d, [...path, n]);
      state.set(n, 'done');
    };
    for (const n of edges.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });
});

/** True for a value shaped like a Capsule (src/capsules/capsule.ts). */
function isCapsule(v: unknown): v is Capsule {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Partial<Capsule>;
  return (
    typeof c.library === 'string' &&
    typeof c.version === 'string' &&
    typeof c.limits === 'object' &&
    typeof c.methods === 'object' &&
    c.methods !== null
  );
}

describe('capsules', () => {
  const CAPSULES = join(ROOT, 'src', 'capsules');
  const folders = readdirSync(CAPSULES).filter((n) => statSync(join(CAPSULES, n)).isDirectory());

  /**
   * Every capsule value a folder exports, from its index.ts and from any file that declares one
   * (`: Capsule =`, `satisfies Capsule`, a function returning Capsule).
   */
  async function capsulesIn(folder: string): Promise<Map<string, Capsule>> {
    const dir = join(CAPSULES, folder);
    const candidates = walk(dir).filter(
      (f) =>
        f === join(dir, 'index.ts') ||
        /:\s*Capsule\s*=|satisfies\s+Capsule\b|\)\s*:\s*Capsule\s*\{/.test(readFileSync(f, 'utf8')),
    );
    const found = new Map<string, Capsule>();
    for (const f of candidates) {
      const mod = (await import(f)) as Record<string, unknown>;
      for (const [name, v] of Object.entries(mod))
        if (isCapsule(v)) found.set(`${relative(ROOT, f)}#${name}`, v);
    }
    return found;
  }

  it('registers every capsule a folder of src/capsules exports in builtinCapsules', async () => {
    const { builtinCapsules } = await import('../../src/capsules/builtin');
    const registered = new Set(builtinCapsules);
    const seen = new Set<Capsule>();
    const missing: string[] = [];
    for (const folder of folders)
      for (const [where, c] of await capsulesIn(folder)) {
        seen.add(c);
        if (!registered.has(c))
          missing.push(`${where} (library "${c.library}") is not in src/capsules/builtin.ts`);
      }
    expect(missing).toEqual([]);
    // And the other way: builtin.ts lists nothing that no folder exports.
    expect(builtinCapsules.filter((c) => !seen.has(c)).map((c) => c.library)).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('gives each registered capsule a unique library name', async () => {
    const { builtinCapsules } = await import('../../src/capsules/builtin');
    const names = builtinCapsules.map((c) => c.library);
    expect(new Set(names).size).toBe(names.length);
  });
});
