#!/usr/bin/env node
// Fails (exit 1) when schemas/gen/ is not exactly what schemas-gen.mjs would write now.
// Usage: npx tsx scripts/schemas-check.mjs. Generates in memory (and, with --keep, into a temp dir
// for inspection), so it never touches the committed files.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffGenerated, generateAll, writeGenerated } from './schemas-lib.mjs';

try {
  const files = await generateAll();
  const drift = diffGenerated(files);
  if (process.argv.includes('--keep')) {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-gen-'));
    writeGenerated(files, dir);
    console.log(`[schemas:check] fresh output kept in ${dir}`);
  }
  if (drift.length > 0) {
    console.error('[schemas:check] schemas/gen is out of date with schemas/*.capnp:');
    for (const line of drift) console.error(`  - ${line}`);
    console.error('[schemas:check] run `npm run schemas:gen` and commit the result.');
    process.exit(1);
  }
  console.log(`[schemas:check] schemas/gen is up to date (${files.size} files).`);
} catch (err) {
  console.error(`[schemas:check] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
