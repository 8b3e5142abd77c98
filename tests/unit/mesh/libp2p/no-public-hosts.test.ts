/**
 * No build names a public STUN/TURN server or bootstrap host the user did not give it. Scans every
 * built artefact present (the extension, its test build, the CLI bundle); `npm test` builds the two
 * extensions before the unit tests, so under CI=true at least one must be there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLIC_HOST_PATTERNS } from '../../../../src/mesh/libp2p/public-hosts.ts';
import { DEFAULT_SETTINGS } from '../../../../src/scheduler/settings.ts';
import { stripPublicIce } from '../../../../scripts/no-public-ice.mjs';

const BUILDS = ['.output/chrome-mv3', '.output/chrome-mv3-test', 'dist/cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.(m?js|json|html)$/.test(name) ? [p] : [];
  });
}

describe('no public STUN/TURN/bootstrap host in any build', () => {
  it('scans the built extension(s) and CLI', () => {
    const present = BUILDS.filter((d) => existsSync(d));
    if (present.length === 0) {
      if (process.env['CI'] === 'true')
        throw new Error('no build to scan: npm test builds the extension first');
      console.log('SKIPPED locally: no build present (run npm run build)');
      return;
    }
    const hits: string[] = [];
    for (const f of present.flatMap(files)) {
      const text = readFileSync(f, 'utf8');
      for (const re of PUBLIC_HOST_PATTERNS) {
        const m = re.exec(text);
        if (m) hits.push(`${f}: ${m[0]}`);
      }
    }
    console.log(`[no-public-hosts] scanned ${present.join(', ')}`);
    expect(hits).toEqual([]);
  });

  it('ships no bootstrap peer by default', () => {
    expect(DEFAULT_SETTINGS.mesh.bootstrap).toEqual([]);
  });

  it("empties @libp2p/webrtc's public STUN fallback, and fails loudly if upstream renames it", () => {
    const src = readFileSync('node_modules/@libp2p/webrtc/dist/src/constants.js', 'utf8');
    expect(PUBLIC_HOST_PATTERNS.some((re) => re.test(src))).toBe(true);
    const out = stripPublicIce(src);
    expect(PUBLIC_HOST_PATTERNS.filter((re) => re.test(out))).toEqual([]);
    expect(() => stripPublicIce('export const OTHER = 1;')).toThrow(/DEFAULT_ICE_SERVERS not found/);
  });
});
