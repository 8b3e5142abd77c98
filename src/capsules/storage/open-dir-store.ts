/**
 * Node-only: the `inos run` CLI's chunk store in a directory — chunk files under `<dir>/chunks/ab/…`,
 * the index in `<dir>/index.json`, the at-rest key in `<dir>/key` (0600). Never import this from
 * extension code (node:fs). Loads brotli-wasm's Node build for this store itself.
 */
import { join } from 'node:path';
import { nodeBrotliLoader } from './brotli-node.ts';
import { ChunkStore } from './chunk-store.ts';
import { DirBackend } from './dir-backend.ts';
import { JsonFileIndex } from './json-file-index.ts';

export interface DirStoreOptions {
  dir: string;
  quotaBytes: number;
}

export async function openDirChunkStore(opts: DirStoreOptions): Promise<ChunkStore> {
  const index = await JsonFileIndex.open(opts.dir);
  const blobs = new DirBackend(join(opts.dir, 'chunks'));
  return ChunkStore.open({ blobs, index, quotaBytes: opts.quotaBytes, brotli: nodeBrotliLoader });
}
