/**
 * The extension's chunk store: files in OPFS, index and key in IndexedDB, both named `name` in the
 * extension origin. Open it once, in the offscreen document (one writer per store; see ChunkStore):
 * as the workers' owner (`openBrowserStoreCore` for store-owner.ts), or whole in a page that runs the
 * capsule itself (`openBrowserChunkStore`, after `setBrotliLoader(webBrotliLoader(...))`).
 */
import { ChunkStore, LocalStoreCore } from './chunk-store.ts';
import { IdbIndex } from './idb-index.ts';
import { migrateChunks, type MigrationReport } from './migrate.ts';
import { OpfsBackend } from './opfs-backend.ts';

export interface BrowserStoreOptions {
  quotaBytes: number;
  /** OPFS folder and IndexedDB database name; default 'inos-chunks'. */
  name?: string;
}

export async function openBrowserChunkStore(opts: BrowserStoreOptions): Promise<ChunkStore> {
  const name = opts.name ?? 'inos-chunks';
  const [blobs, index] = await Promise.all([OpfsBackend.open(name), IdbIndex.open(name)]);
  return ChunkStore.open({ blobs, index, quotaBytes: opts.quotaBytes });
}

/** The owner's side only (no brotli needed): the core and the at-rest key. */
export async function openBrowserStoreCore(
  opts: BrowserStoreOptions,
): Promise<{ core: LocalStoreCore; key: Uint8Array }> {
  const name = opts.name ?? 'inos-chunks';
  const [blobs, index] = await Promise.all([OpfsBackend.open(name), IdbIndex.open(name)]);
  const core = new LocalStoreCore({ blobs, index, quotaBytes: opts.quotaBytes });
  const key = await core.loadOrCreateKey((n) => crypto.getRandomValues(new Uint8Array(n)));
  return { core, key };
}

/**
 * Moves a former store `name` (e.g. the mesh's own 'inos-mesh-chunks') into `to` and deletes it
 * (IndexedDB database and OPFS folder). Does nothing when no database of that name exists; a store
 * that was not fully moved (a failure midway) is kept and moved again next time.
 */
export async function migrateBrowserStore(
  name: string,
  to: { core: LocalStoreCore; key: Uint8Array },
): Promise<MigrationReport | null> {
  const dbs = await indexedDB.databases();
  if (!dbs.some((d) => d.name === name)) return null;
  const [blobs, index] = await Promise.all([OpfsBackend.open(name), IdbIndex.open(name)]);
  const core = new LocalStoreCore({ blobs, index, quotaBytes: Number.MAX_SAFE_INTEGER });
  let report: MigrationReport;
  try {
    const key = await index.loadOrCreateKey(() => crypto.getRandomValues(new Uint8Array(32)));
    report = await migrateChunks({ index, core, key }, to);
  } finally {
    await core.close();
  }
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`could not delete the database ${name}`));
    req.onblocked = () => resolve();
  });
  const top = await navigator.storage.getDirectory();
  await top.removeEntry(name, { recursive: true }).catch(() => undefined);
  return report;
}
