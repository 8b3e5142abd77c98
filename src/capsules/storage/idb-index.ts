/**
 * The chunk index in IndexedDB (via idb): one record per chunk, an index on lastAccess for LRU
 * eviction, and a `meta` store holding the running totals and the at-rest key. Every method is one
 * IndexedDB transaction, so the totals always match the entries, even across contexts of one origin.
 *
 * Note: the key lives next to the index, in the same origin's storage as the chunks. Encryption at
 * rest protects chunk files read or copied without the database (OPFS backups, disk forensics of the
 * OPFS folder alone) and, with the per-chunk tag, detects any change to a file.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ChunkMeta, IndexBackend, IndexStats } from './backends.ts';

interface Schema extends DBSchema {
  chunks: { key: string; value: ChunkMeta; indexes: { lastAccess: number } };
  meta: { key: 'totals' | 'key'; value: IndexStats | Uint8Array };
}

const VERSION = 1;

export class IdbIndex implements IndexBackend {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the database `name`, e.g. 'inos-chunks'. */
  static async open(name: string): Promise<IdbIndex> {
    const db = await openDB<Schema>(name, VERSION, {
      upgrade(d) {
        d.createObjectStore('chunks').createIndex('lastAccess', 'lastAccess');
        d.createObjectStore('meta');
      },
    });
    return new IdbIndex(db);
  }

  async get(address: string): Promise<ChunkMeta | undefined> {
    return this.db.get('chunks', address);
  }

  async put(address: string, meta: ChunkMeta): Promise<void> {
    const tx = this.db.transaction(['chunks', 'meta'], 'readwrite');
    const [old, totals] = await Promise.all([
      tx.objectStore('chunks').get(address),
      this.totals(tx.objectStore('meta')),
    ]);
    totals.count += old ? 0 : 1;
    totals.storedBytes += meta.storedSize - (old?.storedSize ?? 0);
    await Promise.all([
      tx.objectStore('chunks').put(meta, address),
      tx.objectStore('meta').put(totals, 'totals'),
      tx.done,
    ]);
  }

  async touch(address: string, lastAccess: number): Promise<void> {
    const tx = this.db.transaction('chunks', 'readwrite');
    const old = await tx.store.get(address);
    if (old) await tx.store.put({ ...old, lastAccess }, address);
    await tx.done;
  }

  async delete(address: string): Promise<ChunkMeta | undefined> {
    const tx = this.db.transaction(['chunks', 'meta'], 'readwrite');
    const [old, totals] = await Promise.all([
      tx.objectStore('chunks').get(address),
      this.totals(tx.objectStore('meta')),
    ]);
    if (old) {
      totals.count -= 1;
      totals.storedBytes -= old.storedSize;
      await Promise.all([
        tx.objectStore('chunks').delete(address),
        tx.objectStore('meta').put(totals, 'totals'),
      ]);
    }
    await tx.done;
    return old;
  }

  async oldest(limit: number): Promise<Array<{ address: string; meta: ChunkMeta }>> {
    const out: Array<{ address: string; meta: ChunkMeta }> = [];
    const tx = this.db.transaction('chunks', 'readonly');
    for (
      let c = await tx.store.index('lastAccess').openCursor();
      c && out.length < limit;
      c = await c.continue()
    )
      out.push({ address: c.primaryKey, meta: c.value });
    await tx.done;
    return out;
  }

  async stats(): Promise<IndexStats> {
    return this.totals(this.db.transaction('meta', 'readonly').store);
  }

  async loadOrCreateKey(create: () => Uint8Array): Promise<Uint8Array> {
    const tx = this.db.transaction('meta', 'readwrite');
    const saved = await tx.store.get('key');
    const key = saved instanceof Uint8Array ? saved : create();
    if (!(saved instanceof Uint8Array)) await tx.store.put(key, 'key');
    await tx.done;
    return key;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private async totals(store: {
    get(key: 'totals'): Promise<IndexStats | Uint8Array | undefined>;
  }): Promise<IndexStats> {
    const t = await store.get('totals');
    return t && !(t instanceof Uint8Array) ? { ...t } : { count: 0, storedBytes: 0 };
  }
}
