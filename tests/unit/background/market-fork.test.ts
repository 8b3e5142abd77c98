/**
 * The extension's side of fork gossip: the document asks the background's ledger for the proof
 * of a fork it caught (`market/fork-proof`) to publish it, and hands every proof its mesh node
 * checked to the ledger (`market/fork`), after which that payer's pledges are refused here too.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { MarketContributorBridge } from '../../../src/background/market-contributor';
import { Wallet } from '../../../src/background/wallet';
import { targetToCompact } from '../../../src/capsules/pow/target';
import { signEntry, verifyForkProof, type PaymentBundle } from '../../../src/ledger';
import { JobQueue } from '../../../src/scheduler/job-queue';
import { MarketWallet } from '../../../src/trade';

const MINT_BITS = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const clock = 1_700_000_000_000;
const what = { jobId: 'c0ffee', capsule: 'crypto', method: 'sha256' };

async function browser() {
  const wallet = new Wallet(new IDBFactory(), () => clock);
  await wallet.ready;
  const bridge = new MarketContributorBridge({
    queue: JobQueue.open(),
    receive: (b, w) => wallet.receive(b, w),
    acceptPledge: (b) => wallet.acceptPledge(b),
    redeem: (b, r, w) => wallet.redeem(b, r, w),
    reportFork: (p) => wallet.reportFork(p),
    forkProof: (p) => wallet.forkProof(p),
    forkProofs: () => wallet.forkProofs(64),
    changed: () => {},
    now: () => clock,
  });
  return { wallet, bridge };
}

async function refusal(p: Promise<unknown>): Promise<{ reason?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { reason?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('market/fork and market/fork-proof (background bridge)', () => {
  it('gives the proof of a caught fork to publish, and books proofs from the mesh', async () => {
    globalThis.indexedDB = new IDBFactory();
    const x = await browser();
    const y = await browser();
    const payer = await MarketWallet.open(new IDBFactory(), { now: () => clock });
    await payer.mint(1, undefined, undefined, MINT_BITS);
    const hold = await payer.payments.hold('job-1', 400_000);
    const before = await payer.ledger.history();
    const first = await payer.payments.pay(hold.id, x.wallet.nodeId, 200_000, what);
    const again = signEntry({ ...first.pay, id: 'second-spend', amount: 100_000 }, payer.identity);
    const second: PaymentBundle = { pay: again, chains: { [payer.nodeId]: [...before, again] } };

    expect(await x.bridge.onForkProof({ payer: payer.nodeId })).toEqual({ proof: null });
    await x.bridge.onReceive({ bundle: first, cpuMs: 0 });
    expect(await refusal(x.bridge.onReceive({ bundle: second, cpuMs: 0 }))).toMatchObject({
      reason: 'double-spend',
    });
    const { proof } = await x.bridge.onForkProof({ payer: payer.nodeId });
    // Across runtime messaging it is plain JSON: still a proof anyone can check.
    const wire: unknown = JSON.parse(JSON.stringify(proof));
    expect(verifyForkProof(wire)).toMatchObject({ ok: true });

    // The kept proofs, for the document to republish when its mesh node joins (market/fork-proofs).
    expect((await y.bridge.onForkProofs()).proofs).toEqual([]);
    const kept = (await x.bridge.onForkProofs()).proofs;
    expect(kept).toHaveLength(1);
    expect(verifyForkProof(JSON.parse(JSON.stringify(kept[0])))).toMatchObject({ ok: true });

    // Y was never paid by the forker; the proof alone makes it refuse its pledge.
    expect(await y.bridge.onFork({ proof: wire })).toEqual({ payer: payer.nodeId });
    const pledge = await payer.payments.pledge(hold.id, y.wallet.nodeId, 100_000, {
      ...what,
      jobId: 'beef',
      redeemAfter: clock + 60_000,
    });
    const refused = await refusal(y.bridge.onPledge({ bundle: pledge }));
    expect(refused).toMatchObject({ reason: 'double-spend' });
    expect(refused.message).toMatch(/signed a fork earlier/);

    // Bad input gets a clear error and changes nothing.
    const bogus = { ...(wire as object), b: (wire as { a: unknown }).a };
    expect((await refusal(y.bridge.onFork({ proof: bogus }))).message).toMatch(/the same/);
    expect((await refusal(y.bridge.onForkProof({ payer: 'nope' }))).message).toMatch(/64 lowercase hex/);
  });
});
