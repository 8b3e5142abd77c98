export declare const WEBRTC_CONSTANTS: RegExp;
export declare function stripPublicIce(code: string): string;
export declare function noPublicIceVite(): {
  name: string;
  enforce: 'pre';
  transform(code: string, id: string): { code: string; map: null } | null;
};
export declare function noPublicIceEsbuild(): { name: string; setup(build: unknown): void };
