/**
 * The extension's chunk store: files in OPFS, index and key in IndexedDB, both named `name` in the
 * extension origin. Open it once, in the offscreen document (one writer per store; see ChunkStore),
 * after `setBrotliLoader(webBrotliLoader(...))`, and pass it as `services.chunkStore`.
 */
import { ChunkStore } from './chunk-store.ts';
import { IdbIndex } from './idb-index.ts';
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
