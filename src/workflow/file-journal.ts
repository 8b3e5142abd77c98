/**
 * The CLI's journal: one append-only file per workflow (`<dir>/<id>.wal`, one JSON record a line),
 * each durable append flushed to disk with fdatasync before it returns; compaction after `end` deletes the
 * file. Per-workflow files let several `inos` processes share one directory: a `<id>.lock` file holds
 * the pid of the process running the workflow, and recovery takes over only workflows whose process
 * is gone.
 *
 * A crash can tear the last line; a last line that is not JSON is dropped on reading (its transition
 * never took effect, since the orchestrator waits for the append). A bad line before the last one is
 * corruption and is reported, not skipped.
 */
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { JournalCorruptError } from './errors.ts';
import type { Journal, JournalRecord } from './journal.ts';

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export class FileJournal implements Journal {
  private readonly fds = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly pid: number = process.pid,
    /** Whether a process is still running; default: signal 0. */
    private readonly alive: (pid: number) => boolean = processAlive,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private file(wf: string, ext: 'wal' | 'lock'): string {
    if (!ID.test(wf)) throw new RangeError(`workflow id "${wf.slice(0, 40)}" must match ${ID}`);
    return join(this.dir, `${wf}.${ext}`);
  }

  async append(record: JournalRecord, durable = true): Promise<void> {
    let fd = this.fds.get(record.wf);
    if (fd === undefined) {
      if (record.type === 'begin') this.lock(record.wf);
      fd = openSync(this.file(record.wf, 'wal'), 'a');
      this.fds.set(record.wf, fd);
    }
    writeSync(fd, `${JSON.stringify(record)}\n`);
    if (durable) fdatasyncSync(fd);
  }

  async unfinished(): Promise<JournalRecord[][]> {
    const out: JournalRecord[][] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.endsWith('.wal')) continue;
      const wf = name.slice(0, -4);
      if (!ID.test(wf) || this.fds.has(wf)) continue;
      const lock = readText(this.file(wf, 'lock'));
      const owner = Number(lock);
      if (Number.isInteger(owner) && owner > 0) {
        if (owner !== this.pid && this.alive(owner)) continue; // another live process runs it
      } else if (Date.now() - mtime(join(this.dir, name)) < ORPHAN_AFTER_MS) continue; // being begun

      const text = readText(join(this.dir, name));
      const records = parseLines(text, name);
      if (records.length === 0 || records.some((r) => r.type === 'end')) {
        await this.compact(wf); // finished (or never begun): only the deletion was lost
        continue;
      }
      this.lock(wf); // ours now
      out.push(records);
    }
    return out.sort((a, b) => a[0]!.at - b[0]!.at);
  }

  /** Written whole or not at all (rename), so a reader never sees an empty lock of a live owner. */
  private lock(wf: string): void {
    const tmp = `${this.file(wf, 'lock')}.${this.pid}.tmp`;
    writeFileSync(tmp, String(this.pid));
    renameSync(tmp, this.file(wf, 'lock'));
  }

  async compact(wf: string): Promise<void> {
    const fd = this.fds.get(wf);
    if (fd !== undefined) closeSync(fd);
    this.fds.delete(wf);
    rmSync(this.file(wf, 'wal'), { force: true });
    rmSync(this.file(wf, 'lock'), { force: true });
  }

  async close(): Promise<void> {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** A workflow file with no readable lock this recent may be being begun by another process. */
const ORPHAN_AFTER_MS = 60_000;

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseLines(text: string, where: string): JournalRecord[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      const r = JSON.parse(lines[i]!) as JournalRecord;
      if (!r || typeof r !== 'object' || typeof r.type !== 'string' || typeof r.wf !== 'string')
        throw new Error('not a journal record');
      out.push(r);
    } catch (err) {
      if (i === lines.length - 1) break; // torn by a crash mid-write: it never took effect
      throw new JournalCorruptError(
        `journal ${where} line ${i + 1} is unreadable: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  return out;
}
