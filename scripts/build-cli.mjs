#!/usr/bin/env node
// Bundles the `inos` CLI (src/cli/main.ts and everything it imports) into dist/cli/inos.mjs, which
// bin/inos.mjs loads, and the engine's worker thread (src/cli/node-worker.ts) into worker.mjs beside
// it, where src/cli/node-engine.ts looks for it, and the Requester library API into requester.mjs. Needed because Node 20 cannot run TypeScript.
// Usage: node scripts/build-cli.mjs [--outfile <path>]   (the worker goes to <dir of path>/worker.mjs)
import { build } from 'esbuild';
import { noPublicIceEsbuild } from './no-public-ice.mjs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--outfile');
const outfile = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : join(root, 'dist/cli/inos.mjs');

const bundle = (entry, out) =>
  build({
    entryPoints: [join(root, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // capnp-es is bundled too, so the CLI runs from a checkout without resolving node_modules at run time.
    packages: 'bundle',
    // Native addons and packages that load files beside themselves stay in node_modules: webgpu
    // (Dawn), onnxruntime-web (its .wasm), node-datachannel (WebRTC for `inos node`, a prebuilt addon).
    external: ['webgpu', 'onnxruntime-web', 'node-datachannel', '@node-datachannel/*'],
    plugins: [noPublicIceEsbuild()],
    sourcemap: 'linked',
    logLevel: 'warning',
    // CommonJS dependencies (ws) call require() for Node built-ins; an ESM bundle has no require.
    banner: {
      js: `// Built by scripts/build-cli.mjs from ${entry}. Do not edit.\nimport { createRequire as __inosCreateRequire } from 'node:module';\nconst require = __inosCreateRequire(import.meta.url);`,
    },
  });

const workerfile = join(dirname(outfile), 'worker.mjs');
// The library API (`import { Requester } from 'inos'`, package.json "exports").
const libfile = join(dirname(outfile), 'requester.mjs');
await Promise.all([
  bundle('src/cli/main.ts', outfile),
  bundle('src/cli/node-worker.ts', workerfile),
  bundle('src/cli/requester.ts', libfile),
]);
if (!process.argv.includes('--quiet')) {
  console.log(`[build:cli] ${outfile}`);
  console.log(`[build:cli] ${workerfile}`);
  console.log(`[build:cli] ${libfile}`);
}
