/**
 * Issue #14's "Refused, each with its reason shown", in the built test extension: the background's
 * ledger is offered what a peer could send it, through the message paths a peer's data takes
 * (`ledger/append` for records; `market/receive` and `market/pledge` for payer-signed bundles, as the
 * offscreen document forwards them from the mesh). Payers are Node-side wallets with real keys and
 * ledgers (MarketWallet; two run "modified software" whose own ledger counts any proof):
 *   (a) a forged receipt (credits raised, signature kept) and a forged payment,
 *   (b) a replayed receipt and a replayed payment bundle,
 *   (c) a payer whose credits are a public Bitcoin block header (the genesis block: real work),
 *   (d) a payer whose credits are another node's valid bound proof,
 *   (e) a double spend: a payer signs a second record at its pay's seq (a fork); it is refused from then
 *       on, a later covered payment and pledge from its real chain included.
 * Each is refused with its own code and detail, the balance moves only for genuine payments, the
 * background keeps answering (a genuine payment after all of it is booked), and the popup shows each
 * refusal with wording that tells them apart (screenshot: /tmp/refusals-popup.png).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  Ledger,
  ReceiptIssuer,
  loadOrCreateIdentity,
  openLedgerDb,
  signEntry,
  type LedgerEntry,
  type PaymentBundle,
  type PowProofRecord,
  type RejectionCode,
} from '../../src/ledger';
import { MarketWallet } from '../../src/trade/market-wallet';
import { cheaterPayments, genesisProof, lenient } from '../_cheater';
import { launchExtension, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';

/** 2^8 expected hashes a proof (31 250 micro-credits): payers mint in milliseconds. */
const EASY_BITS = 0x2000ffff;

async function cheater(proof: PowProofRecord) {
  const db = await openLedgerDb({ indexedDB: new IDBFactory() });
  const identity = await loadOrCreateIdentity(db);
  const ledger = new Ledger(db, { owner: identity.nodeId, verifyProof: lenient });
  const issuer = new ReceiptIssuer(ledger, identity);
  return { identity, payments: await cheaterPayments({ ledger, issuer }, proof) };
}

let jobN = 0;
/** What a market pay names: hex job ids, as the offscreen contributor's jobs have. */
const what = () => ({ jobId: (++jobN).toString(16).padStart(8, '0'), capsule: 'crypto', method: 'blake3' });

/** What crosses the runtime: plain JSON. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('refused, each with its reason shown (#14)', () => {
  let ext: ExtensionUnderTest;
  let page: Page;
  let browserId: string;

  /** Sends a message to the background and returns its refusal (fails if it was accepted). */
  async function refusal(type: string, req: unknown): Promise<{ code?: string; message: string }> {
    const reply = (await page.evaluate(
      ([t, r]) =>
        (globalThis as unknown as { chrome: PageChrome }).chrome.runtime.sendMessage({
          inos: 1,
          to: 'background',
          type: t,
          req: r,
        }),
      [type, wire(req)] as const,
    )) as { ok: boolean; res?: unknown; err?: { code?: string; message: string } };
    if (reply.ok || reply.err === undefined)
      throw new Error(`${type} was accepted: ${JSON.stringify(reply.res)}`);
    return reply.err;
  }

  async function expectRefused(type: string, req: unknown, code: RejectionCode, detail: RegExp) {
    const before = await balance();
    const err = await refusal(type, req);
    expect(err.code, err.message).toBe(code);
    expect(err.message).toMatch(detail);
    expect(await balance(), `${code}: the balance must not move`).toBe(before);
  }

  const balance = async () => (await ext.ask('earnings/get', { utcOffsetMin: 0 })).balance;
  const receive = (bundle: PaymentBundle) => ext.ask('market/receive', { bundle: wire(bundle), cpuMs: 5 });

  beforeAll(async () => {
    ext = await launchExtension({ testBuild: true });
    browserId = (await ext.ask('earnings/get', { utcOffsetMin: 0 })).nodeId;
    page = await ext.context.newPage();
    await page.goto(`chrome-extension://${ext.extensionId}/popup.html`);
  });

  afterAll(async () => {
    await ext?.close();
  });

  it('refuses each with its own code, books only genuine payments, and shows every reason in the popup', async () => {
    const honest = await MarketWallet.open(new IDBFactory());
    await honest.mint(1, undefined, undefined, EASY_BITS);
    const hold = await honest.payments.hold('job-honest', 600_000);
    const genuine = await honest.payments.pay(hold.id, browserId, 200_000, what());
    expect(await receive(genuine)).toEqual({ credits: 200_000 });
    expect(await balance()).toBe(200_000);
    const receipt = (await ext.ask('ledger/history')).find((e) => e.kind === 'receipt');
    if (receipt?.kind !== 'receipt') throw new Error('the genuine payment left no receipt');

    // (a) Forged: the browser's own receipt with its credits raised (the signature kept), and a
    // payment whose amount was raised after the payer signed it.
    await expectRefused(
      'ledger/append',
      { record: { ...receipt, credits: receipt.credits * 1000 } },
      'bad-signature',
      /signature does not match the record/,
    );
    await expectRefused(
      'market/receive',
      { bundle: { ...genuine, pay: { ...genuine.pay, amount: 5_000_000 } }, cpuMs: 5 },
      'uncovered',
      /the payer's chain does not contain this payment/,
    );

    // (b) Replayed: the receipt itself, and the whole payment bundle once more.
    await expectRefused('ledger/append', { record: receipt }, 'replay', /was already accepted/);
    await expectRefused('market/receive', { bundle: genuine, cpuMs: 5 }, 'replay', /already has a receipt/);

    // (c) A payer whose credits are the Bitcoin genesis block: real work, bound to no INOS identity.
    const bitcoin = await cheater(genesisProof());
    const bh = await bitcoin.payments.hold('job-btc', 100_000);
    await expectRefused(
      'market/receive',
      { bundle: await bitcoin.payments.pay(bh.id, browserId, 100_000, what()), cpuMs: 5 },
      'uncovered',
      /refused \(unbound-proof: .*public block header.*commits to no INOS identity/,
    );

    // (d) A payer whose credits are another node's valid bound proof (copied from the honest chain).
    const stolen = (await honest.ledger.history()).find((e) => e.kind === 'receipt' && e.proof !== undefined);
    if (stolen?.kind !== 'receipt' || stolen.proof === undefined) throw new Error('the honest payer minted');
    const thief = await cheater(stolen.proof);
    const th = await thief.payments.hold('job-thief', 100_000);
    await expectRefused(
      'market/receive',
      { bundle: await thief.payments.pay(th.id, browserId, 100_000, what()), cpuMs: 5 },
      'uncovered',
      /refused \(unbound-proof: .*bound to another identity/,
    );

    // (e) A double spend. The payer's first pay is genuine and booked; then it signs a second record at
    // the same seq (from a copy of its chain before the pay) and shows it to this browser too.
    const forker = await MarketWallet.open(new IDBFactory());
    await forker.mint(0.5, undefined, undefined, EASY_BITS);
    const fh = await forker.payments.hold('job-fork', 400_000);
    const before: LedgerEntry[] = await forker.ledger.history();
    const first = await forker.payments.pay(fh.id, browserId, 100_000, what());
    expect(await receive(first)).toEqual({ credits: 100_000 });
    expect(await balance()).toBe(300_000);
    const twin = signEntry({ ...first.pay, id: 'twin-pay', ...what() }, forker.identity);
    const fork: PaymentBundle = { pay: twin, chains: { [forker.nodeId]: [...before, twin] } };
    await expectRefused(
      'market/receive',
      { bundle: fork, cpuMs: 5 },
      'double-spend',
      /signed two records at seq \d+ \(a fork\)/,
    );
    // From then on: a pledge and a covered payment from its real chain are refused too.
    const pledge = await forker.payments.pledge(fh.id, browserId, 50_000, {
      ...what(),
      redeemAfter: Date.now() + 60_000,
    });
    await expectRefused('market/pledge', { bundle: pledge }, 'double-spend', /signed a fork earlier/);
    const later = await forker.payments.pay(fh.id, browserId, 50_000, what());
    await expectRefused(
      'market/receive',
      { bundle: later, cpuMs: 5 },
      'double-spend',
      /signed a fork earlier/,
    );

    // Still working: a genuine payment after all of this is booked.
    const after = await honest.payments.pay(hold.id, browserId, 150_000, what());
    expect(await receive(after)).toEqual({ credits: 150_000 });
    expect(await balance()).toBe(450_000);

    const popup = await ext.openPopup();
    const card = popup.getByTestId('recent-jobs');
    await card.getByRole('button', { name: /^Show \d+ more$/ }).click();
    const rows = card.getByTestId('job-row');
    await expect.poll(() => rows.count()).toBe(12);
    const reasons = await card.locator('.job-row.state-rejected').getByTestId('job-reason').allTextContents();
    expect(reasons).toEqual([
      'rejected: payer double-spent earlier, refused from then on',
      'rejected: payer double-spent earlier, refused from then on',
      'rejected: payer double-spent (signed a fork)',
      "rejected: the payer's credits come from another node's proof",
      "rejected: the payer's credits come from a public block header",
      'rejected: replayed',
      'rejected: replayed',
      "rejected: forged payment, not in the payer's signed chain",
      'rejected: bad signature',
    ]);
    // The ledger's exact reason is the tooltip of each.
    expect(
      await card.locator('.job-row.state-rejected').getByTestId('job-reason').first().getAttribute('title'),
    ).toMatch(/signed a fork earlier/);
    await popup.screenshot({ path: '/tmp/refusals-popup.png', fullPage: true });
    await popup.close();
  });
});
