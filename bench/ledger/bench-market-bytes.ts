/**
 * Bytes and time per payment on the market path (`npm run bench:ledger-market`): a requester whose
 * chain holds 10^3 and 10^4 records (SIZES) pays a contributor that never audited it, on real
 * market frames (MarketRequester, a MarketContributor with a real wallet: its acceptPledge and
 * receive audit and book, signed frames, the simulated mesh on virtual time). Job 1 is first
 * contact: the pledge and pay carry the whole chain, inline up to MARKET_LIMITS.inlineBundleBytes,
 * else as BLAKE3 chunks the contributor fetches from the requester (the frame names them). Job 2,
 * in the same run: the claim tells the audited head, and the bundles carry only the records after
 * it (`since`). Writes bench/results/ledger-market.json.
 *
 * Measured per job: each bundle (pledge, pay) the requester built (JSON bytes, requester records,
 * inline or chunked), the market frame bytes, the chunk bytes the contributor fetched (the
 * exchange's verified blocks), whether the contributor booked the pay (its balance), and the wall
 * time from submit to paid (simulated network: no wire latency; the time is the requester's
 * bundle building, the chunk fetch and verification, and the contributor's audits). Redundancy 1
 * (one contributor), so job 1's time is one pledge audit and one pay audit of the whole chain.
 */
import { zeroReceiptChain } from '../../tests/unit/ledger/_zero-chain.ts';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetToCompact } from '../../src/capsules/pow/target.ts';
import { type LedgerEntry } from '../../src/ledger/index.ts';
import { LIMITS } from '../../src/mesh/protocol/frames.ts';
import { MeshNode } from '../../src/mesh/protocol/node.ts';
import { SimNetwork } from '../../src/mesh/sim/network.ts';
import { mulberry32 } from '../../src/mesh/sim/prng.ts';
import {
  MARKET_LIMITS,
  MarketContributor,
  MarketRequester,
  MarketWallet,
  MemoryChunks,
  type ContributorEvent,
  type MarketEvent,
} from '../../src/trade/index.ts';
import { settleVirtual } from '../../tests/unit/trade/_settle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '../results/ledger-market.json');
const SEED = 20261128;
const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
/** 2^18 expected hashes a proof (32 credits). */
const BITS = targetToCompact(2n ** 256n / 2n ** 18n - 1n);

async function runSize(records: number) {
  const rand = mulberry32(SEED + records);
  const net = new SimNetwork(rand, { loss: 0 });
  const now = () => Math.floor(net.sched.now);
  const peers = [];
  for (let i = 0; i < 2; i++) {
    const sim = net.addNode(`p${i}`);
    const chunks = new MemoryChunks();
    const node = new MeshNode(sim.port, { source: chunks, random: rand });
    await node.start();
    peers.push({ node, chunks, wallet: await MarketWallet.open(new IDBFactory(), { now }) });
  }
  net.buildTables();
  net.buildMesh();
  net.startHeartbeat();
  const r = peers[0]!;
  const cp = peers[1]!;
  const own = r.wallet.nodeId;
  // The requester's chain: records − (what the mint adds) zero receipts, signed, stored by restore.
  const t0 = performance.now();
  const filler = records - 6;
  const chain = zeroReceiptChain(r.wallet.identity, filler, (seq) => now() - (filler - seq) * 1000);
  await r.wallet.ledger.restore(chain);
  await r.wallet.mint(40, undefined, undefined, BITS);
  const grownMs = performance.now() - t0;
  const startSeq = (await r.wallet.ledger.history()).length;

  let job = 0;
  const contributorEvents: ContributorEvent[] = [];
  const contributor = new MarketContributor({
    node: cp.node,
    chunks: cp.chunks,
    signer: cp.wallet.identity,
    capsules: [{ name: 'crypto', version: 1 }],
    workers: 2,
    run: () => Promise.resolve({ status: 'ok', costUsed: 1, output: Uint8Array.of(7), error: '' }),
    receive: (bundle, work) => cp.wallet.receive(bundle, work),
    acceptPledge: (bundle) => cp.wallet.acceptPledge(bundle),
    auditedHead: (x) => cp.wallet.auditedHead(x),
    onEvent: (e) => contributorEvents.push(e),
  });
  contributor.start();
  // What the requester built for the contributor: inline in the frame, or chunked (the frame names it).
  const built: {
    job: number;
    kind: 'pledge' | 'pay';
    requesterRecords: number;
    bundleBytes: number;
    chunked: boolean;
  }[] = [];
  const build = (kind: 'pledge' | 'pay', b: unknown) => {
    const bytes = Buffer.byteLength(JSON.stringify(b));
    const mine = (b as { chains: Record<string, LedgerEntry[]> }).chains[own] ?? [];
    built.push({
      job,
      kind,
      requesterRecords: mine.length,
      bundleBytes: bytes,
      chunked: bytes > MARKET_LIMITS.inlineBundleBytes,
    });
  };
  const live = r.wallet.requesterPayments();
  const requester = new MarketRequester({
    node: r.node,
    chunks: r.chunks,
    signer: r.wallet.identity,
    payments: {
      hold: (j, b) => live.hold(j, b),
      release: (h, why) => live.release(h, why),
      pay: async (h, p, a, w, o) => {
        const b = await live.pay(h, p, a, w, o);
        build('pay', b);
        return b;
      },
      pledge: async (h, p, a, w, o) => {
        const b = await live.pledge!(h, p, a, w, o);
        build('pledge', b);
        return b;
      },
    },
    random: rand,
  });
  const runJob = async () => {
    job++;
    const events: MarketEvent[] = [];
    await contributor.advertise();
    await net.sched.runUntil(net.sched.now + 3000);
    const before = (await cp.wallet.balance()).peerCredits;
    const fetched0 = cp.node.chunks.phases.fetched;
    const t = performance.now();
    let outcome: string;
    try {
      const d = await settleVirtual(
        net.sched,
        requester.submit(
          {
            capsule: 'crypto',
            method: 'sha256',
            params: `{"n":${job}}`,
            budget: 2,
            deadlineMs: 3_600_000,
            redundancy: 1,
          },
          (e) => events.push(e),
        ),
        SEED,
        7_200_000,
      );
      outcome = `paid ${Object.values(d.paid).reduce((a, b) => a + b, 0)} µcredits`;
    } catch (err) {
      outcome = err instanceof Error ? err.message : String(err);
    }
    const ms = performance.now() - t;
    const booked = (await cp.wallet.balance()).peerCredits - before;
    const paid = events.find((e) => e.kind === 'paid');
    const mine = built.filter((b) => b.job === job);
    const chunkBytes = mine.filter((b) => b.chunked).reduce((n, b) => n + b.bundleBytes, 0);
    // Each bundle crosses once: inline in its frame, or as chunks plus a small naming frame.
    const wireBytes = mine.reduce((n, b) => n + (b.chunked ? 0 : b.bundleBytes), 0) + chunkBytes;
    return {
      outcome,
      bookedMicroCredits: booked,
      deliveredAndPaid: booked > 0 && paid !== undefined && paid.detail === undefined,
      bundles: mine,
      payFrameBytes: paid?.bytes ?? null,
      chunkedBytes: chunkBytes,
      chunksFetched: cp.node.chunks.phases.fetched - fetched0,
      bundleBytesOnWire: wireBytes,
      submitToPaidMs: Math.round(ms),
      refusals: contributorEvents.filter((e) => e.kind === 'refused-payment').map((e) => e.detail),
    };
  };
  const first = await runJob(); // first contact: no head in the claim, the whole chain
  const head = await cp.wallet.auditedHead(own);
  const second = await runJob(); // the claim tells the head: only the records after it
  return {
    requesterRecords: startSeq,
    rpcLimitBytes: LIMITS.rpcBytes,
    inlineBundleBytes: MARKET_LIMITS.inlineBundleBytes,
    growMs: Math.round(grownMs),
    wholeChain: first,
    auditedHeadAfter: head?.seq ?? 0,
    since: second,
    ratio: {
      bytes: second.bundleBytesOnWire / first.bundleBytesOnWire,
      time: second.submitToPaidMs / first.submitToPaidMs,
    },
  };
}

async function main(): Promise<void> {
  const load = loadavg().map((x) => +x.toFixed(1));
  const results: Awaited<ReturnType<typeof runSize>>[] = [];
  const write = () => {
    const out = {
      bench: 'ledger-market',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavg_at_start: load,
        loadavg_at_end: loadavg().map((x) => +x.toFixed(1)),
      },
      seed: SEED,
      definition:
        'a requester chain of N records pays a contributor with a real wallet on the market path (MarketRequester → MarketContributor, simulated mesh, redundancy 1): job 1 first contact (whole chain; bundles over inlineBundleBytes travel as BLAKE3 chunks fetched from the requester), job 2 with the audited head in the claim (since); bundleBytesOnWire = pledge + pay bundle bytes (inline or chunked), submitToPaidMs = wall time from submit to the paid event, both audits included; ratio = since / whole chain in the same run',
      results,
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  };
  for (const n of SIZES) {
    const r = await runSize(n);
    results.push(r);
    const w = r.wholeChain;
    console.log(
      `${String(r.requesterRecords).padStart(6)} records: first payment ${w.deliveredAndPaid ? 'delivered and paid' : 'NOT paid'} (${w.outcome}), ${w.bundleBytesOnWire} B of bundles (${w.chunkedBytes} B chunked, ${w.chunksFetched} chunks), ${w.submitToPaidMs} ms | since: ${r.since.deliveredAndPaid ? 'paid' : 'NOT paid'}, ${r.since.bundleBytesOnWire} B, ${r.since.submitToPaidMs} ms | ratio bytes ${r.ratio.bytes.toExponential(2)}, time ${r.ratio.time.toExponential(2)}`,
    );
    write();
    console.log(`wrote ${OUT}`);
  }
}

await main();
