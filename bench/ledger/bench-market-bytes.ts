/**
 * Bytes per payment on the market path (`npm run bench:ledger-market`): a requester whose chain
 * holds 10^3 and 10^4 records runs real market jobs (MarketRequester, two MarketContributors, signed
 * frames, the simulated mesh on virtual time) and each contributor's pledge and pay carry the
 * requester's chain: whole on first contact (no audited head in its claim), then only the records
 * after the head its claim tells (`since`), in the same run. Writes bench/results/ledger-market.json.
 *
 * What is measured: the bundle each contributor is handed (JSON bytes, requester records in it) and
 * the market.pay frame it arrives in (encodePayment bytes; the pledge travels in market.run's
 * MarketAssign, its bundle counted the same way). What is not: the payee's audit. A whole-chain audit
 * of 10^4 records took 447 s in bench:ledger (bench/results/ledger.json payerAudit), so here the
 * contributors book nothing (their receive/acceptPledge only measure) and the head a claim tells on
 * the second job is the last record of the chain the contributor was handed on the first — the head
 * a real audit of that bundle records (Payments.auditedHead).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { targetToCompact } from '../../src/capsules/pow/target.ts';
import { entryHash, RECORD_VERSION, signEntry, ZERO_HASH, type LedgerEntry } from '../../src/ledger/index.ts';
import { LIMITS } from '../../src/mesh/protocol/frames.ts';
import { MeshNode } from '../../src/mesh/protocol/node.ts';
import { SimNetwork } from '../../src/mesh/sim/network.ts';
import { mulberry32 } from '../../src/mesh/sim/prng.ts';
import {
  encodePayment,
  MarketContributor,
  MarketRequester,
  MarketWallet,
  MemoryChunks,
  type MarketEvent,
} from '../../src/trade/index.ts';
import { settleVirtual } from '../../tests/unit/trade/_settle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '../results/ledger-market.json');
const SEED = 20261128;
const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
/** 2^18 expected hashes a proof (32 credits). */
const BITS = targetToCompact(2n ** 256n / 2n ** 18n - 1n);

interface Received {
  contributor: number;
  job: number;
  kind: 'pledge' | 'pay';
  requesterRecords: number;
  fromSeq: number;
  bundleBytes: number;
  frameBytes: number;
}

async function runSize(records: number) {
  const rand = mulberry32(SEED + records);
  const net = new SimNetwork(rand, { loss: 0 });
  const now = () => Math.floor(net.sched.now);
  const peers = [];
  for (let i = 0; i < 3; i++) {
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
  const own = r.wallet.nodeId;
  // The requester's chain: records − (what the mint adds) zero receipts, signed, stored by restore.
  const t0 = performance.now();
  const chain: LedgerEntry[] = [];
  let prev = ZERO_HASH;
  const filler = records - 6;
  for (let seq = 1; seq <= filler; seq++) {
    const id = bytesToHex(randomBytes(16));
    const e = signEntry(
      {
        v: RECORD_VERSION,
        kind: 'receipt',
        id,
        ledger: own,
        seq,
        prev,
        issuer: own,
        issuedAt: now() - (filler - seq) * 1000,
        jobId: `zero:${id}`,
        capsule: 'none',
        method: 'none',
        credits: 0,
        cpuMs: 0,
        bytesMoved: 0,
        state: 'settled',
        reason: 'no work available',
      },
      r.wallet.identity,
    );
    chain.push(e);
    prev = entryHash(e);
  }
  await r.wallet.ledger.restore(chain);
  await r.wallet.mint(40, undefined, undefined, BITS);
  const grownMs = performance.now() - t0;
  const startSeq = (await r.wallet.ledger.history()).length;

  const received: Received[] = [];
  let job = 0;
  const heads = new Map<number, { seq: number; hash: string }>();
  const note = (contributor: number, kind: 'pledge' | 'pay', bundle: unknown) => {
    const json = JSON.stringify(bundle);
    const mine = ((bundle as { chains: Record<string, LedgerEntry[]> }).chains[own] ?? []) as LedgerEntry[];
    const last = mine[mine.length - 1];
    if (kind === 'pay' && last !== undefined)
      heads.set(contributor, { seq: last.seq, hash: entryHash(last) });
    received.push({
      contributor,
      job,
      kind,
      requesterRecords: mine.length,
      fromSeq: mine[0]?.seq ?? 0,
      bundleBytes: Buffer.byteLength(json),
      frameBytes: encodePayment({ jobId: 'x'.repeat(32), bundle: json }).length,
    });
  };
  const contributors = peers.slice(1).map((p, i) => {
    const c = new MarketContributor({
      node: p.node,
      chunks: p.chunks,
      signer: p.wallet.identity,
      capsules: [{ name: 'crypto', version: 1 }],
      workers: 2,
      run: () => Promise.resolve({ status: 'ok', costUsed: 1, output: Uint8Array.of(7), error: '' }),
      receive: (bundle) => (note(i, 'pay', bundle), Promise.resolve(0)),
      acceptPledge: (bundle) => (note(i, 'pledge', bundle), Promise.resolve({ redeemAfter: 0, amount: 0 })),
      auditedHead: () => Promise.resolve(heads.get(i)),
    });
    c.start();
    return c;
  });
  // What the requester built for each contributor (sent or not: a frame over the RPC limit is refused).
  const built: { job: number; kind: 'pledge' | 'pay'; requesterRecords: number; frameBytes: number }[] = [];
  const build = (kind: 'pledge' | 'pay', b: unknown) => {
    const json = JSON.stringify(b);
    const mine = (b as { chains: Record<string, LedgerEntry[]> }).chains[own] ?? [];
    built.push({
      job,
      kind,
      requesterRecords: mine.length,
      frameBytes: encodePayment({ jobId: 'x'.repeat(32), bundle: json }).length,
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
  const events: MarketEvent[] = [];
  const submit = async () => {
    job++;
    for (const c of contributors) await c.advertise();
    await net.sched.runUntil(net.sched.now + 3000);
    return settleVirtual(
      net.sched,
      requester.submit(
        { capsule: 'crypto', method: 'sha256', params: `{"n":${job}}`, budget: 2, deadlineMs: 600_000 },
        (e) => events.push(e),
      ),
      SEED,
      3_600_000,
    );
  };
  const outcome = async (): Promise<string> => {
    try {
      const d = await submit();
      return `paid ${Object.keys(d.paid).length}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  const tipBefore = (await r.wallet.ledger.history()).at(-1)!;
  const first = await outcome(); // first contact: no head in the claims, the whole chain
  // A contributor handed nothing (a whole chain over the RPC limit is refused) tells the head of
  // the chain as it was before job 1, as one that audited it earlier (when it was shorter) would.
  for (const i of [0, 1]) if (!heads.has(i)) heads.set(i, { seq: tipBefore.seq, hash: entryHash(tipBefore) });
  const second = await outcome(); // the claims tell a head: only the records after it
  const of = (j: number) => received.filter((x) => x.job === j);
  const sum = (xs: Received[], k: 'bundleBytes' | 'frameBytes') => xs.reduce((s, x) => s + x[k], 0);
  const whole = of(1);
  const since = of(2);
  const builtFor = (j: number) => built.filter((x) => x.job === j);
  return {
    requesterRecords: startSeq,
    rpcLimitBytes: LIMITS.rpcBytes,
    outcome: { wholeChain: first, since: second },
    built: { wholeChain: builtFor(1), since: builtFor(2) },
    growMs: Math.round(grownMs),
    wholeChain: {
      frames: whole.length,
      perFrame: whole,
      bytesPerPayment: whole.length ? Math.round(sum(whole, 'frameBytes') / whole.length) : null,
      builtBytesPerPayment: Math.round(
        builtFor(1).reduce((n, x) => n + x.frameBytes, 0) / Math.max(1, builtFor(1).length),
      ),
    },
    since: {
      frames: since.length,
      perFrame: since,
      bytesPerPayment: since.length ? Math.round(sum(since, 'frameBytes') / since.length) : null,
    },
    ratio:
      builtFor(2).reduce((n, x) => n + x.frameBytes, 0) / builtFor(1).reduce((n, x) => n + x.frameBytes, 0),
    wholeChainEvents: events.filter((e) => e.kind === 'whole-chain').length,
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
        'bytes of the pledge and pay bundles a contributor receives on the market path (MarketRequester → MarketContributor, simulated mesh), a requester chain of N records: job 1 first contact (whole chain), job 2 with the audited head in the claim (since); frameBytes = the market.pay frame (encodePayment) carrying the bundle; the payee audit is not run (see header)',
      results,
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  };
  for (const n of SIZES) {
    const r = await runSize(n);
    results.push(r);
    console.log(
      `${String(r.requesterRecords).padStart(6)} records: whole chain ${r.wholeChain.builtBytesPerPayment} B per pledge/pay frame built, ${r.wholeChain.frames} received (${r.outcome.wholeChain}); since ${r.since.bytesPerPayment} B (${r.since.frames} received, ${r.outcome.since}); ratio ${r.ratio.toExponential(2)}`,
    );
    write();
    console.log(`wrote ${OUT}`);
  }
}

await main();
