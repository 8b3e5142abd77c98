/**
 * The CLI's metrics across runs: one JSON snapshot (src/workflow/metrics.ts), updated after each job
 * or workflow by merging what the run observed (write to a temp file, then rename, so a crash never
 * leaves half a file). Two processes finishing at once may lose one update; metrics are advisory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Metrics } from '../workflow/metrics.ts';

export function loadMetrics(file: string): { metrics: Metrics; problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { metrics: new Metrics(), problem: '' };
  }
  return Metrics.parse(text);
}

/** Merges `run` into the file's snapshot; returns '' or why it could not (the caller warns, never fails). */
export function recordMetrics(file: string, run: Metrics): string {
  try {
    const { metrics } = loadMetrics(file);
    metrics.merge(run.toJSON());
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(metrics.toJSON()));
    renameSync(tmp, file);
    return '';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
