/**
 * Node-only brotli-wasm loader (the CLI and unit tests). Never import this from extension code: it
 * pulls in node:module, and brotli-wasm's CommonJS build reads its .wasm with node:fs.
 *
 * Why `require` and not `import('brotli-wasm')`: the package's "import" condition is its web build,
 * which fetches the .wasm from an `import.meta.url`-relative file: URL — Node's fetch refuses file:.
 */
import { createRequire } from 'node:module';
import type { BrotliLoader, BrotliWasm } from './brotli-loader.ts';

export const nodeBrotliLoader: BrotliLoader = async () =>
  createRequire(import.meta.url)('brotli-wasm') as BrotliWasm;
