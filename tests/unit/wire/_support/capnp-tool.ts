/** The reference implementation (`capnp`, Debian package capnproto) as a test oracle. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { need } from '../../../_tools.ts';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const SCHEMAS = join(REPO, 'schemas');

export const SKIP_REASON =
  'capnp (Debian package capnproto) is not on PATH; interop with the reference implementation cannot be checked';
/** Throws under CI=true when capnp is missing: .ci/run installs it, so a skip there would hide a gap. */
export const HAS_CAPNP = need('capnp', spawnSync('capnp', ['--version']).status === 0, SKIP_REASON);

/** Runs `capnp <args>` with `input` on stdin; throws with capnp's stderr on failure. */
export function capnp(args: readonly string[], input: Uint8Array | string): Buffer {
  const res = spawnSync('capnp', args, { input, maxBuffer: 256 << 20, cwd: REPO });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`capnp ${args.join(' ')} failed: ${res.stderr.toString()}`);
  return res.stdout;
}

export function schemaPath(file: string): string {
  return join(SCHEMAS, file);
}
