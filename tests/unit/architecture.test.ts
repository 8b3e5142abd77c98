import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => resolveImport(dirname(file), s))
    .filter((p): p is string => !!p);
}

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(from, spec);
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
