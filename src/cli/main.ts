/**
 * `inos` command-line entry. Dispatches argv[0] to a registered subcommand (see commands/index.ts)
 * and maps failures to exit statuses: 2 for input the user can fix (bad arguments, schema, JSON or
 * frame bytes), 1 for anything unexpected.
 *
 * Node 20 cannot run TypeScript, so `scripts/build-cli.mjs` bundles this file to dist/cli/inos.mjs,
 * which bin/inos.mjs imports. During development: `npx tsx src/cli/main.ts <command> ...`.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EncodeError, FrameError } from '../wire/index.ts';
import { CliInputError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from './cli-error.ts';
import { releaseWebRtc } from './mesh-peer.ts';
import { COMMANDS } from './commands/index.ts';
import { type CliIo, processIo } from './io.ts';
import { CommandRegistry } from './registry.ts';

function helpText(registry: CommandRegistry): string {
  const width = Math.max(...registry.list().map((c) => c.name.length));
  const lines = registry.list().map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: inos <command> [arguments]\n\nCommands:\n${lines.join('\n')}\n\nRun \`inos <command> --help\` for details.\n`;
}

export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  registry: CommandRegistry = new CommandRegistry(COMMANDS),
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && args[0] !== undefined ? registry.get(args[0]) : undefined;
    io.writeStdout(topic ? `${topic.usage}\n` : helpText(registry));
    return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  const command = registry.get(name);
  if (command === undefined) {
    io.writeStderr(`inos: unknown command ${JSON.stringify(name)}\n\n${helpText(registry)}`);
    return EXIT_BAD_INPUT;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.writeStdout(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof CliInputError || err instanceof FrameError || err instanceof EncodeError) {
      const kind =
        err instanceof FrameError
          ? `bad frame (${err.code})`
          : err instanceof EncodeError
            ? 'bad value'
            : 'error';
      io.writeStderr(`inos ${name}: ${kind}: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.writeStderr(`inos ${name}: internal error (please report): ${detail}\n`);
    return EXIT_FAILURE;
  }
}

/** True when this module is the process entry (tsx or the bundle run directly), not when imported. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

/** How long the process may stay up once its command returned, WebRTC was released and its output drained. */
export const EXIT_AFTER_MS = 3_000;

/**
 * What the process entry runs (bin/inos.mjs, or this file run directly). A command that joined the
 * mesh over WebRTC leaves node-datachannel's native threads behind, which keep the event loop alive
 * and are invisible to getActiveResourcesInfo(); @libp2p/webrtc no longer calls node-datachannel's
 * process-wide cleanup() (libp2p PR #2498), so the entry does once every market peer stopped
 * (releaseWebRtc). Until this session the stub imported main() and never ran that, and a finished
 * `inos submit` stayed alive over 60 s after its last result (browsers slow test). Should anything
 * native still hold the loop, an unref'd timer exits once stdout and stderr are drained (exiting with
 * output still queued cut a 650 KB --json line short). Library users and tests call main() instead.
 */
export async function runEntry(argv: readonly string[]): Promise<void> {
  process.exitCode = await main(argv);
  await releaseWebRtc();
  setInterval(() => {
    if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) return;
    if (process.env['INOS_DEBUG'])
      process.stderr.write(
        `[inos] the command returned and the event loop is still held (${process.getActiveResourcesInfo().join(',') || 'nothing visible to JavaScript'}): exiting\n`,
      );
    process.exit();
  }, EXIT_AFTER_MS).unref();
}

if (isEntry()) await runEntry(process.argv.slice(2));
