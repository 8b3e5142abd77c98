/** `inos metrics`: latency percentiles, success, SLO violations, budgets and copies of past runs. */
import { rmSync } from 'node:fs';
import { readFlags } from './_shared.ts';
import { EXIT_OK } from '../cli-error.ts';
import { defaultMetricsFile } from '../data-dir.ts';
import { loadMetrics } from '../metrics-file.ts';
import type { Command } from '../registry.ts';

const USAGE = `Usage: inos metrics [--json] [--reset] [--metrics FILE]

Prints what this machine's jobs and workflows measured (every \`inos run\`): per library.method the
job count, success rate, latency p50/p95/p99 (histogram buckets 9 % wide), jobs over the 100 ms SLO,
credits used against budgets and bytes copied per job; workflows by outcome; arena efficiency.

Options:
  --json           the snapshot as JSON (with the summary), for other tools
  --reset          forget everything measured so far
  --metrics FILE   the metrics file (default $INOS_HOME/metrics.json, else ~/.local/share/inos/metrics.json)`;

export const metricsCommand: Command = {
  name: 'metrics',
  summary: 'latency percentiles, success rate, SLO violations and copies of past jobs',
  usage: USAGE,
  async run(args, io) {
    const flags = readFlags(args, { '--json': 'switch', '--reset': 'switch', '--metrics': 'value' }, USAGE);
    const json = flags.switches.has('--json');
    const reset = flags.switches.has('--reset');
    const file = flags.values.get('--metrics') ?? defaultMetricsFile();
    if (reset) {
      rmSync(file, { force: true });
      io.writeStderr(`inos metrics: cleared ${file}\n`);
      return EXIT_OK;
    }
    const { metrics, problem } = loadMetrics(file);
    if (problem) io.writeStderr(`inos metrics: ${file} is ${problem}; showing nothing\n`);
    io.writeStdout(json ? `${JSON.stringify(metrics.exportJson(), null, 2)}\n` : `${metrics.table()}\n`);
    return EXIT_OK;
  },
};
