/**
 * `inos submit --mint` mints only the escrow of the jobs in flight, then tops up when the runs
 * really spend it (Requester.submit's `topUp`): a wallet that holds one job's escrow runs four jobs
 * whose runs spend their whole budget, minting the rest on demand; without `topUp` the jobs after
 * the first fail with "not enough credits". Real libp2p on loopback (two in-process CLI mesh
 * peers), a real wallet file, a contributor whose runs charge the whole budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { startMeshPeer, type MeshPeer } from '../../../src/cli/mesh-peer.ts';
import { Requester } from '../../../src/cli/requester.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../../src/ledger/index.ts';
import { MarketContributor, MarketWallet } from '../../../src/trade/index.ts';
import { IDBFactory } from 'fake-indexeddb';
import 'fake-indexeddb/auto';

/** 2^12 expected hashes a proof: cheap, for tests. */
const TEST_BITS = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const BUDGET = 3;
const dir = mkdtempSync(join(tmpdir(), 'inos-topup-'));
const closers: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function market(): Promise<{ requester: Requester; contributor: MeshPeer }> {
  const cw = await MarketWallet.open(new IDBFactory());
  const c = await startMeshPeer(cw.identity, []);
  closers.push(() => c.stop());
  const contributor = new MarketContributor({
    node: c.node,
    chunks: c.chunks,
    signer: cw.identity,
    capsules: [{ name: 'crypto', version: 1 }],
    workers: 2,
    // Every run spends its whole budget: the hold's rest returns nothing.
    run: async (job) => ({
      status: 'ok',
      costUsed: job.budget,
      output: blake3(new TextEncoder().encode(job.params)),
      error: '',
    }),
    receive: (b, w) => cw.receive(b, w),
  });
  contributor.start();
  const file = await WalletFile.open(join(dir, `wallet-${closers.length}.json`));
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
  // One job's escrow (budget × redundancy 1), no more.
  await file.wallet.mint(BUDGET, undefined, undefined, TEST_BITS);
  return { requester, contributor: c };
}

const jobs = Array.from({ length: 4 }, (_, i) => ({ capsule: 'crypto', method: 'sha256', params: { i } }));

describe('Requester.submit tops the wallet up on demand', () => {
  it('without topUp, jobs the wallet cannot hold fail with "not enough credits"', async () => {
    const { requester } = await market();
    const held = (await requester.file.wallet.balance()).available;
    expect(held).toBeLessThan(2 * BUDGET * MICRO_CREDITS_PER_CREDIT);
    const out = await requester.submit(jobs, { budget: BUDGET, redundancy: 1, deadlineMs: 20_000 });
    const failed = out.filter((r) => r instanceof Error);
    expect(failed.length).toBeGreaterThan(0);
    expect(String(failed[0])).toMatch(/not enough credits/);
  }, 90_000);

  it('with topUp, every job runs and the wallet is minted only what the runs spent', async () => {
    const { requester } = await market();
    const asked: number[] = [];
    const out = await requester.submit(jobs, {
      budget: BUDGET,
      redundancy: 1,
      deadlineMs: 20_000,
      topUp: async (missing) => {
        asked.push(missing);
        await requester.file.wallet.mint(missing / MICRO_CREDITS_PER_CREDIT, undefined, undefined, TEST_BITS);
      },
    });
    expect(out.map((r) => (r instanceof Error ? r.message : r.status))).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(asked.length).toBeGreaterThan(0);
    // Each top-up asked for what one more job's escrow lacked, never the whole submission's.
    for (const m of asked) expect(m).toBeLessThanOrEqual(BUDGET * MICRO_CREDITS_PER_CREDIT);
  }, 90_000);
});
