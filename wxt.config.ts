import { fileURLToPath } from 'node:url';
import { defineConfig } from 'wxt';
import { noPublicIceVite } from './scripts/no-public-ice.mjs';
import { vipsPublicFiles } from './scripts/vips-csp.mjs';

// The manifest is part of the product's contract: tests/unit/manifest.test.ts reads the built one
// and fails if permissions, isolation headers or the CSP drift from what is declared here.
export default defineConfig({
  srcDir: '.',
  entrypointsDir: 'entrypoints',
  outDir: '.output',
  manifestVersion: 3,
  manifest: {
    name: 'INOS — idle compute',
    description:
      'Contribute idle CPU/GPU cycles to a verified peer-to-peer compute mesh and earn credits. Paused until you turn it on.',
    // system.cpu: whole-machine CPU times, to pause while the user's own programs keep the computer busy.
    permissions: ['offscreen', 'idle', 'storage', 'alarms', 'system.cpu'],
    // Makes extension pages, the offscreen document and its workers crossOriginIsolated, so they can
    // share a SharedArrayBuffer (checked in Chromium 156, see docs/ARCHITECTURE.md).
    cross_origin_opener_policy: { value: 'same-origin' },
    cross_origin_embedder_policy: { value: 'require-corp' },
    content_security_policy: {
      extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
    },
  },
  hooks: {
    // The self-test page (entrypoints/selftest) exists only in `wxt build --mode test`: it runs the
    // engine, the chunk store and the GPU path in a real browser for tests/e2e and bench/chromium.
    'entrypoints:resolved': (wxt, entrypoints) => {
      if (wxt.config.mode === 'test') return;
      const i = entrypoints.findIndex((e) => e.name === 'selftest');
      if (i >= 0) entrypoints.splice(i, 1);
    },
    // wasm-vips for image jobs: its browser glue rewritten without eval/new Function (the CSP forbids
    // them; scripts/vips-csp.mjs) and the unchanged vips.wasm + vips-heif.wasm, the bytes Node runs.
    'build:publicAssets': (_wxt, files) => {
      files.push(...vipsPublicFiles(fileURLToPath(new URL('.', import.meta.url))));
    },
  },
  vite: () => ({
    build: { target: 'es2022', sourcemap: false },
    // Empties @libp2p/webrtc's public-STUN fallback list (scripts/no-public-ice.mjs).
    plugins: [noPublicIceVite()],
    worker: { format: 'es' },
    resolve: {
      // brotli-wasm's package exports hide its web build; the extension needs it (with the .wasm
      // shipped inside the extension: MV3 forbids remote code).
      alias: {
        'brotli-wasm-web': fileURLToPath(new URL('./node_modules/brotli-wasm/pkg.web', import.meta.url)),
      },
    },
  }),
});
