/**
 * JobQueue.prune keeps the newest KEEP_FINISHED finished jobs of each source: a contributor that ran
 * many proof-of-work slices after its paid jobs still lists those paid jobs (and their payments).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { JobQueue, KEEP_FINISHED, type JobSource } from '../../../src/scheduler/job-queue';

const job = (id: string, source: JobSource, createdAt: number) => ({
  id,
  source,
  priority: 0,
  library: source === 'market' ? 'crypto' : 'pow',
  method: source === 'market' ? 'sha256' : 'search',
  params: '',
  budget: 10,
  deadlineMs: createdAt + 60_000,
  createdAt,
});

describe('JobQueue.prune', () => {
  it('keeps each source’s newest finished jobs: proof-of-work slices never push paid jobs out', async () => {
    globalThis.indexedDB = new IDBFactory();
    const queue = await JobQueue.open();
    let t = 1_700_000_000_000;
    const paid = 30;
    for (let i = 0; i < paid; i++) {
      const id = `market-${i}`;
      await queue.addRunning({ ...job(id, 'market', ++t), requester: 'ab'.repeat(32) }, 'host-a', t);
      await queue.finish(id, 'done', { status: 'ok', error: '', costUsed: 3 }, ++t);
      await queue.markPaid(id, 3);
    }
    // Then far more proof-of-work slices than the queue keeps, all newer than the paid jobs.
    const slices = KEEP_FINISHED + 50;
    for (let i = 0; i < slices; i++) {
      const id = `pow-${i}`;
      await queue.addRunning(job(id, 'local-pow', ++t), 'host-a', t);
      await queue.finish(id, 'done', { status: 'ok', error: '', costUsed: 1 }, ++t);
    }
    await queue.prune();
    const market = await queue.recent('market', 1000);
    expect(market).toHaveLength(paid);
    expect(market.every((j) => j.paid === 3)).toBe(true);
    const pow = await queue.recent('local-pow', 1000);
    expect(pow).toHaveLength(KEEP_FINISHED);
    // The oldest slices went, the newest stayed.
    expect(pow.map((j) => j.id)).toContain(`pow-${slices - 1}`);
    expect(pow.map((j) => j.id)).not.toContain('pow-0');

    // The paid list is bounded too.
    for (let i = paid; i < KEEP_FINISHED + 10; i++) {
      const id = `market-${i}`;
      await queue.addRunning({ ...job(id, 'market', ++t), requester: 'ab'.repeat(32) }, 'host-a', t);
      await queue.finish(id, 'done', { status: 'ok', error: '', costUsed: 3 }, ++t);
    }
    await queue.prune();
    expect(await queue.recent('market', 1000)).toHaveLength(KEEP_FINISHED);
    queue.close();
  });
});
