/**
 * Node-only wasm-vips loader (the CLI, unit tests, benchmarks). Never import this from extension code.
 *
 * The specifier is computed so that esbuild (scripts/build-cli.mjs) leaves the import alone: the
 * package's Node glue finds vips.wasm, vips-heif.wasm and its own file (libvips' threads are
 * worker_threads started from it) next to itself in node_modules, so it must not be bundled.
 */
import { instantiateVips, quietVipsLog, type VipsFactory, type VipsLoader } from './vips-loader.ts';

const PACKAGE = ['wasm', 'vips'].join('-');

export const nodeVipsLoader: VipsLoader = async () => {
  const mod = (await import(/* @vite-ignore */ PACKAGE)) as { default: VipsFactory };
  // vips-heif.wasm brings AVIF; the JPEG XL side module is not loaded (no format of ours needs it).
  return instantiateVips(mod.default, { dynamicLibraries: ['vips-heif.wasm'], printErr: quietVipsLog });
};
