#!/usr/bin/env node
// Bundles the `inos` CLI (src/cli/main.ts and everything it imports) into dist/cli/inos.mjs, which
// bin/inos.mjs loads. Needed because Node 20 cannot run TypeScript. Usage: node scripts/build-cli.mjs [--outfile <path>]
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--outfile');
const outfile = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : join(root, 'dist/cli/inos.mjs');

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // capnp-es is bundled too, so the CLI runs from a checkout without resolving node_modules at run time.
  packages: 'bundle',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build-cli.mjs from src/cli/main.ts. Do not edit.' },
});
console.log(`[build:cli] ${outfile}`);
