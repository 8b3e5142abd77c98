// wgsl_reflect's package "main" is a CommonJS build that Node's ESM loader cannot name-import, so the
// code imports its ES module file, which ships without a declaration of its own; it has the root's types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
