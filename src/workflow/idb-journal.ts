/**
 * The extension's journal: records in IndexedDB (one object store, key = [workflow id, sequence]),
 * each append one transaction, `durability: 'strict'` when the record must survive a power loss
 * (Chromium then flushes before completing it), compaction one range delete. One orchestrator per profile (the offscreen document) uses it,
 * so every unfinished workflow found on restart is its own.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Journal, JournalRecord } from './journal.ts';

interface Schema extends DBSchema {
  records: { key: [string, number]; value: { wf: string; seq: number; record: JournalRecord } };
}

export const JOURNAL_DB = 'inos-workflow-journal';

function openJournalDb(name: string): Promise<IDBPDatabase<Schema>> {
  return openDB<Schema>(name, 1, {
    upgrade(d) {
      d.createObjectStore('records', { keyPath: ['wf', 'seq'] });
    },
  });
}

export class IdbJournal implements Journal {
  private readonly seq = new Map<string, number>();

  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = JOURNAL_DB): Promise<IdbJournal> {
    return new IdbJournal(await openJournalDb(name));
  }

  /**
   * Every unfinished workflow's records, read without changing anything (no compaction, no sequence
   * state): for readers beside the one orchestrator, such as the background's `workflow/status`.
   */
  static async peek(name = JOURNAL_DB): Promise<JournalRecord[][]> {
    const db = await openJournalDb(name);
    try {
      const byWf = new Map<string, JournalRecord[]>();
      for (const row of await db.getAll('records')) {
        const list = byWf.get(row.wf) ?? [];
        list.push(row.record);
        byWf.set(row.wf, list);
      }
      return [...byWf.values()]
        .filter((rs) => rs[0]?.type === 'begin' && !rs.some((r) => r.type === 'end'))
        .sort((a, b) => a[0]!.at - b[0]!.at);
    } finally {
      db.close();
    }
  }

  async append(record: JournalRecord, durable = true): Promise<void> {
    const seq = (this.seq.get(record.wf) ?? 0) + 1;
    this.seq.set(record.wf, seq);
    const tx = this.db.transaction('records', 'readwrite', { durability: durable ? 'strict' : 'relaxed' });
    await Promise.all([tx.store.put({ wf: record.wf, seq, record }), tx.done]);
  }

  async unfinished(): Promise<JournalRecord[][]> {
    const byWf = new Map<string, JournalRecord[]>();
    for (const row of await this.db.getAll('records')) {
      const list = byWf.get(row.wf) ?? [];
      list.push(row.record);
      byWf.set(row.wf, list);
      this.seq.set(row.wf, Math.max(this.seq.get(row.wf) ?? 0, row.seq));
    }
    const out: JournalRecord[][] = [];
    for (const [wf, records] of byWf) {
      if (records.some((r) => r.type === 'end') || records[0]?.type !== 'begin') await this.compact(wf);
      else out.push(records);
    }
    return out.sort((a, b) => a[0]!.at - b[0]!.at);
  }

  async compact(wf: string): Promise<void> {
    await this.db.delete('records', IDBKeyRange.bound([wf, 0], [wf, Number.MAX_SAFE_INTEGER]));
    this.seq.delete(wf);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
