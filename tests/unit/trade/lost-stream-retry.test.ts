/**
 * A run lost to the transport (its market.run stream broke) offers the job to that contributor once
 * more: with exactly as many contributors as the quorum, one broken stream otherwise left the job
 * unverifiable ("1 result(s), 2 agreeing needed, and no other contributor is left": the browsers
 * slow test's Submit-page and SIGKILL steps, session 7). A contributor that stays unreachable is
 * given up after that one retry. On the simulated mesh (virtual time, seeded) with real wallets,
 * signatures and audits; the broken stream is injected at the requester's RPC call.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/mesh/protocol/errors.ts';
import { RPC_DEADLINE_PASSED } from '../../../src/mesh/protocol/rpc.ts';
import { MARKET_METHODS, type MarketEvent } from '../../../src/trade/index.ts';
import { seedFromEnv } from '../_prng.ts';
import { requesterOn, simPeers, TEST_BITS, walletContributor, advertiseAll } from './_world.ts';

const SEED = seedFromEnv(20261130);

/** What a contributor's host returns instead of the output (an engine fault), for its first `times` runs. */
type Fault = { status: 'cancelled' | 'internalError' | 'timeout'; times: number };

async function world(seed: number, fault?: Fault) {
  const { rand, net, peers, settle } = await simPeers(seed, 3);
  const cs = peers.slice(1).map((p, k) => {
    let faults = k === 0 ? (fault?.times ?? 0) : 0;
    return walletContributor(p, {
      run: () =>
        Promise.resolve(
          faults-- > 0 && fault
            ? {
                status: fault.status,
                costUsed: 0,
                output: new Uint8Array(0),
                error: `stopped: ${fault.status}`,
              }
            : { status: 'ok', costUsed: 1, output: new Uint8Array([7, 7]), error: '' },
        ),
    });
  });
  const r = peers[0]!;
  await r.wallet.mint(20, undefined, undefined, TEST_BITS);
  const requester = requesterOn(r, rand);
  // The transport: `broken(peer)` says how many market.run calls to that peer fail as a broken stream,
  // `late(peer)` how many market.offer calls are answered "deadline passed" (a slow first dial).
  const broken = new Map<string, number>();
  const late = new Map<string, number>();
  const call = r.node.rpc.call.bind(r.node.rpc);
  r.node.rpc.call = (peer, method, body, timeoutMs, signal) => {
    const k = late.get(peer) ?? 0;
    if (method === MARKET_METHODS.offer && k > 0) {
      late.set(peer, k - 1);
      return Promise.resolve({ status: 'failed', body: new Uint8Array(0), message: RPC_DEADLINE_PASSED });
    }
    const n = broken.get(peer) ?? 0;
    if (method === MARKET_METHODS.run && n > 0) {
      broken.set(peer, n - 1);
      return Promise.reject(
        new MeshError('unreachable', `/inos/rpc/1 stream to ${peer} failed: UnexpectedEOFError`, { peer }),
      );
    }
    return call(peer, method, body, timeoutMs, signal);
  };
  const job = async (n: number, events: MarketEvent[]) => {
    await advertiseAll(cs, net);
    return settle(
      requester.submit(
        { capsule: 'crypto', method: 'sha256', params: `{"n":${n}}`, budget: 2, deadlineMs: 20_000 },
        (e) => events.push(e),
      ),
    );
  };
  return { peers, broken, late, job };
}

describe(`a run lost to a broken stream is offered once more (seed ${SEED})`, { timeout: 90_000 }, () => {
  it('two contributors, quorum 2, one run stream breaks: the job is verified and both are paid', async () => {
    console.info(`[lost-stream-retry] seed ${SEED}`);
    const { peers, broken, job } = await world(SEED);
    const victim = peers[1]!;
    broken.set(victim.node.port.self, 1);
    const events: MarketEvent[] = [];
    const done = await job(1, events);
    expect(done.status).toBe('ok');
    expect(Object.keys(done.paid).sort()).toEqual(
      peers
        .slice(1)
        .map((p) => p.wallet.nodeId)
        .sort(),
    );
    const mine = events.filter(
      (e) => e.contributor === victim.wallet.nodeId || e.contributor === victim.node.port.self,
    );
    expect(mine.map((e) => e.kind)).toContain('reissued');
    expect(mine.filter((e) => e.kind === 'running')).toHaveLength(2);
    // Paid once, for the run that returned; the broken run's pledge was voided.
    expect((await victim.wallet.balance()).peerCredits).toBe(done.paid[victim.wallet.nodeId]);
  });

  it('an offer that arrived after its RPC deadline (a slow first dial) is made once more', async () => {
    const { peers, late, job } = await world(SEED + 6);
    const victim = peers[1]!;
    late.set(victim.node.port.self, 1);
    const events: MarketEvent[] = [];
    const done = await job(6, events);
    expect(done.status).toBe('ok');
    expect(Object.keys(done.paid)).toContain(victim.wallet.nodeId);
    const offered = events.filter((e) => e.kind === 'offered' && e.contributor === victim.node.port.self);
    expect(offered).toHaveLength(2);
  });

  it('a contributor whose streams keep breaking is given up after one retry', async () => {
    const { peers, broken, job } = await world(SEED + 1);
    const victim = peers[1]!;
    broken.set(victim.node.port.self, 1_000);
    const events: MarketEvent[] = [];
    await expect(job(2, events)).rejects.toThrow(/no other contributor is left/);
    const runs = events.filter((e) => e.kind === 'running' && e.contributor === victim.wallet.nodeId);
    expect(runs).toHaveLength(2);
  });

  it('a run its host returned "cancelled" (no stop asked) or internalError is offered to it once more', async () => {
    for (const [n, status] of [
      [3, 'cancelled'],
      [4, 'internalError'],
    ] as const) {
      const { peers, job } = await world(SEED + n, { status, times: 1 });
      const victim = peers[1]!;
      const events: MarketEvent[] = [];
      const done = await job(n, events);
      expect(done.status).toBe('ok');
      expect(Object.keys(done.paid)).toContain(victim.wallet.nodeId);
      const mine = events.filter((e) => e.contributor === victim.wallet.nodeId);
      expect(mine.filter((e) => e.kind === 'running')).toHaveLength(2);
      // Paid once, for the run that answered.
      expect((await victim.wallet.balance()).peerCredits).toBe(done.paid[victim.wallet.nodeId]);
    }
  });

  it("a run stopped by its time limit is the job's own: not offered to that contributor again", async () => {
    const { peers, job } = await world(SEED + 5, { status: 'timeout', times: 1 });
    const victim = peers[1]!;
    const events: MarketEvent[] = [];
    await expect(job(5, events)).rejects.toThrow(/no other contributor is left/);
    const runs = events.filter((e) => e.kind === 'running' && e.contributor === victim.wallet.nodeId);
    expect(runs).toHaveLength(1);
  });
});
