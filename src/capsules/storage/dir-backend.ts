/**
 * Node-only: chunk files in a directory, for the `inos run` CLI. Never import this from extension
 * code (it uses node:fs). Paths `ab/ab…` become subfolders. Writes go to a temp file renamed over
 * the target (atomic on POSIX), so a crash never leaves a torn chunk.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { splitBlobPath, type BlobBackend } from './backends.ts';

export class DirBackend implements BlobBackend {
  /** `root` is created on first write. */
  constructor(private readonly root: string) {}

  async write(path: string, bytes: Uint8Array): Promise<void> {
    const full = this.resolve(path);
    await mkdir(join(full, '..'), { recursive: true });
    const tmp = `${full}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, full);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      const b = await readFile(this.resolve(path));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    await rm(this.resolve(path), { force: true });
  }

  async list(): Promise<string[]> {
    try {
      const names = await readdir(this.root, { recursive: true, withFileTypes: true });
      return names
        .filter((d) => d.isFile() && !d.name.endsWith('.tmp'))
        .map((d) =>
          join(d.parentPath, d.name)
            .slice(this.root.length + 1)
            .split(sep)
            .join('/'),
        );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private resolve(path: string): string {
    return join(this.root, ...splitBlobPath(path));
  }
}
