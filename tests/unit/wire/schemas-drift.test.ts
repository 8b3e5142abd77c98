/**
 * schemas/gen/ must be exactly what scripts/schemas-gen.mjs produces from schemas/*.capnp now
 * (STYLE.md "schemas first"). Needs capnpc, like the generator itself.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_CAPNP, SKIP_REASON } from './_support/capnp-tool.ts';

interface SchemasLib {
  GEN_DIR: string;
  generateAll(): Promise<Map<string, string>>;
  diffGenerated(files: Map<string, string>, dir?: string): string[];
}

// A .mjs script without type declarations: import it dynamically and state the shape we use.
const libUrl = new URL('../../../scripts/schemas-lib.mjs', import.meta.url).href;
const suite = HAS_CAPNP ? 'generated schema code' : `generated schema code (skipped: ${SKIP_REASON})`;

describe.skipIf(!HAS_CAPNP)(suite, () => {
  it('schemas/gen is up to date with schemas/*.capnp', async () => {
    const lib: SchemasLib = await import(/* @vite-ignore */ libUrl);
    const drift = lib.diffGenerated(await lib.generateAll());
    expect(drift, `run npm run schemas:gen:\n${drift.join('\n')}`).toEqual([]);
  }, 30_000);

  it('the drift check reports a hand-edited generated file', async () => {
    const lib: SchemasLib = await import(/* @vite-ignore */ libUrl);
    const dir = mkdtempSync(join(tmpdir(), 'schemas-drift-'));
    try {
      cpSync(lib.GEN_DIR, dir, { recursive: true });
      const file = join(dir, 'layouts.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"offset":4,', '"offset":5,'));
      writeFileSync(join(dir, 'stale.ts'), '// left over\n');
      const drift = lib.diffGenerated(await lib.generateAll(), dir);
      expect(drift.join('\n')).toMatch(/changed: schemas\/gen\/layouts\.ts \(1 line\(s\) differ/);
      expect(drift.join('\n')).toMatch(/extra file: schemas\/gen\/stale\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
