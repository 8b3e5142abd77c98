export declare const WASM_VIPS_VERSION: string;
export declare function inosCraftInvoker(
  names: string[],
  values: unknown[],
  argTypes: unknown[],
  isMethod: boolean,
  useDtors: boolean,
  useStack: boolean,
  returns: boolean,
): (...args: unknown[]) => unknown;
export declare function inosEmvalInvoker(
  env: Record<string, unknown>,
  argCount: number,
  kind: number,
): (handle: number, methodName: number, destructorsRef: number, args: number) => unknown;
export declare function cspSafeVipsGlue(code: string): string;
export declare function wasmVipsLib(fromDir?: string): string;
export type VipsPublicFile =
  { relativeDest: string; contents: string } | { relativeDest: string; absoluteSrc: string };
export declare function vipsPublicFiles(fromDir?: string): VipsPublicFile[];
export declare const VIPS_THREADS: number;
