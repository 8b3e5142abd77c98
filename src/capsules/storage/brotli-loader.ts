/**
 * Loading brotli-wasm, which differs per host, behind one injectable loader:
 *
 * - Node (the `inos run` CLI, unit tests): its CommonJS build reads the .wasm with node:fs and is ready
 *   synchronously — `nodeBrotliLoader` in ./brotli-node.ts (a Node-only file: the extension bundle must
 *   never import node:module/node:fs).
 * - Browser (offscreen document, workers): its ESM web build needs `init(wasmUrl)`; MV3's CSP needs
 *   `'wasm-unsafe-eval'`, and the URL must be the copy shipped inside the extension — `webBrotliLoader`.
 *   brotli-wasm's package.json `exports` only exposes ".", whose "import" condition auto-inits from an
 *   `import.meta.url`-relative URL; the explicit-URL glue (`pkg.web/brotli_wasm.js`) and the .wasm file
 *   are deep paths the bundler must be told about (see webBrotliLoader).
 *
 * Each host calls `setBrotliLoader` once at startup (in every Worker that runs storage jobs); after
 * that `loadBrotli()` resolves to one shared, initialised module.
 */

/** brotli-wasm's streaming result (see its pkg.*\/brotli_wasm.d.ts). `code`: BrotliStreamResultCode. */
export interface BrotliStreamResult {
  readonly buf: Uint8Array;
  readonly code: number;
  readonly input_offset: number;
  free(): void;
}

/** The part of brotli-wasm 3.x we use; identical in its node and web builds. */
export interface BrotliWasm {
  CompressStream: new (quality?: number) => {
    compress(input: Uint8Array | undefined, outputSize: number): BrotliStreamResult;
    free(): void;
  };
  DecompressStream: new () => {
    decompress(input: Uint8Array, outputSize: number): BrotliStreamResult;
    free(): void;
  };
}

/** BrotliStreamResultCode in brotli-wasm 3.x. */
export const BrotliCode = { ResultSuccess: 1, NeedsMoreInput: 2, NeedsMoreOutput: 3 } as const;

export type BrotliLoader = () => Promise<BrotliWasm>;

let loader: BrotliLoader | null = null;
let loaded: Promise<BrotliWasm> | null = null;

/** Sets how this context loads brotli-wasm. Call once per context (document or Worker) at startup. */
export function setBrotliLoader(next: BrotliLoader): void {
  loader = next;
  loaded = null;
}

/** The initialised module, loaded once per context; a failed load is retried on the next call. */
export function loadBrotli(): Promise<BrotliWasm> {
  if (!loader)
    return Promise.reject(
      new Error(
        'brotli-wasm is not configured in this context: call setBrotliLoader(nodeBrotliLoader) (Node) ' +
          'or setBrotliLoader(webBrotliLoader(...)) (extension) at startup',
      ),
    );
  if (!loaded) {
    const attempt = loader().catch((err: unknown) => {
      if (loaded === attempt) loaded = null;
      throw new Error(`brotli-wasm failed to load: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    loaded = attempt;
  }
  return loaded;
}

/** brotli-wasm's web glue module: `pkg.web/brotli_wasm.js` (its default export is `init`). */
export interface BrotliWebGlue extends BrotliWasm {
  default(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
}

/**
 * The browser loader. `importGlue` imports brotli-wasm's `pkg.web/brotli_wasm.js`; `wasm` is the URL of
 * `pkg.web/brotli_wasm_bg.wasm` as shipped in the extension (or its bytes / a compiled Module). With
 * Vite/WXT, for example (the `exports` map hides deep paths, so alias the folder in wxt.config.ts:
 * `vite: () => ({ resolve: { alias: { 'brotli-wasm-web': 'node_modules/brotli-wasm/pkg.web' } } })`):
 *
 *   import wasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
 *   setBrotliLoader(webBrotliLoader(() => import('brotli-wasm-web/brotli_wasm.js'), wasmUrl));
 */
export function webBrotliLoader(
  importGlue: () => Promise<BrotliWebGlue>,
  wasm: string | URL | BufferSource | WebAssembly.Module,
): BrotliLoader {
  return async () => {
    const glue = await importGlue();
    await glue.default(typeof wasm === 'string' ? new URL(wasm, globalThis.location?.href) : wasm);
    return glue;
  };
}
