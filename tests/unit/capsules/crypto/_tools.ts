/** Command-line reference tools (b3sum, sha256sum, brotli): present or not, and a skip note saying so. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const seen = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = seen.get(name);
  if (ok === undefined) {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore' });
      ok = true;
    } catch {
      ok = false;
    }
    seen.set(name, ok);
  }
  return ok;
}

/** A test-name suffix that says why a tool-dependent test was skipped (empty when all are present). */
export function skipNote(...tools: string[]): string {
  const missing = tools.filter((t) => !hasTool(t));
  return missing.length ? ` — SKIPPED: ${missing.join(', ')} not installed` : '';
}

/**
 * Runs a `*sum`-style tool once over many inputs (one process, not one per input: spawning costs
 * ~30 ms each here) and returns the hex digests in input order.
 */
export function digestsWith(
  tool: string,
  inputs: readonly Uint8Array[],
  args: readonly string[] = [],
): string[] {
  const dir = mkdtempSync(join(tmpdir(), `inos-${tool}-`));
  try {
    const files = inputs.map((input, i) => {
      const f = join(dir, String(i));
      writeFileSync(f, input);
      return f;
    });
    const out = execFileSync(tool, [...args, ...files])
      .toString()
      .trim()
      .split('\n');
    if (out.length !== inputs.length)
      throw new Error(`${tool} printed ${out.length} lines for ${inputs.length} files`);
    return out.map((line) => line.split(' ')[0] as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
