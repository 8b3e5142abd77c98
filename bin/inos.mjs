#!/usr/bin/env node
// `inos` entry point. The CLI is TypeScript (src/cli/), bundled by scripts/build-cli.mjs because
// Node 20 cannot run .ts files; this stub only finds the bundle and says how to build it if absent.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/inos.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'inos: the CLI is not built yet (dist/cli/inos.mjs is missing).\n' +
      'Run `npm run build:cli` (or `node scripts/build-cli.mjs`) once, then try again.\n',
  );
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
