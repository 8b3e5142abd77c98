/** Command-line reference tools (b3sum, sha256sum, brotli): present or not, and a skip note saying so. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { hasTool, needTools, skipNote } from '../../../_tools.ts';

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
