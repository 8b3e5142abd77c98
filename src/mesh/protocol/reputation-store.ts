/**
 * Where reputation survives restarts. Two backends: IndexedDB (the extension's offscreen document)
 * and memory (tests, throwaway nodes); the Node file backend is reputation-file-store.ts, kept
 * apart so browser bundles never import node:fs.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { PeerRecord } from './reputation.ts';

export interface ReputationStore {
  load(): Promise<PeerRecord[]>;
  /** Upserts these records (the dirty ones); others stay as they are. */
  save(records: readonly PeerRecord[]): Promise<void>;
}

export class MemoryReputationStore implements ReputationStore {
  private readonly records = new Map<string, PeerRecord>();
  async load(): Promise<PeerRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }
  async save(records: readonly PeerRecord[]): Promise<void> {
    for (const r of records) this.records.set(r.peer, { ...r });
  }
}

interface Schema extends DBSchema {
  peers: { key: string; value: PeerRecord };
}

export class IdbReputationStore implements ReputationStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the database `name`, e.g. 'inos-reputation'. */
  static async open(name: string): Promise<IdbReputationStore> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('peers', { keyPath: 'peer' });
      },
    });
    return new IdbReputationStore(db);
  }

  async load(): Promise<PeerRecord[]> {
    return this.db.getAll('peers');
  }

  async save(records: readonly PeerRecord[]): Promise<void> {
    const tx = this.db.transaction('peers', 'readwrite');
    await Promise.all([...records.map((r) => tx.store.put(r)), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
