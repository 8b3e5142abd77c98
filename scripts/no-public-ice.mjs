// @libp2p/webrtc falls back to four public STUN servers (Google, Twilio, Cloudflare, Mozilla) when a
// caller passes no `rtcConfiguration` (dist/src/constants.js DEFAULT_ICE_SERVERS). INOS always passes
// its own (`iceServers: []` unless the user configured servers), and this build step empties the
// fallback too, so no build ships a public host it was not given (tests/unit/mesh/libp2p/
// no-public-hosts.test.ts scans the builds). Used by wxt.config.ts (Vite) and scripts/build-cli.mjs.
export const WEBRTC_CONSTANTS = /[\\/]@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]constants\.js$/;

export function stripPublicIce(code) {
  const out = code.replace(
    /export const DEFAULT_ICE_SERVERS = \[[^\]]*\];/,
    'export const DEFAULT_ICE_SERVERS = [];',
  );
  if (out === code)
    throw new Error(
      'no-public-ice: DEFAULT_ICE_SERVERS not found in @libp2p/webrtc constants; update scripts/no-public-ice.mjs',
    );
  return out;
}

/** Vite/Rollup plugin. */
export const noPublicIceVite = () => ({
  name: 'inos-no-public-ice',
  enforce: 'pre',
  transform(code, id) {
    return WEBRTC_CONSTANTS.test(id.split('?')[0]) ? { code: stripPublicIce(code), map: null } : null;
  },
});

/** esbuild plugin. */
export const noPublicIceEsbuild = () => ({
  name: 'inos-no-public-ice',
  setup(build) {
    build.onLoad({ filter: WEBRTC_CONSTANTS }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      return { contents: stripPublicIce(await readFile(args.path, 'utf8')), loader: 'js' };
    });
  },
});
