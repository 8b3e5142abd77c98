/**
 * `inos run` as a real process with the workflow test capsule loaded (the crash test kills it with
 * SIGKILL): the CLI's own run command, given an engine factory that adds the capsule. The test bundles
 * this file with esbuild first (starting tsx in a process and its worker costs seconds on a loaded
 * machine). Not through src/cli/main.ts: in one bundle its "am I the entry?" check would start the
 * stock CLI as well. Usage: node <bundle> run workflow ...
 */
import { createRunCommand } from '../../../src/cli/commands/run.ts';
import { CliInputError } from '../../../src/cli/cli-error.ts';
import { processIo } from '../../../src/cli/io.ts';
import { startNodeEngine } from '../../../src/cli/node-engine.ts';
import { WF_CAPSULES } from './_engine.ts';

const start = ({ storeDir, workers }: { storeDir: string; workers?: number }) =>
  startNodeEngine({
    workers: workers ?? 1,
    tier: 'moderate',
    storeDir,
    capsules: WF_CAPSULES,
    // Bundled next to this file as .mjs, or run from source under tsx.
    workerUrl: new URL(
      import.meta.url.endsWith('.ts') ? './_wf-worker.ts' : './_wf-worker.mjs',
      import.meta.url,
    ),
  });

const [name, ...args] = process.argv.slice(2);
if (name !== 'run') throw new Error('usage: _cli-child run ...');
try {
  process.exitCode = await createRunCommand(start, WF_CAPSULES).run(args, processIo());
} catch (err) {
  process.stderr.write(`inos run: ${(err as Error).message}\n`);
  process.exitCode = err instanceof CliInputError ? 2 : 1;
}
