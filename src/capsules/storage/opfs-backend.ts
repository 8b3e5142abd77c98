/**
 * Chunk files in the Origin Private File System (navigator.storage.getDirectory()), available in the
 * offscreen document and in workers of the extension origin. Paths `ab/ab…` become a folder per
 * first address byte under one root folder.
 *
 * Writes use `createWritable()`, which writes to a swap file and replaces the target on `close()`:
 * a crash mid-write leaves the old file (or none), never a torn one. (`createSyncAccessHandle` would
 * be faster but exists only in dedicated workers.)
 */
import { splitBlobPath, type BlobBackend } from './backends.ts';

function split(path: string): [dirs: string[], name: string] {
  const parts = splitBlobPath(path);
  const name = parts.pop() as string;
  return [parts, name];
}

/** Its async iteration is in lib.dom.asynciterable, which this project's tsconfig does not load. */
interface IterableDirectory {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}

const isNotFound = (err: unknown) => err instanceof DOMException && err.name === 'NotFoundError';

export class OpfsBackend implements BlobBackend {
  private constructor(private readonly root: FileSystemDirectoryHandle) {}

  /** Opens (creating) the folder `rootName` (e.g. 'inos-chunks') at the top of this origin's OPFS. */
  static async open(rootName: string): Promise<OpfsBackend> {
    const top = await navigator.storage.getDirectory();
    return new OpfsBackend(await top.getDirectoryHandle(rootName, { create: true }));
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    const [dirs, name] = split(path);
    const dir = await this.dir(dirs, true);
    const file = await (dir as FileSystemDirectoryHandle).getFileHandle(name, { create: true });
    const w = await file.createWritable();
    try {
      // A copy over a plain ArrayBuffer: the chunk may be a view of shared memory.
      await w.write(
        bytes.buffer instanceof ArrayBuffer
          ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
          : bytes.slice(),
      );
      await w.close();
    } catch (err) {
      await w.abort().catch(() => {});
      throw err;
    }
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    const [dirs, name] = split(path);
    try {
      const dir = await this.dir(dirs, false);
      if (!dir) return undefined;
      const file = await (await dir.getFileHandle(name)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    const [dirs, name] = split(path);
    try {
      const dir = await this.dir(dirs, false);
      await dir?.removeEntry(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
      for await (const [name, handle] of (dir as unknown as IterableDirectory).entries())
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
    };
    await walk(this.root, '');
    return out;
  }

  private async dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    let d = this.root;
    for (const p of parts) {
      try {
        d = await d.getDirectoryHandle(p, { create });
      } catch (err) {
        if (!create && isNotFound(err)) return undefined;
        throw err;
      }
    }
    return d;
  }
}
