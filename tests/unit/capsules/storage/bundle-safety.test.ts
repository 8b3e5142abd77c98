/**
 * The extension bundle must never import node:* (the CLI-only files do). This follows every relative
 * import from the capsules' public entry points and fails naming the chain that reaches a Node module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const ENTRIES = ['src/capsules/crypto/index.ts', 'src/capsules/storage/index.ts'];
const NODE_ONLY = [
  'src/capsules/storage/brotli-node.ts',
  'src/capsules/storage/dir-backend.ts',
  'src/capsules/storage/json-file-index.ts',
  'src/capsules/storage/open-dir-store.ts',
];

function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [
    ...src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => (m[1] ?? m[2]) as string);
}

/** Chains from `entry` to each node:* import it reaches. */
function nodeChains(entry: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('node:'))
        found.push([...chain, file, spec].map((p) => relative(ROOT, p) || p).join(' → '));
      else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (existsSync(target)) visit(target, [...chain, file]);
      }
    }
  };
  visit(resolve(ROOT, entry), []);
  return found;
}

it.each(ENTRIES)('%s reaches no node:* module', (entry) => {
  expect(nodeChains(entry)).toEqual([]);
});

it('the Node-only files are the ones that say so (and do reach node:*)', () => {
  for (const f of NODE_ONLY) {
    expect(readFileSync(resolve(ROOT, f), 'utf8'), f).toMatch(/Node-only|Never import this from extension/);
    expect(nodeChains(f).length, f).toBeGreaterThan(0);
  }
});
