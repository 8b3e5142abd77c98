#!/usr/bin/env node
// `inos` entry point. The CLI is TypeScript (src/cli/), bundled by scripts/build-cli.mjs because
// Node 20 cannot run .ts files. `npm ci` builds the bundle (postinstall); this stub rebuilds it when it
// is missing or older than any source file, so `npx inos` always runs the code in the checkout.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist/cli/inos.mjs');

function newestSource(dir) {
  if (!existsSync(dir)) return 0; // an installed package: the bundle is all there is
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|mjs|js|json|wgsl|capnp)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < newestSource(join(root, 'src'));
if (stale) {
  if (!existsSync(join(root, 'scripts/build-cli.mjs')) || !existsSync(join(root, 'node_modules/esbuild'))) {
    process.stderr.write(
      'inos: the CLI bundle (dist/cli/inos.mjs) is missing or stale and esbuild is not installed.\n' +
        'Run `npm ci` in the checkout, then try again.\n',
    );
    process.exit(1);
  }
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(
    process.execPath,
    [join(root, 'scripts/build-cli.mjs'), '--quiet', '--outfile', bundle],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) {
    process.stderr.write('inos: building the CLI failed (see above).\n');
    process.exit(1);
  }
}
const { runEntry } = await import(new URL(`file://${bundle}`).href);
// Runs the command and releases WebRTC's native threads, which would keep the process up (src/cli/main.ts runEntry).
await runEntry(process.argv.slice(2));
