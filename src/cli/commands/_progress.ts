/** A one-line progress bar on a TTY (stderr, redrawn in place); silent otherwise, but for the final line. */
import type { CliIo } from '../io.ts';

export interface ProgressBar {
  /** `share` 0..1. */
  update(share: number, detail: string): void;
  done(line: string): void;
}

export function progressBar(io: CliIo, tty: boolean, label: string, width = 24): ProgressBar {
  let last = '';
  return {
    update(share, detail) {
      if (!tty) return;
      const s = Math.max(0, Math.min(1, share));
      const fill = Math.round(s * width);
      const line = `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${Math.floor(s * 100)
        .toString()
        .padStart(3)}% ${detail}`;
      if (line !== last) io.writeStderr(line.padEnd(last.length));
      last = line;
    },
    done(line) {
      io.writeStderr(`${tty && last ? '\r'.padEnd(last.length + 1) + '\r' : ''}${line}\n`);
    },
  };
}
