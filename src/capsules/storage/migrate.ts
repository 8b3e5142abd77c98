/**
 * Moves every chunk of one store into another (the extension's former mesh store `inos-mesh-chunks`
 * into the one store `inos-chunks`), so nothing stored is lost when two stores become one. Each
 * record is opened under the old key and sealed again under the new one as it is (same kind, same
 * encoding: no brotli needed); a raw record's content is re-hashed against its address, a brotli
 * record is trusted as far as its authentication tag (it was sealed by this extension). A record
 * that does not open is skipped and counted. The source is left as it was: the caller deletes it.
 */
import { blake3Digest } from '../crypto/hash.ts';
import { bytesToHex } from '../crypto/hex.ts';
import type { IndexBackend } from './backends.ts';
import { Encoding, openRecord, sealRecord } from './chunk-record.ts';
import type { StoreCore } from './chunk-store.ts';

export interface MigrationReport {
  moved: number;
  /** Already in the destination (deduplicated). */
  present: number;
  /** Records that did not open or verify, or did not fit. */
  skipped: number;
}

const noop = () => {};

export async function migrateChunks(
  from: { index: IndexBackend; core: StoreCore; key: Uint8Array },
  to: { core: StoreCore; key: Uint8Array },
  random: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
): Promise<MigrationReport> {
  const report: MigrationReport = { moved: 0, present: 0, skipped: 0 };
  const { count } = await from.index.stats();
  // Oldest first, so the destination's LRU order follows the source's.
  for (const { address } of await from.index.oldest(count)) {
    if (await to.core.meta(address)) {
      report.present++;
      continue;
    }
    const found = await from.core.load(address);
    try {
      if (!found?.file) throw new Error('no file');
      const rec = openRecord(from.key, address, found.file, noop);
      if (rec.encoding === Encoding.raw && bytesToHex(blake3Digest(rec.payload, noop)) !== address)
        throw new Error('content does not hash to its address');
      const sealed = sealRecord(to.key, address, rec, noop, random);
      await to.core.commit(address, sealed, { kind: found.meta.kind, size: found.meta.size }, []);
      report.moved++;
    } catch {
      report.skipped++;
    }
  }
  return report;
}
