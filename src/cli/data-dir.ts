/**
 * Where the CLI keeps its state besides the chunk store: the workflow journal and the metrics file.
 * `$INOS_HOME`, else `$XDG_DATA_HOME/inos`, else `~/.local/share/inos`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['INOS_HOME']) return env['INOS_HOME'];
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'inos');
}

export const defaultJournalDir = (env: NodeJS.ProcessEnv = process.env) => join(dataDir(env), 'journal');
export const defaultMetricsFile = (env: NodeJS.ProcessEnv = process.env) =>
  join(dataDir(env), 'metrics.json');
