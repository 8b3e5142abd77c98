/** The CLI run straight from TypeScript with tsx, as during development (slow: tsx start-up). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_CAPNP, REPO, SKIP_REASON } from '../../unit/wire/_support/capnp-tool.ts';

describe.skipIf(!HAS_CAPNP)(HAS_CAPNP ? 'inos under tsx' : `inos under tsx (skipped: ${SKIP_REASON})`, () => {
  const tsx = (args: string[], input: string | Uint8Array = '') =>
    spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['src/cli/main.ts', ...args], { cwd: REPO, input });

  it('runs as the entry module and round-trips a LifecycleCmd', () => {
    const json = '{"command":"drain","reason":"héllo 世界 🚀","timestampMs":"9007199254740993"}';
    const enc = tsx(['encode', 'schemas/orchestration.capnp', 'LifecycleCmd'], json);
    expect(enc.status).toBe(0);
    const dec = tsx(['decode', 'schemas/orchestration.capnp', 'LifecycleCmd'], enc.stdout);
    expect(dec.status).toBe(0);
    expect(JSON.parse(dec.stdout.toString('utf8'))).toEqual(JSON.parse(json));
  }, 60_000);
});
