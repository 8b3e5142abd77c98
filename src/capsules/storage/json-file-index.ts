/**
 * Node-only chunk index for the CLI: entries in `<dir>/index.json`, the at-rest key in `<dir>/key`
 * (mode 0600, linked into place so two processes cannot each make one). Never import this from
 * extension code (it uses node:fs).
 *
 * The whole index is rewritten (to a temp file, then renamed over, so a crash keeps the old or the new
 * file) on every put/delete. `touch` only marks it dirty: LRU order may lose the last accesses on a
 * crash, which costs at most a worse eviction choice. Sized for the CLI: ~100 bytes per entry, so a
 * 1 GiB store of 1 MiB chunks rewrites ~100 KiB per put.
 */
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChunkMeta, IndexBackend, IndexStats } from './backends.ts';

/** Unique per call, so two writers (processes or instances) never share a temp file. */
const tmpSuffix = () => randomBytes(6).toString('hex');

interface FileShape {
  v: 1;
  chunks: Record<string, ChunkMeta>;
}

export class JsonFileIndex implements IndexBackend {
  private dirty = false;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly entries: Map<string, ChunkMeta>,
  ) {}

  static async open(dir: string): Promise<JsonFileIndex> {
    await mkdir(dir, { recursive: true });
    let entries = new Map<string, ChunkMeta>();
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as FileShape;
      if (parsed.v !== 1 || typeof parsed.chunks !== 'object')
        throw new Error(`unknown index format in ${dir}/index.json`);
      entries = new Map(Object.entries(parsed.chunks));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new JsonFileIndex(dir, entries);
  }

  async get(address: string): Promise<ChunkMeta | undefined> {
    const m = this.entries.get(address);
    return m && { ...m };
  }

  async put(address: string, meta: ChunkMeta): Promise<void> {
    this.entries.set(address, { ...meta });
    await this.save();
  }

  async touch(address: string, lastAccess: number): Promise<void> {
    const m = this.entries.get(address);
    if (m) {
      m.lastAccess = lastAccess;
      this.dirty = true;
    }
  }

  async delete(address: string): Promise<ChunkMeta | undefined> {
    const m = this.entries.get(address);
    if (!m) return undefined;
    this.entries.delete(address);
    await this.save();
    return m;
  }

  async oldest(limit: number): Promise<Array<{ address: string; meta: ChunkMeta }>> {
    return [...this.entries]
      .sort((a, b) => a[1].lastAccess - b[1].lastAccess)
      .slice(0, limit)
      .map(([address, meta]) => ({ address, meta: { ...meta } }));
  }

  async stats(): Promise<IndexStats> {
    let storedBytes = 0;
    for (const m of this.entries.values()) storedBytes += m.storedSize;
    return { count: this.entries.size, storedBytes };
  }

  async loadOrCreateKey(create: () => Uint8Array): Promise<Uint8Array> {
    const path = join(this.dir, 'key');
    const key = create();
    // Written whole to a temp file, then hard-linked into place: link() fails if a key exists, so a
    // racing process never reads a half-written key and at most one key ever exists.
    const tmp = `${path}.${tmpSuffix()}.tmp`;
    await writeFile(tmp, key, { mode: 0o600 });
    try {
      await link(tmp, path);
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return new Uint8Array(await readFile(path));
    } finally {
      await unlink(tmp);
    }
  }

  /** Writes pending touches. */
  async flush(): Promise<void> {
    if (this.dirty) await this.save();
    await this.writes;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private save(): Promise<void> {
    this.dirty = false;
    const body: FileShape = { v: 1, chunks: Object.fromEntries(this.entries) };
    const text = JSON.stringify(body);
    const write = async () => {
      const tmp = join(this.dir, `index.json.${tmpSuffix()}.tmp`);
      await writeFile(tmp, text);
      await rename(tmp, join(this.dir, 'index.json'));
    };
    // Serialised so an older snapshot can never be renamed over a newer one.
    this.writes = this.writes.then(write, write);
    return this.writes;
  }
}
