/** The drift check as CI runs it: a real process (slow: tsx plus the TypeScript compiler load). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_CAPNP, REPO, SKIP_REASON } from '../../unit/wire/_support/capnp-tool.ts';

describe.skipIf(!HAS_CAPNP)(HAS_CAPNP ? 'schemas:check' : `schemas:check (skipped: ${SKIP_REASON})`, () => {
  it('scripts/schemas-check.mjs exits 0 on the committed tree', () => {
    const res = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['scripts/schemas-check.mjs'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/schemas\/gen is up to date \(4 files\)/);
    expect(res.status).toBe(0);
  }, 120_000);
});
