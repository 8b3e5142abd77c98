#!/usr/bin/env node
// Regenerates schemas/gen/ from schemas/*.capnp. Usage: npx tsx scripts/schemas-gen.mjs [--out <dir>]
// Needs capnpc on PATH (Debian package capnproto). Commit the result; schemas-check.mjs guards drift.
import { resolve } from 'node:path';
import { GEN_DIR, generateAll, writeGenerated } from './schemas-lib.mjs';

const i = process.argv.indexOf('--out');
const outDir = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : GEN_DIR;
try {
  const files = await generateAll();
  writeGenerated(files, outDir);
  for (const name of files.keys()) console.log(`[schemas:gen] ${outDir}/${name}`);
} catch (err) {
  console.error(`[schemas:gen] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
