/**
 * The market tests' world: peers on the simulated mesh (virtual time, seeded, no loss), each with a
 * real MeshNode, chunk store and MarketWallet (real signatures and audits). Peer 0 is the requester
 * by convention. One place for what every market test on the simulated mesh sets up the same way.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { encodePayment } from '../../../src/trade/frames.ts';
import { signEntry, type PaymentBundle, type PledgeBundle } from '../../../src/ledger/index.ts';
import { MeshNode } from '../../../src/mesh/protocol/node.ts';
import { SimNetwork, type SimNode } from '../../../src/mesh/sim/network.ts';
import { mulberry32 } from '../../../src/mesh/sim/prng.ts';
import {
  MarketContributor,
  MarketRequester,
  MarketWallet,
  MemoryChunks,
  type MarketContributorOptions,
  type MarketRequesterOptions,
  type RequesterPayments,
} from '../../../src/trade/index.ts';
import { settleVirtual } from './_settle.ts';

/** A mint target the tests' wallets reach in a few ms (2^18 hashes per bound item on average). */
export const TEST_BITS = targetToCompact(2n ** 256n / 2n ** 18n - 1n);

/**
 * `payer` mints, pays `payee` (`first`) and then signs the same seq again with other content
 * (`second`): the same credits spent twice, which `payee`'s wallet refuses with a fork proof.
 */
export async function doubleSpend(
  payer: MarketWallet,
  payee: string,
): Promise<{ first: PaymentBundle; second: PaymentBundle }> {
  const what = { jobId: 'j', capsule: 'crypto', method: 'sha256' };
  await payer.mint(8, undefined, undefined, TEST_BITS);
  const hold = await payer.payments.hold('job-1', 4_000_000);
  const before = await payer.ledger.history();
  const first = await payer.payments.pay(hold.id, payee, 2_000_000, what);
  const again = signEntry({ ...first.pay, id: 'second-spend', amount: 1_000_000 }, payer.identity);
  return { first, second: { pay: again, chains: { [payer.nodeId]: [...before, again] } } };
}

/** The error `p` rejects with (a wallet's ReceiptRejectedError); fails when it resolves. */
export async function refusal(p: Promise<unknown>): Promise<{ reason: string; detail: string }> {
  try {
    await p;
  } catch (err) {
    return err as { reason: string; detail: string };
  }
  throw new Error('expected a refusal');
}

export interface SimPeer<C extends MemoryChunks = MemoryChunks> {
  sim: SimNode;
  node: MeshNode;
  chunks: C;
  wallet: MarketWallet;
}

/**
 * `count` started peers on one simulated mesh, its tables, gossip mesh and heartbeat running;
 * `makeChunks` gives each its chunk store (a subclass that hooks what it serves, say).
 */
export async function simPeers<C extends MemoryChunks = MemoryChunks>(
  seed: number,
  count: number,
  makeChunks: () => C = () => new MemoryChunks() as C,
) {
  const rand = mulberry32(seed);
  const net = new SimNetwork(rand, { loss: 0 });
  const now = () => Math.floor(net.sched.now);
  const peers: SimPeer<C>[] = [];
  for (let i = 0; i < count; i++) {
    const sim = net.addNode(`p${i}`);
    const chunks = makeChunks();
    const node = new MeshNode(sim.port, { source: chunks, random: rand });
    await node.start();
    peers.push({ sim, node, chunks, wallet: await MarketWallet.open(new IDBFactory(), { now }) });
  }
  net.buildTables();
  net.buildMesh();
  net.startHeartbeat();
  /** Runs virtual time until `promise` settles (at most `maxMs` of it). */
  const settle = <T>(promise: Promise<T>, maxMs = 600_000): Promise<T> =>
    settleVirtual(net.sched, promise, seed, maxMs);
  return { rand, net, now, peers, settle };
}

/**
 * A started contributor offering `crypto` on `p`, paid into p's wallet (receive and pledges);
 * `over` supplies `run` and anything else that differs.
 */
export function walletContributor(
  p: SimPeer,
  over: Partial<MarketContributorOptions> & Pick<MarketContributorOptions, 'run'>,
): MarketContributor {
  const c = new MarketContributor({
    node: p.node,
    chunks: p.chunks,
    signer: p.wallet.identity,
    capsules: [{ name: 'crypto', version: 1 }],
    workers: 2,
    receive: (bundle, work) => p.wallet.receive(bundle, work),
    acceptPledge: (bundle) => p.wallet.acceptPledge(bundle),
    ...over,
  });
  c.start();
  return c;
}

/**
 * A requester on `p` paying from p's wallet (`over` replaces anything, e.g. recording payments);
 * `random` is the world's seeded PRNG.
 */
/** Every contributor publishes its advert and the mesh runs 3 s of virtual time, so requesters hold them. */
export async function advertiseAll(cs: MarketContributor[], net: SimNetwork): Promise<void> {
  for (const c of cs) await c.advertise();
  await net.sched.runUntil(net.sched.now + 3000);
}

export function requesterOn(
  p: SimPeer,
  random: () => number,
  over: Partial<MarketRequesterOptions> = {},
): MarketRequester {
  return new MarketRequester({
    node: p.node,
    chunks: p.chunks,
    signer: p.wallet.identity,
    random,
    payments: p.wallet.requesterPayments(),
    ...over,
  });
}

/** One pledge or pay bundle the requester built, as the audited-head tests count it. */
export interface SentBundle {
  to: string;
  kind: 'pledge' | 'pay';
  /** Records of the requester's own chain in the bundle, and the first one's seq. */
  own: number;
  from: number;
  /** The market.pay / market.run body bytes this bundle takes on the wire. */
  bytes: number;
}

/** `wallet`'s requester payments, recording every bundle they build into `sent`. */
export function recordingPayments(wallet: MarketWallet, sent: SentBundle[]): RequesterPayments {
  const own = wallet.nodeId;
  const live = wallet.requesterPayments();
  const note = <B extends PaymentBundle | PledgeBundle>(
    to: string,
    kind: SentBundle['kind'],
    b: B,
    jobId: string,
  ) => {
    const chain = b.chains[own] ?? [];
    sent.push({
      to,
      kind,
      own: chain.length,
      from: chain[0]?.seq ?? 0,
      bytes: encodePayment({ jobId, bundle: JSON.stringify(b) }).length,
    });
    return b;
  };
  return {
    hold: (j, b) => live.hold(j, b),
    release: (h, why) => live.release(h, why),
    pay: async (h, p, a, w, o) => note(p, 'pay', await live.pay(h, p, a, w, o), w.jobId),
    pledge: async (h, p, a, w, o) => note(p, 'pledge', await live.pledge!(h, p, a, w, o), w.jobId),
  };
}
