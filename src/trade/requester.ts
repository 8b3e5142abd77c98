/**
 * The requester's side of the market, on one MeshNode. One `submit` is one job:
 *
 *   hold      escrow for budget × redundancy credits (only the agreeing quorum is paid);
 *   offer     a signed MarketOffer to a contributor whose advert names the capsule, best mesh
 *             reputation first, skipping those the market's Reputation excluded and those whose
 *             workers are all busy with our jobs; it answers with a signed claim (or declines);
 *   run       the assignment; the result comes back signed, its output inline or as chunks the
 *             contributor serves (re-hashed on arrival, so a result is what its hash says);
 *   verify    src/market's WorkUnit: `redundancy` distinct identities (2 by default) must agree on
 *             (status, output hash); a trusted contributor is replicated with probability 1/n
 *             (Reputation.needsReplica); a disagreement brings one more run, the minority is
 *             penalised and paid nothing;
 *   pay       each agreeing contributor is paid by a payer-signed pay record (ledger Payments.pay),
 *             sent as a MarketPayment; then the rest of the hold is released. The amount is never
 *             one contributor's word alone: for a method with a work-based price
 *             (src/capsules/price.ts) min(its claimed costUsed, the price we compute from the job's
 *             input, params and verified output, budget), a claim above the price is recorded
 *             ('overclaimed', Reputation.recordOverclaim); for an unpriced method, the lowest
 *             costUsed claimed in the agreeing quorum (≤ budget), paid to each of them.
 *
 * A contributor that does not answer within the deadline, or vanishes, is dropped for this job and
 * the run goes to another one; it is never paid. No timer is started here: deadlines are RPC
 * timeouts the port enforces, so the same code runs on the simulator's virtual clock.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import {
  entryHash,
  MICRO_CREDITS_PER_CREDIT,
  type BundleOptions,
  type PaymentBundle,
  type PledgeBundle,
} from '../ledger/index.ts';
import { priceOf } from '../capsules/price.ts';
import { payQuorum } from '../market/pay.ts';
import { Reputation } from '../market/reputation.ts';
import { WorkUnit } from '../market/work-unit.ts';
import type { MeshNode } from '../mesh/protocol/node.ts';
import type { PeerIdString } from '../mesh/protocol/port.ts';
import { RPC_DEADLINE_PASSED } from '../mesh/protocol/rpc.ts';
import { toHex } from '../mesh/protocol/chunk-exchange.ts';
import { blake3Digest } from '../capsules/crypto/hash.ts';
import { joinChunks, type ChunkHolder } from './chunk-store.ts';
import { BUSY_REASON, MARKET_METHODS } from './contributor.ts';
import {
  decodeClaim,
  decodeResult,
  encodeAssign,
  encodeOffer,
  encodePayment,
  MARKET_LIMITS,
  type BundleRef,
  type JobStatus,
  type MarketClaim,
  type MarketResult,
} from './frames.ts';
import { signFrame, verifyFrame, type MarketSigner } from './signing.ts';

export interface MarketJob {
  capsule: string;
  method: string;
  /** JSON text. */
  params: string;
  input?: Uint8Array;
  /** Credits one run may spend. */
  budget: number;
  /** How long one run may take, ms. */
  deadlineMs: number;
  /** Distinct identities that must agree (default 2; 1 = no verification). */
  redundancy?: number;
  /** The job's id (32 hex digits; its escrow hold carries it); default: a fresh random one. */
  jobId?: string;
}

export type MarketEventKind =
  | 'offered'
  | 'claimed'
  | 'declined'
  | 'running'
  | 'result'
  | 'reissued'
  | 'verified'
  | 'penalised'
  | 'paid'
  /** A contributor claimed more than the job's work-based price; it is paid the price. */
  | 'overclaimed'
  | 'released'
  /** A claim's audited head is not on this wallet's chain: the whole chain goes with the pledge or pay. */
  | 'whole-chain';

export interface MarketEvent {
  kind: MarketEventKind;
  jobId: string;
  contributor?: string;
  /** Micro-credits, for 'paid' and 'released'. */
  credits?: number;
  /** 'paid': bytes of the MarketPayment frame sent (the bundle: the chain records after the payee's audited head). */
  bytes?: number;
  /** 'paid': bytes of a bundle over MARKET_LIMITS.inlineBundleBytes, served as chunks (the frame only names them). */
  chunkedBytes?: number;
  detail?: string;
}

export interface JobDone {
  jobId: string;
  status: JobStatus;
  output: Uint8Array;
  error: string;
  outputHash: string;
  /** Micro-credits paid, per contributor node id. */
  paid: Record<string, number>;
  penalised: string[];
  /** Contributors that claimed more than the job's work-based price (credits claimed, price). */
  overclaimed?: Record<string, { claimed: number; price: number }>;
  runs: number;
  /** Accepted on one trusted result (adaptive replication). */
  unchecked: boolean;
}

/** No contributor offers the capsule, or every one that does declined or failed. */
export class NoContributorError extends Error {
  override readonly name = 'NoContributorError';
}

/** The wallet calls the requester needs (ledger Payments; amounts in micro-credits). */
export interface RequesterPayments {
  hold(jobId: string, budget: number): Promise<{ id: string }>;
  /** `opts.since`: the payee's audited head from its claim (only newer records are sent). */
  pay(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; pledge?: string },
    opts?: BundleOptions,
  ): Promise<PaymentBundle>;
  release(holdId: string, reason?: string): Promise<unknown>;
  /**
   * Escrow for one assigned run (ledger Payments.pledge). Absent: runs are assigned without one,
   * and a contributor whose requester leaves is not paid.
   */
  pledge?(
    holdId: string,
    payee: string,
    amount: number,
    what: { jobId: string; capsule: string; method: string; redeemAfter: number },
    opts?: BundleOptions,
  ): Promise<PledgeBundle>;
}

/** A pledge becomes redeemable this long after the run's deadline, if no pay closed it. */
export const PLEDGE_GRACE_MS = 10 * 60_000;

export interface MarketRequesterOptions {
  node: MeshNode;
  chunks: ChunkHolder;
  signer: MarketSigner;
  payments: RequesterPayments;
  reputation?: Reputation;
  random?: () => number;
  /** Does the mesh peer `peer` hold the key of node id `nodeId`? (libp2p: PeerId from the key). */
  samePeer?: (peer: PeerIdString, nodeId: string) => boolean;
  newJobId?: () => string;
  /** Added to a run's deadline to give its pledge's redeemAfter; default PLEDGE_GRACE_MS. */
  pledgeGraceMs?: number;
  /**
   * When a job needs another contributor and every known one was tried, wait this long (wall clock)
   * for a new advert before giving up. Adverts arrive one by one (each peer refreshes on its own
   * schedule), so a requester that just joined may know one contributor when it needs two.
   * Default 0: give up at once (the simulations run on virtual time).
   */
  newcomerWaitMs?: number;
}

interface Candidate {
  peer: PeerIdString;
  workers: number;
}

/** The pledges of one job: at most the hold, one per contributor; closed by a pay or a void. */
class JobEscrow {
  readonly open = new Map<string, { hash: string; amount: number; peer: PeerIdString }>();
  #free: number;

  constructor(
    private readonly payments: RequesterPayments,
    private readonly holdId: string,
    holdBudget: number,
    private readonly what: { jobId: string; capsule: string; method: string },
  ) {
    this.#free = holdBudget;
  }

  /** Pledges up to `amount` to `contributor`; undefined when the wallet cannot pledge or the hold is spoken for. */
  async pledge(
    contributor: string,
    peer: PeerIdString,
    amount: number,
    redeemAfter: number,
    opts: BundleOptions = {},
  ): Promise<string | undefined> {
    const give = Math.min(amount, this.#free);
    if (this.payments.pledge === undefined || give < 1 || this.open.has(contributor)) return undefined;
    this.#free -= give;
    try {
      const bundle = await this.payments.pledge(
        this.holdId,
        contributor,
        give,
        { ...this.what, redeemAfter },
        opts,
      );
      this.open.set(contributor, { hash: entryHash(bundle.pledge), amount: give, peer });
      return JSON.stringify(bundle);
    } catch (err) {
      this.#free += give;
      throw err;
    }
  }

  /** Closes `contributor`'s pledge by paying `amount` (0: a void); returns the bundle, or undefined with no pledge. */
  async close(
    contributor: string,
    amount: number,
    opts: BundleOptions = {},
  ): Promise<PaymentBundle | undefined> {
    const p = this.open.get(contributor);
    if (p === undefined) return undefined;
    const bundle = await this.payments.pay(
      this.holdId,
      contributor,
      amount,
      { ...this.what, pledge: p.hash },
      opts,
    );
    this.open.delete(contributor);
    this.#free += p.amount - amount;
    return bundle;
  }
}

export class MarketRequester {
  readonly reputation: Reputation;
  readonly #o: MarketRequesterOptions;
  readonly #random: () => number;
  readonly #inflight = new Map<PeerIdString, number>();
  readonly #known = new Map<PeerIdString, { workers: number; capsules: Set<string> }>();
  /** Node ids learnt from signed claims, by mesh peer. */
  readonly #nodeOf = new Map<PeerIdString, string>();
  /** Each contributor's audited head of our chain, from its latest signed claim (hash hex). */
  readonly #heads = new Map<string, { seq: number; hash: string }>();
  #waiters: (() => void)[] = [];
  /** Holds on chunks of bundles in flight (#carry), by hex address. */
  readonly #carried = new Map<string, number>();

  constructor(o: MarketRequesterOptions) {
    this.#o = o;
    // One proven wrong result and this requester gives that identity no more work.
    this.reputation = o.reputation ?? new Reputation({ maxStrikes: 1 });
    this.#random = o.random ?? Math.random;
  }

  /**
   * Contributors offering `capsule`: fresh adverts (best mesh reputation first), then those seen
   * earlier in this session whose advert lapsed (gossip may lag behind a busy peer), without
   * identities the market's Reputation excluded.
   */
  offering(capsule: string): Candidate[] {
    const fresh = this.#o.node.adverts
      .offering(capsule, this.#random)
      .filter((a) => a.peerId !== this.#o.node.port.self && a.workers > 0);
    for (const a of fresh)
      this.#known.set(a.peerId, { workers: a.workers, capsules: new Set(a.capsules.map((c) => c.name)) });
    const seen = new Set(fresh.map((a) => a.peerId));
    const lapsed = [...this.#known]
      .filter(([p, k]) => !seen.has(p) && k.capsules.has(capsule) && !this.#o.node.reputation.isBanned(p))
      .map(([p, k]) => ({ peerId: p, workers: k.workers }));
    return [...fresh, ...lapsed]
      .filter((a) => {
        const id = this.#nodeOf.get(a.peerId);
        return id === undefined || !this.reputation.excluded(id);
      })
      .map((a) => ({ peer: a.peerId, workers: a.workers }));
  }

  async submit(
    job: MarketJob,
    onEvent: (e: MarketEvent) => void = () => {},
    signal?: AbortSignal,
  ): Promise<JobDone> {
    const redundancy = job.redundancy ?? 2;
    if (!Number.isSafeInteger(redundancy) || redundancy < 1 || redundancy > 5)
      throw new RangeError(`redundancy must be an integer from 1 to 5, got ${redundancy}`);
    if (!Number.isSafeInteger(job.budget) || job.budget < 1)
      throw new RangeError(`budget must be a whole number of credits ≥ 1, got ${job.budget}`);
    if (this.offering(job.capsule).length === 0) {
      const peers = this.#o.node.port.peers().length;
      throw new NoContributorError(
        `no contributor offers ${job.capsule}.${job.method}; 0 of the ${peers} connected peer(s) have it (${this.#o.node.adverts.size} advert(s) known)`,
      );
    }
    const jobId = job.jobId ?? this.#o.newJobId?.() ?? bytesToHex(randomBytes(16));
    const budgetMicro = job.budget * MICRO_CREDITS_PER_CREDIT;
    // Only the quorum's members are paid, each at most the budget: redundancy × budget covers it.
    const hold = await this.#o.payments.hold(jobId, budgetMicro * redundancy);
    const what = { jobId, capsule: job.capsule, method: job.method };
    const escrow = new JobEscrow(this.#o.payments, hold.id, budgetMicro * redundancy, what);
    const inputs = job.input ? this.#o.chunks.put(job.input) : [];
    let spent = 0;
    try {
      const done = await this.#verify(jobId, job, redundancy, hold.id, inputs, onEvent, signal, escrow);
      const credits = this.#payable(job, done.report, done.valid, onEvent);
      // Payments are signed one after another (each extends our chain), then sent to the payees at
      // once: a payee that is slow to audit or confirm does not hold up the others.
      const sends: Promise<void>[] = [];
      for (const [contributor, r] of done.valid) {
        const amount = Math.min((credits.get(contributor) ?? 0) * MICRO_CREDITS_PER_CREDIT, budgetMicro);
        if (amount < 1 && !escrow.open.has(contributor)) continue;
        const opts = this.#bundleFor(contributor, jobId, onEvent);
        const bundle =
          (await escrow.close(contributor, amount, opts)) ??
          (await this.#o.payments.pay(hold.id, contributor, amount, what, opts));
        spent += amount;
        done.report.paid[contributor] = amount;
        const sent = this.#carry(JSON.stringify(bundle));
        const frame = this.#paymentFrame(jobId, sent);
        sends.push(
          this.#o.node.rpc
            .call(r.peer, MARKET_METHODS.pay, frame, payTimeoutMs(sent), signal)
            .catch((err: unknown) => ({ status: 'failed' as const, message: String(err) }))
            .finally(() => this.#uncarry(sent))
            .then((reply) =>
              onEvent({
                kind: 'paid',
                jobId,
                contributor,
                credits: amount,
                bytes: frame.length,
                ...('ref' in sent ? { chunkedBytes: sent.ref.bytes } : {}),
                ...(reply.status === 'ok' ? {} : { detail: `payee did not confirm: ${reply.message}` }),
              }),
            ),
        );
      }
      await Promise.all(sends);
      return done.report;
    } finally {
      // Runs not paid (wrong, lost or unfinished) have their pledges voided before the hold closes,
      // which would otherwise count them as paid.
      for (const contributor of [...escrow.open.keys()])
        await this.#void(escrow, contributor, jobId, signal, onEvent).catch(() => undefined);
      this.#o.chunks.drop(inputs);
      await this.#o.payments.release(hold.id, 'job finished: unspent budget returned');
      onEvent({ kind: 'released', jobId, credits: budgetMicro * redundancy - spent });
    }
  }

  /**
   * Credits each agreeing contributor is paid (src/market/pay.ts, the simulation's formula too): for a
   * priced method min(claimed, our own price of the job, budget); otherwise the quorum's lowest claim
   * (≤ budget). Records overclaims.
   */
  #payable(
    job: MarketJob,
    report: JobDone,
    valid: Map<string, { costUsed: number }>,
    onEvent: (e: MarketEvent) => void,
  ): Map<string, number> {
    const price = report.status === 'ok' ? jobPrice(job, report.output) : undefined;
    const claims = new Map([...valid].map(([contributor, r]) => [contributor, r.costUsed]));
    const { paid, overclaimed } = payQuorum(claims, price, job.budget);
    for (const [contributor, o] of overclaimed) {
      this.reputation.recordOverclaim(contributor);
      (report.overclaimed ??= {})[contributor] = o;
      onEvent({
        kind: 'overclaimed',
        jobId: report.jobId,
        contributor,
        detail: `claimed ${o.claimed} credits; the job's price is ${o.price} (paid the price)`,
      });
    }
    return paid;
  }

  /**
   * What a pledge or pay to `contributor` sends of our chain: the records after the audited head its
   * claim told (the wallet checks the head is on our chain, else sends it whole and we log why).
   */
  #bundleFor(contributor: string, jobId: string, onEvent: (e: MarketEvent) => void): BundleOptions {
    const head = this.#heads.get(contributor);
    if (head === undefined) return {};
    return {
      since: head,
      onUnknownHead: (why) => {
        // Asked again at the next claim; until then nothing is trusted from this head.
        this.#heads.delete(contributor);
        onEvent({ kind: 'whole-chain', jobId, contributor, detail: why });
      },
    };
  }

  /**
   * How a bundle travels: inline when its JSON is at most MARKET_LIMITS.inlineBundleBytes, else put
   * in our chunk store and named by a BundleRef the payee fetches from us (a whole chain of
   * thousands of records is megabytes, over the 1 MiB RPC body). Chunks are held until #uncarry;
   * two bundles may share chunks (the same chain at the same offsets), so holds are counted here.
   */
  #carry(json: string): Carried {
    const bytes = new TextEncoder().encode(json);
    if (bytes.length <= MARKET_LIMITS.inlineBundleBytes) return { inline: json };
    if (bytes.length > MARKET_LIMITS.chunkedBundleBytes)
      throw new RangeError(
        `the bundle is ${bytes.length} bytes, over the ${MARKET_LIMITS.chunkedBundleBytes} a contributor fetches: ` +
          'this chain is too long to pay a contributor that never audited it',
      );
    const chunks = this.#o.chunks.put(bytes);
    for (const c of chunks) {
      const k = toHex(c);
      this.#carried.set(k, (this.#carried.get(k) ?? 0) + 1);
    }
    return { ref: { hash: blake3Digest(bytes, () => {}), bytes: bytes.length, chunks } };
  }

  #uncarry(sent: Carried): void {
    if (!('ref' in sent)) return;
    const free: Uint8Array[] = [];
    for (const c of sent.ref.chunks) {
      const k = toHex(c);
      const n = (this.#carried.get(k) ?? 1) - 1;
      if (n > 0) this.#carried.set(k, n);
      else if (this.#carried.delete(k)) free.push(c);
    }
    this.#o.chunks.drop(free);
  }

  /** A MarketPayment for a carried bundle: inline, or its signed chunk reference (version 2). */
  #paymentFrame(jobId: string, sent: Carried): Uint8Array {
    if (!('ref' in sent)) return encodePayment({ jobId, bundle: sent.inline });
    const { signer } = this.#o;
    const signed = signFrame('payment', { jobId, payer: signer.nodeId, bundle: sent.ref }, signer);
    return encodePayment({
      jobId,
      bundle: '',
      ref: { payer: signer.nodeId, bundle: sent.ref, sig: signed.sig },
    });
  }

  /** Voids a contributor's pledge and tells it (best effort: an auditor that sees the void refuses a redemption anyway). */
  async #void(
    escrow: JobEscrow,
    contributor: string,
    jobId: string,
    signal: AbortSignal | undefined,
    onEvent: (e: MarketEvent) => void,
  ): Promise<void> {
    const peer = escrow.open.get(contributor)?.peer;
    const bundle = await escrow.close(contributor, 0, this.#bundleFor(contributor, jobId, onEvent));
    if (bundle === undefined || peer === undefined) return;
    const sent = this.#carry(JSON.stringify(bundle));
    await this.#o.node.rpc
      .call(peer, MARKET_METHODS.pay, this.#paymentFrame(jobId, sent), payTimeoutMs(sent, 10_000), signal)
      .catch(() => undefined)
      .finally(() => this.#uncarry(sent));
  }

  async #verify(
    jobId: string,
    job: MarketJob,
    redundancy: number,
    holdId: string,
    inputs: Uint8Array[],
    onEvent: (e: MarketEvent) => void,
    signal: AbortSignal | undefined,
    escrow: JobEscrow,
  ): Promise<{
    report: JobDone & { paid: Record<string, number> };
    valid: Map<string, { peer: PeerIdString; costUsed: number }>;
  }> {
    const unit = new WorkUnit(jobId, { quorum: redundancy, maxResults: redundancy + 2 });
    const tried = new Set<PeerIdString>();
    // Contributors whose offer or run was lost to the transport (a stream that broke, a dial that
    // failed), offered the job once more: with as many contributors as the quorum, one broken
    // stream otherwise left the job unverifiable ("no other contributor is left").
    const retried = new Set<PeerIdString>();
    const results = new Map<string, { peer: PeerIdString; result: MarketResult; output: Uint8Array }>();
    let runs = 0;
    // Why contributors declined ("paused by the contributor"), for the error when nobody is left.
    const declines = new Map<string, number>();
    // Why offers or runs failed ("offer refused: …"), for the same error.
    const failures = new Map<string, number>();
    const tell = onEvent;
    onEvent = (e) => {
      if (e.kind === 'declined' && e.detail) declines.set(e.detail, (declines.get(e.detail) ?? 0) + 1);
      if (e.kind === 'reissued' && e.detail) failures.set(e.detail, (failures.get(e.detail) ?? 0) + 1);
      tell(e);
    };

    const runOnce = async (alone = false): Promise<boolean> => {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const c = await this.#nextCandidate(job.capsule, tried);
        if (c === undefined) return false;
        let busy = false;
        try {
          const r = await this.#attempt(jobId, job, holdId, inputs, c.peer, onEvent, signal, escrow);
          if (r === 'busy') {
            busy = true;
            continue;
          }
          if (r === 'lost') {
            if (!retried.has(c.peer)) {
              retried.add(c.peer);
              tried.delete(c.peer);
            }
            continue;
          }
          if (r === null) continue;
          const id = r.result.contributor;
          if (unit.contributors().includes(id) || unit.state.state !== 'pending') return true;
          runs++;
          results.set(id, { peer: c.peer, ...r });
          const key = { hash: `${r.result.status}:${bytesToHex(r.result.outputHash)}` };
          if (alone && this.reputation.trusted(id)) unit.acceptAlone(id, key);
          else unit.add(id, key);
          return true;
        } finally {
          this.#release(c.peer);
          // Declined for now (all its workers busy): ask it again once one of our runs ends, if any.
          if (busy && this.#inflightTotal() > 0) {
            tried.delete(c.peer);
            await new Promise<void>((resolve) => this.#waiters.push(resolve));
          }
        }
      }
    };

    // Adaptive replication: a trusted best candidate whose 1/n draw says "no replica" runs alone.
    const best = this.offering(job.capsule)[0];
    const bestId = best === undefined ? undefined : this.#nodeOf.get(best.peer);
    const alone =
      redundancy > 1 &&
      bestId !== undefined &&
      this.reputation.trusted(bestId) &&
      !this.reputation.needsReplica(bestId, this.#random);
    if (alone) await runOnce(true);
    if (unit.state.state === 'pending' && unit.contributors().length === 0)
      await Promise.all(Array.from({ length: redundancy }, () => runOnce()));
    // One more run per disagreement (or per run lost to a vanished contributor).
    while (unit.state.state === 'pending') {
      if (!(await runOnce())) break;
    }
    const state = unit.state;
    if (state.state !== 'valid') {
      const why =
        state.state === 'failed'
          ? state.reason
          : `${unit.contributors().length} result(s), ${redundancy} agreeing needed, and no other contributor is left`;
      const list = (m: Map<string, number>): string =>
        [...m].map(([what, n]) => (n > 1 ? `${what} ×${n}` : what)).join('; ');
      throw new NoContributorError(
        `job ${jobId} (${job.capsule}.${job.method}) could not be verified: ${why}` +
          (declines.size > 0 ? ` (declined: ${list(declines)})` : '') +
          (failures.size > 0 ? ` (failed: ${list(failures)})` : '') +
          (tried.size === 0 ? ` (no contributor offers ${job.capsule} now)` : ''),
      );
    }
    if (!(state.valid.length === 1 && redundancy > 1)) {
      for (const id of state.valid) this.reputation.recordValid(id);
      for (const id of state.invalid) {
        this.reputation.recordInvalid(id);
        onEvent({
          kind: 'penalised',
          jobId,
          contributor: id,
          detail: 'its result disagreed with the quorum',
        });
      }
    }
    const unchecked = state.valid.length === 1 && redundancy > 1;
    const first = results.get(state.valid[0]!)!;
    onEvent({
      kind: 'verified',
      jobId,
      detail: unchecked ? 'accepted alone (trusted)' : `${state.valid.length} agreed`,
    });
    const valid = new Map(
      state.valid.map((id) => [
        id,
        { peer: results.get(id)!.peer, costUsed: results.get(id)!.result.costUsed },
      ]),
    );
    return {
      valid,
      report: {
        jobId,
        status: first.result.status,
        output: first.output,
        error: first.result.error,
        outputHash: bytesToHex(first.result.outputHash),
        paid: {},
        penalised: [...state.invalid],
        runs,
        unchecked,
      },
    };
  }

  /**
   * Offer → claim → run → result from one contributor; null when it declined, failed or lied about
   * its bytes; 'lost' when the transport failed (the offer or run call threw: worth one more try).
   */
  async #attempt(
    jobId: string,
    job: MarketJob,
    holdId: string,
    inputs: Uint8Array[],
    peer: PeerIdString,
    onEvent: (e: MarketEvent) => void,
    signal: AbortSignal | undefined,
    escrow: JobEscrow,
  ): Promise<{ result: MarketResult; output: Uint8Array } | 'busy' | 'lost' | null> {
    const { node, signer } = this.#o;
    const now = node.port.now();
    const offer = signFrame(
      'offer',
      {
        jobId,
        requester: signer.nodeId,
        capsule: job.capsule,
        method: job.method,
        params: job.params,
        paramsHash: blake3(new TextEncoder().encode(job.params)),
        inputs,
        inputBytes: job.input?.length ?? 0,
        budget: job.budget,
        deadlineMs: Math.floor(now + job.deadlineMs),
        holdId,
      },
      signer,
    );
    onEvent({ kind: 'offered', jobId, contributor: peer });
    const reissue = (detail: string): null => {
      onEvent({ kind: 'reissued', jobId, contributor: peer, detail });
      return null;
    };
    let claim: MarketClaim;
    try {
      const reply = await node.rpc.call(peer, MARKET_METHODS.offer, encodeOffer(offer), 10_000, signal);
      if (reply.status !== 'ok') {
        reissue(`offer refused: ${reply.message}`);
        // Transient, not the contributor's answer to the offer: its RPC server was over its stream
        // limits, or the offer arrived after the call's deadline (a first WebRTC dial between two
        // browsers took most of it): worth one more try, like a transport loss.
        const late = reply.status === 'failed' && reply.message === RPC_DEADLINE_PASSED;
        return reply.status === 'busy' || late ? 'lost' : null;
      }
      const d = decodeClaim(reply.body);
      if (!d.ok) return reissue(d.error);
      claim = d.frame;
    } catch (err) {
      if (signal?.aborted) throw err;
      reissue(`offer failed: ${err instanceof Error ? err.message : String(err)}`);
      return 'lost';
    }
    const samePeer = this.#o.samePeer ?? (() => true);
    if (!verifyFrame('claim', claim, claim.contributor) || !samePeer(peer, claim.contributor))
      return reissue('the claim is not signed by the peer that sent it');
    this.#nodeOf.set(peer, claim.contributor);
    if (claim.audited === undefined) this.#heads.delete(claim.contributor);
    else this.#heads.set(claim.contributor, { seq: claim.audited.seq, hash: bytesToHex(claim.audited.hash) });
    if (this.reputation.excluded(claim.contributor)) return reissue('excluded by reputation');
    if (!claim.accept) {
      onEvent({ kind: 'declined', jobId, contributor: claim.contributor, detail: claim.reason });
      return claim.reason === BUSY_REASON ? 'busy' : null;
    }
    onEvent({ kind: 'claimed', jobId, contributor: claim.contributor });
    // Escrow for this run: the contributor can redeem it after the deadline + grace if we leave.
    const pledge = await escrow.pledge(
      claim.contributor,
      peer,
      job.budget * MICRO_CREDITS_PER_CREDIT,
      offer.deadlineMs + (this.#o.pledgeGraceMs ?? PLEDGE_GRACE_MS),
      this.#bundleFor(claim.contributor, jobId, onEvent),
    );
    const carried = pledge === undefined ? undefined : this.#carry(pledge);
    const assign = signFrame(
      'assign',
      {
        jobId,
        requester: signer.nodeId,
        ...(carried === undefined
          ? {}
          : 'ref' in carried
            ? { pledgeRef: carried.ref }
            : { pledge: carried.inline }),
      },
      signer,
    );
    onEvent({ kind: 'running', jobId, contributor: claim.contributor });
    let result: MarketResult;
    const lost = async (detail: string): Promise<null> => {
      await this.#void(escrow, claim.contributor, jobId, signal, onEvent).catch(() => undefined);
      return reissue(detail);
    };
    try {
      const left = Math.max(1, offer.deadlineMs - node.port.now());
      // A chunked pledge is fetched by the contributor before it runs the job: held until the run ends.
      const reply = await node.rpc
        .call(peer, MARKET_METHODS.run, encodeAssign(assign), left, signal)
        .finally(() => carried !== undefined && this.#uncarry(carried));
      if (reply.status !== 'ok') return lost(`run failed: ${reply.message}`);
      const d = decodeResult(reply.body);
      if (!d.ok) return lost(d.error);
      result = d.frame;
    } catch (err) {
      if (signal?.aborted) throw err;
      await lost(`no result before the deadline: ${err instanceof Error ? err.message : String(err)}`);
      return 'lost';
    }
    if (
      result.contributor !== claim.contributor ||
      result.jobId !== jobId ||
      !verifyFrame('result', result, claim.contributor)
    )
      return lost('the result is not signed by the claimant');
    // Its audited head after auditing the pledge: the pay that closes the pledge carries only the
    // records after it, not the chain again (checked against our chain like a claim's head).
    const was = this.#heads.get(claim.contributor);
    if (result.audited !== undefined && (was === undefined || was.seq < result.audited.seq))
      this.#heads.set(claim.contributor, { seq: result.audited.seq, hash: bytesToHex(result.audited.hash) });
    let output = result.inline;
    if (result.chunks.length > 0) {
      try {
        const report = await node.chunks.fetch(result.chunks, {
          from: [peer],
          ...(signal ? { signal } : {}),
        });
        output = joinChunks(result.chunks, report.chunks, result.outputBytes);
      } catch (err) {
        return lost(`output chunks: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (output.length !== result.outputBytes || bytesToHex(blake3(output)) !== bytesToHex(result.outputHash))
      return lost('the output does not hash to the hash it was signed with');
    onEvent({ kind: 'result', jobId, contributor: claim.contributor, detail: result.status });
    // A run stopped by its budget, time or an engine failure is no answer to compare (BOINC's error
    // results): it goes to someone else, unpaid and unpenalised. ok and badInput are answers.
    if (result.status !== 'ok' && result.status !== 'badInput') {
      await lost(`${result.status}: ${result.error}`);
      // Cancelled (we asked no stop) or an engine failure: the contributor's host failed, not the
      // job — worth one more try there, like a run lost to the transport. Time and budget stops are
      // the job's own: someone else.
      return result.status === 'cancelled' || result.status === 'internalError' ? 'lost' : null;
    }
    return { result, output };
  }

  /** The best open candidate with a free worker, taken (tried + in flight) before it is returned. */
  async #nextCandidate(capsule: string, tried: Set<PeerIdString>): Promise<Candidate | undefined> {
    for (;;) {
      let open = this.offering(capsule).filter((c) => !tried.has(c.peer));
      for (let waited = 0; open.length === 0 && waited < (this.#o.newcomerWaitMs ?? 0); waited += 500) {
        await new Promise((r) => setTimeout(r, 500));
        open = this.offering(capsule).filter((c) => !tried.has(c.peer));
      }
      if (open.length === 0) return undefined;
      const free = open.find((c) => (this.#inflight.get(c.peer) ?? 0) < c.workers);
      if (free !== undefined) {
        tried.add(free.peer);
        this.#acquire(free.peer);
        return free;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #inflightTotal(): number {
    let n = 0;
    for (const v of this.#inflight.values()) n += v;
    return n;
  }

  #acquire(peer: PeerIdString): void {
    this.#inflight.set(peer, (this.#inflight.get(peer) ?? 0) + 1);
  }

  #release(peer: PeerIdString): void {
    const n = (this.#inflight.get(peer) ?? 1) - 1;
    if (n <= 0) this.#inflight.delete(peer);
    else this.#inflight.set(peer, n);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A pledge or pay bundle as it travels: its JSON inline, or a reference to chunks we serve. */
type Carried = { inline: string } | { ref: BundleRef };

/**
 * How long a payment call waits for the payee's answer: `base`, plus 1 s per 256 KiB of a chunked
 * bundle (the payee fetches it from us within the call; a slow relay moves ~256 KiB/s), and its
 * audit. A call that times out leaves the pay in our chain; only the confirmation is missing.
 */
function payTimeoutMs(sent: Carried, base = 30_000): number {
  return 'ref' in sent ? base + Math.ceil(sent.ref.bytes / (256 << 10)) * 1000 : base;
}

/** The work-based price of a finished job (src/capsules/price.ts), or undefined when its method has none. */
export function jobPrice(job: MarketJob, output: Uint8Array): number | undefined {
  const price = priceOf(job.capsule, job.method);
  if (price === undefined) return undefined;
  let params: unknown = {};
  try {
    if (job.params.trim() !== '') params = JSON.parse(job.params);
  } catch {
    // The engine answers such params with badInput, never ok: no price to compute.
    return undefined;
  }
  return price({
    inputBytes: job.input?.length ?? 0,
    params,
    ...(job.input ? { input: job.input } : {}),
    output,
  });
}
