// The web build of brotli-wasm, reached through the `brotli-wasm-web` alias in wxt.config.ts.
declare module 'brotli-wasm-web/brotli_wasm.js' {
  const glue: unknown;
  export default glue;
}
declare module 'brotli-wasm-web/brotli_wasm_bg.wasm?url' {
  const url: string;
  export default url;
}
