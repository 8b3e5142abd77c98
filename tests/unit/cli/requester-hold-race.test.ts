/**
 * Two lanes of `Requester.submit` never both take the last escrow: checking the balance and taking
 * the hold is one step. Job 1 runs long, so lane 0 (job 0 done) waits for it; job 1's release then
 * wakes both lanes at once with room for one hold. Before the fix both saw room, and the second
 * hold was refused "uncovered" (every other job of the 30-job browsers run failed so). Real libp2p
 * on loopback (two in-process CLI mesh peers), a real wallet file, runs that spend a third of the
 * budget, no top-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { startMeshPeer } from '../../../src/cli/mesh-peer.ts';
import { Requester } from '../../../src/cli/requester.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';
import { MarketContributor, MarketWallet } from '../../../src/trade/index.ts';
import { IDBFactory } from 'fake-indexeddb';
import 'fake-indexeddb/auto';

/** 2^12 expected hashes a proof: cheap, for tests. */
const TEST_BITS = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const BUDGET = 3;
const dir = mkdtempSync(join(tmpdir(), 'inos-hold-race-'));
const closers: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('Requester.submit: one hold per lane at a time', () => {
  it('two lanes woken by one release do not both take the escrow left for one', async () => {
    const cw = await MarketWallet.open(new IDBFactory());
    const c = await startMeshPeer(cw.identity, []);
    closers.push(() => c.stop());
    const contributor = new MarketContributor({
      node: c.node,
      chunks: c.chunks,
      signer: cw.identity,
      capsules: [{ name: 'crypto', version: 1 }],
      workers: 2,
      // Job 1 runs long: lane 0 finishes job 0 first and waits for it. Each run spends 1 of 3.
      run: async (job) => {
        if ((JSON.parse(job.params) as { i: number }).i === 1) await new Promise((r) => setTimeout(r, 1_500));
        return { status: 'ok', costUsed: 1, output: blake3(new TextEncoder().encode(job.params)), error: '' };
      },
      receive: (b, w) => cw.receive(b, w),
    });
    contributor.start();
    const file = await WalletFile.open(join(dir, 'wallet.json'));
    const requester = await Requester.open({
      bootstrap: [c.libp2p.getMultiaddrs()[0]!.toString()],
      wallet: file,
    });
    closers.push(() => requester.close());
    for (let i = 0; ; i++) {
      await contributor.advertise().catch(() => undefined);
      if ((await requester.discover('crypto', 500)) > 0) break;
      if (i > 60) throw new Error("the requester never saw the contributor's advert");
    }
    // Two jobs' escrow (budget × redundancy 1): after jobs 0 and 1 spent 1 each, room for one hold.
    await file.wallet.mint(2 * BUDGET, undefined, undefined, TEST_BITS);
    const jobs = Array.from({ length: 4 }, (_, i) => ({
      capsule: 'crypto',
      method: 'sha256',
      params: { i },
    }));
    const out = await requester.submit(jobs, { budget: BUDGET, redundancy: 1, deadlineMs: 20_000 });
    expect(out.map((r) => (r instanceof Error ? r.message : r.status))).toEqual(['ok', 'ok', 'ok', 'ok']);
    const b = await file.wallet.balance();
    expect(b.spent).toBe(4 * 1_000_000);
    expect(b.held).toBe(0);
  }, 90_000);
});
