/**
 * The extension's wasm-vips loader. wxt.config.ts copies the package's `vips-es6.js`, `vips.wasm` and
 * `vips-heif.wasm` unchanged into the extension under /wasm-vips/ (MV3 forbids remote code, and the
 * glue must stay one file: libvips' threads are nested module Workers started from its own URL), so
 * the glue is imported from there at run time rather than bundled.
 */
import { instantiateVips, quietVipsLog, type VipsFactory, type VipsLoader } from './vips-loader.ts';

/** Where wxt.config.ts puts the files, relative to the extension root. */
export const WASM_VIPS_DIR = 'wasm-vips';
export const WASM_VIPS_FILES = ['vips-es6.js', 'vips.wasm', 'vips-heif.wasm'] as const;

/** `base`: the folder URL holding the files, e.g. `new URL('/wasm-vips/', self.location.href)`. */
export function webVipsLoader(base: string | URL): VipsLoader {
  return async () => {
    if (!globalThis.crossOriginIsolated)
      throw new Error('wasm-vips needs SharedArrayBuffer: this context is not cross-origin isolated');
    const dir = new URL(base, globalThis.location?.href);
    const glue = new URL('vips-es6.js', dir).href;
    const mod = (await import(/* @vite-ignore */ glue)) as { default: VipsFactory };
    return instantiateVips(mod.default, {
      dynamicLibraries: ['vips-heif.wasm'],
      locateFile: (file: string) => new URL(file, dir).href,
      mainScriptUrlOrBlob: glue,
      printErr: quietVipsLog,
    });
  };
}
