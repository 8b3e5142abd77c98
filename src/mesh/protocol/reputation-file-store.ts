/**
 * Reputation in a JSON file, for Node peers (`inos node`, the CLI). Writes go to a temporary file
 * renamed over the old one, so a crash mid-write leaves the previous state, never half a file.
 * A missing file is an empty store; an unreadable one is an error that names the path.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PeerRecord } from './reputation.ts';
import type { ReputationStore } from './reputation-store.ts';

export class FileReputationStore implements ReputationStore {
  private records: Map<string, PeerRecord> | null = null;

  constructor(private readonly path: string) {}

  async load(): Promise<PeerRecord[]> {
    if (this.records === null) {
      let text: string;
      try {
        text = await readFile(this.path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        text = '{"version":1,"peers":[]}';
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new Error(`reputation file ${this.path} is not JSON; delete it to start afresh`, {
          cause: err,
        });
      }
      const peers = (parsed as { peers?: unknown }).peers;
      if (!Array.isArray(peers))
        throw new Error(`reputation file ${this.path}: expected {"version":1,"peers":[...]}`);
      this.records = new Map((peers as PeerRecord[]).map((r) => [r.peer, r]));
    }
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async save(records: readonly PeerRecord[]): Promise<void> {
    if (this.records === null) await this.load();
    const map = this.records as Map<string, PeerRecord>;
    for (const r of records) map.set(r.peer, { ...r });
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, peers: [...map.values()] }));
    await rename(tmp, this.path);
  }
}
