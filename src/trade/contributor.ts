/**
 * The contributor's side of the market, on one MeshNode: it advertises its capsules, answers
 * offers with a signed claim while it has a free worker, runs an assigned job (inputs fetched as
 * BLAKE3 chunks from the requester, the job on the injected engine), returns a signed result (big
 * or binary outputs as chunks it serves), and books a payment by auditing the requester's bundle
 * (ledger Payments.receive). Every frame from a peer is decoded and checked before it is used; a
 * bad one is answered with an RPC failure that says what was wrong.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { MeshNode } from '../mesh/protocol/node.ts';
import type { PeerIdString } from '../mesh/protocol/port.ts';
import type { RpcCall } from '../mesh/protocol/rpc.ts';
import { REQUESTER_LEFT_REASON } from '../ledger/index.ts';
import { blake3Digest } from '../capsules/crypto/hash.ts';
import { joinChunks, type ChunkHolder } from './chunk-store.ts';
import {
  decodeAssign,
  decodeOffer,
  decodePayment,
  encodeClaim,
  encodeResult,
  MARKET_LIMITS,
  type BundleRef,
  type JobStatus,
  type MarketOffer,
} from './frames.ts';
import { signFrame, verifyFrame, type MarketSigner } from './signing.ts';

/** A claim the requester does not assign within this long frees its worker (its offer call may have timed out). */
export const CLAIM_HOLD_MS = 15_000;

/** The claim's reason when it declines for now: ask again later. */
export const BUSY_REASON = 'all workers are busy';

/** The claim's reason while the contributor's user has paused contributing. */
export const PAUSED_REASON = 'paused by the contributor';

/**
 * A chunked bundle's fetch (from the requester that named it): each chunk is asked at most
 * BUNDLE_FETCH_ATTEMPTS times, each ask waits at most BUNDLE_CHUNK_TIMEOUT_MS, and the whole fetch
 * is abandoned after BUNDLE_FETCH_MS (wall clock): a requester that vanishes mid-fetch or serves a
 * bad chunk costs a refused payment, never a hang.
 */
export const BUNDLE_CHUNK_TIMEOUT_MS = 15_000;
export const BUNDLE_FETCH_ATTEMPTS = 2;
export const BUNDLE_FETCH_MS = 5 * 60_000;

export const MARKET_METHODS = { offer: 'market.offer', run: 'market.run', pay: 'market.pay' } as const;

export interface JobToRun {
  /** The requester's job id and node id (hex), for hosts that account for the job. */
  jobId?: string;
  requester?: string;
  capsule: string;
  method: string;
  params: string;
  input?: Uint8Array;
  /** Credits the run may spend. */
  budget: number;
  /** Our wall clock, Unix ms (the requester's deadline less its clock's offset from ours). */
  deadlineMs: number;
}

export interface JobRun {
  status: JobStatus;
  costUsed: number;
  output: Uint8Array;
  error: string;
}

export interface ContributorEvent {
  kind: 'claimed' | 'declined' | 'running' | 'returned' | 'paid' | 'refused-payment' | 'pledged';
  jobId: string;
  requester: string;
  detail?: string;
  credits?: number;
  /** 'returned': BLAKE3 hex of the output returned (what a pledge's redemption names), when it has one. */
  result?: string;
}

export interface MarketContributorOptions {
  node: MeshNode;
  /** Chunks this node serves: the MeshNode's ChunkSource. */
  chunks: ChunkHolder;
  signer: MarketSigner;
  /** Capsule libraries it runs. */
  capsules: readonly { name: string; version: number }[];
  workers: number;
  run: (job: JobToRun, signal: AbortSignal) => Promise<JobRun>;
  /** Audits a payment bundle and books it (ledger Payments.receive); returns micro-credits booked. */
  receive: (bundle: unknown, work: { cpuMs: number }) => Promise<number>;
  /**
   * Asked at every offer by a host whose limits change while it runs (the extension: pause, the
   * user's opt-outs, the throttle's workers): a reason to decline now, or null; `workers` then
   * replaces `workers` above as the cap on claims. Absent: `capsules` and `workers` are fixed.
   */
  availability?: (offer: MarketOffer) => { decline: string | null; workers: number };
  /**
   * Audits the escrow pledge an assignment carries (ledger Payments.acceptPledge); returns when it
   * may be redeemed. Absent: pledges are ignored (and never redeemed).
   */
  acceptPledge?: (bundle: unknown) => Promise<{ redeemAfter: number; amount: number }>;
  /**
   * This wallet's audited head of a requester's chain (ledger Payments.auditedChainHead; hash hex),
   * told in each accepting claim so the requester sends only newer records. Absent: claims carry
   * none and requesters send their whole chain with every pledge and pay.
   */
  auditedHead?: (requester: string) => Promise<{ seq: number; hash: string } | undefined>;
  /** Redeems a kept pledge with the result hash (ledger Payments.redeem); returns micro-credits booked. */
  redeem?: (bundle: unknown, result: string, work: { cpuMs: number }) => Promise<number>;
  /** Test builds only: what a dishonest contributor does to its outputs. */
  tamper?: (output: Uint8Array) => Uint8Array;
  onEvent?: (e: ContributorEvent) => void;
}

interface Pending {
  offer: MarketOffer;
  from: PeerIdString;
  state: 'claimed' | 'running' | 'done';
  claimedAt: number;
  /** The offer's deadline on our clock (the requester's deadline less its clock's offset from ours). */
  deadlineMs: number;
  costUsed: number;
  output?: Uint8Array[];
  /** The assignment's escrow pledge (PledgeBundle), kept until paid or redeemed. */
  pledge?: { bundle: unknown; redeemAfter: number };
  /** BLAKE3 hex of the output returned, when it was an answer (ok, badInput). */
  result?: string;
}

export class MarketContributor {
  readonly #o: MarketContributorOptions;
  readonly #jobs = new Map<string, Pending>();
  #busy = 0;
  readonly #disposers: (() => void)[] = [];

  constructor(o: MarketContributorOptions) {
    if (!Number.isSafeInteger(o.workers) || o.workers < 1)
      throw new RangeError(`MarketContributor: workers must be an integer ≥ 1, got ${o.workers}`);
    this.#o = o;
  }

  get busy(): number {
    return this.#busy;
  }

  start(): () => void {
    const { rpc } = this.#o.node;
    this.#disposers.push(
      rpc.register(MARKET_METHODS.offer, (from, body, _signal, call) => this.#offer(from, body, call)),
      rpc.register(MARKET_METHODS.run, (from, body, signal) => this.#run(from, body, signal)),
      rpc.register(MARKET_METHODS.pay, (from, body, signal) => this.#pay(from, body, signal)),
    );
    return () => this.stop();
  }

  stop(): void {
    for (const d of this.#disposers.splice(0)) d();
  }

  /** Publishes the advert: the capsules it runs and its workers (call periodically). */
  advertise(ttlMs = 60_000): Promise<unknown> {
    return this.#o.node.adverts.publish({
      ttlMs,
      capsules: [...this.#o.capsules],
      workers: this.#o.workers,
      gpu: { available: false, vendor: '', architecture: '' },
      throttle: 1,
    });
  }

  #key(requester: string, jobId: string): string {
    return `${requester}/${jobId}`;
  }

  #sweep(): void {
    const now = this.#o.node.port.now();
    for (const [k, p] of this.#jobs)
      if (p.state === 'claimed' && (p.deadlineMs < now || p.claimedAt + CLAIM_HOLD_MS < now))
        this.#jobs.delete(k);
    // Results nobody paid for within an hour are forgotten (their chunks with them); pledged ones
    // wait for redeemDue.
    for (const [k, p] of this.#jobs)
      if (p.state === 'done' && p.pledge === undefined && p.deadlineMs + 3_600_000 < now) {
        if (p.output) this.#o.chunks.drop(p.output);
        this.#jobs.delete(k);
      }
  }

  async #offer(from: PeerIdString, body: Uint8Array, call?: RpcCall): Promise<Uint8Array> {
    const d = decodeOffer(body);
    if (!d.ok) throw new Error(d.error);
    const offer = d.frame;
    if (!verifyFrame('offer', offer, offer.requester))
      throw new Error(`MarketOffer: the signature is not ${offer.requester.slice(0, 12)}…'s`);
    this.#sweep();
    const decline = (reason: string): Uint8Array => {
      this.#o.onEvent?.({ kind: 'declined', jobId: offer.jobId, requester: offer.requester, detail: reason });
      return encodeClaim(
        signFrame(
          'claim',
          { jobId: offer.jobId, contributor: this.#o.signer.nodeId, accept: false, free: 0, reason },
          this.#o.signer,
        ),
      );
    };
    const now = this.#o.availability?.(offer);
    if (now?.decline) return decline(now.decline);
    if (!this.#o.capsules.some((c) => c.name === offer.capsule))
      return decline(`this node does not run ${offer.capsule}`);
    // The deadline is the requester's wall clock: judged on ours less the offset between the two
    // (a requester whose clock runs a minute behind was otherwise declined every job).
    const deadlineMs = offer.deadlineMs - (call?.clockOffsetMs ?? 0);
    if (deadlineMs <= this.#o.node.port.now()) return decline('the deadline has passed');
    if (offer.budget < 1) return decline('the budget is 0 credits');
    if (bytesToHex(blake3(new TextEncoder().encode(offer.params))) !== bytesToHex(offer.paramsHash))
      return decline('params do not match paramsHash');
    const claimed = [...this.#jobs.values()].filter((p) => p.state !== 'done').length;
    const free = (now?.workers ?? this.#o.workers) - claimed;
    if (free <= 0) return decline(BUSY_REASON);
    this.#jobs.set(this.#key(offer.requester, offer.jobId), {
      offer,
      from,
      state: 'claimed',
      claimedAt: this.#o.node.port.now(),
      deadlineMs,
      costUsed: 0,
    });
    this.#o.onEvent?.({ kind: 'claimed', jobId: offer.jobId, requester: offer.requester });
    const head = await this.#o.auditedHead?.(offer.requester);
    return encodeClaim(
      signFrame(
        'claim',
        {
          jobId: offer.jobId,
          contributor: this.#o.signer.nodeId,
          accept: true,
          free: free - 1,
          reason: '',
          ...(head !== undefined && head.seq > 0
            ? { audited: { seq: head.seq, hash: hexToBytes(head.hash) } }
            : {}),
        },
        this.#o.signer,
      ),
    );
  }

  async #run(from: PeerIdString, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const d = decodeAssign(body);
    if (!d.ok) throw new Error(d.error);
    const a = d.frame;
    if (!verifyFrame('assign', a, a.requester))
      throw new Error(`MarketAssign: the signature is not ${a.requester.slice(0, 12)}…'s`);
    const p = this.#jobs.get(this.#key(a.requester, a.jobId));
    if (p === undefined || p.state !== 'claimed')
      throw new Error(`no open claim for job ${a.jobId}: offer it first (market.offer)`);
    const { offer } = p;
    if ((a.pledge !== undefined || a.pledgeRef !== undefined) && this.#o.acceptPledge !== undefined) {
      let bundle: unknown;
      if (a.pledgeRef !== undefined)
        bundle = await this.#fetchBundle('MarketAssign.pledge', a.pledgeRef, [from, p.from], signal);
      else
        try {
          bundle = JSON.parse(a.pledge ?? '');
        } catch {
          throw new Error('MarketAssign.pledge: not JSON');
        }
      const pl = (bundle as { pledge?: { ledger?: unknown; jobId?: unknown } } | null)?.pledge;
      if (pl?.ledger !== offer.requester || pl.jobId !== offer.jobId)
        throw new Error(`MarketAssign.pledge: not the requester's pledge for job ${offer.jobId}`);
      // A refused pledge (forged, uncovered, a forking payer) refuses the run: the requester goes elsewhere.
      const accepted = await this.#o.acceptPledge(bundle);
      p.pledge = { bundle, redeemAfter: accepted.redeemAfter };
      this.#o.onEvent?.({
        kind: 'pledged',
        jobId: offer.jobId,
        requester: offer.requester,
        credits: accepted.amount,
        detail: `redeemable from ${new Date(accepted.redeemAfter).toISOString()} if unpaid`,
      });
    }
    p.state = 'running';
    this.#busy++;
    this.#o.onEvent?.({ kind: 'running', jobId: offer.jobId, requester: offer.requester });
    try {
      let input: Uint8Array | undefined;
      if (offer.inputs.length > 0) {
        const report = await this.#o.node.chunks.fetch(offer.inputs, { from: [from, p.from], signal });
        input = joinChunks(offer.inputs, report.chunks, offer.inputBytes);
      }
      const run = await this.#o.run(
        {
          jobId: offer.jobId,
          requester: offer.requester,
          capsule: offer.capsule,
          method: offer.method,
          params: offer.params,
          ...(input ? { input } : {}),
          budget: offer.budget,
          deadlineMs: p.deadlineMs,
        },
        signal,
      );
      const output = this.#o.tamper && run.status === 'ok' ? this.#o.tamper(run.output) : run.output;
      const big = output.length > MARKET_LIMITS.inlineBytes;
      const chunks = big ? this.#o.chunks.put(output) : [];
      p.output = chunks;
      p.costUsed = run.costUsed;
      const outputHash = blake3(output);
      if (run.status === 'ok' || run.status === 'badInput') p.result = bytesToHex(outputHash);
      // Our audited head of the requester's chain now that its pledge was audited: the pay that
      // closes the pledge then carries only the records after it, not the whole chain again.
      const head = p.pledge === undefined ? undefined : await this.#o.auditedHead?.(offer.requester);
      const result = signFrame(
        'result',
        {
          jobId: offer.jobId,
          contributor: this.#o.signer.nodeId,
          status: run.status,
          costUsed: run.costUsed,
          outputHash,
          outputBytes: output.length,
          inline: big ? new Uint8Array(0) : output,
          chunks,
          error: run.error.slice(0, MARKET_LIMITS.messageBytes),
          ...(head !== undefined && head.seq > 0
            ? { audited: { seq: head.seq, hash: hexToBytes(head.hash) } }
            : {}),
        },
        this.#o.signer,
      );
      this.#o.onEvent?.({
        kind: 'returned',
        jobId: offer.jobId,
        requester: offer.requester,
        detail: run.status,
        ...(p.result !== undefined ? { result: p.result } : {}),
      });
      return encodeResult(result);
    } finally {
      p.state = 'done';
      this.#busy--;
    }
  }

  /**
   * Redeems the pledges of results nobody paid for once their redeemAfter has passed (the
   * requester left): each is booked from the requester's escrow with the reason "requester left —
   * paid from escrow". Hosts call it periodically; returns what happened.
   */
  async redeemDue(): Promise<ContributorEvent[]> {
    const redeem = this.#o.redeem;
    if (redeem === undefined) return [];
    const now = this.#o.node.port.now();
    const events: ContributorEvent[] = [];
    for (const [k, p] of [...this.#jobs]) {
      if (p.state !== 'done' || p.pledge === undefined || p.pledge.redeemAfter > now) continue;
      const base = { jobId: p.offer.jobId, requester: p.offer.requester };
      this.#jobs.delete(k);
      if (p.output) this.#o.chunks.drop(p.output);
      // Nothing is redeemable without a result (a failed or timed-out run is no answer).
      if (p.result === undefined) continue;
      try {
        const credits = await redeem(p.pledge.bundle, p.result, { cpuMs: p.costUsed });
        events.push({ kind: 'paid', ...base, credits, detail: REQUESTER_LEFT_REASON });
      } catch (err) {
        events.push({
          kind: 'refused-payment',
          ...base,
          detail: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const e of events) this.#o.onEvent?.(e);
    return events;
  }

  /**
   * A chunked bundle named by a signed frame: fetched from the requester (`from`; each chunk
   * verified on arrival by the exchange), joined, checked against the hash it was signed with, and
   * parsed. Throws an Error that says what failed (a chunk missing or bad, the hash, the JSON).
   */
  async #fetchBundle(
    what: string,
    ref: BundleRef,
    from: readonly PeerIdString[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const bound = AbortSignal.timeout(BUNDLE_FETCH_MS);
    const report = await this.#o.node.chunks.fetch(ref.chunks, {
      from,
      timeoutMs: BUNDLE_CHUNK_TIMEOUT_MS,
      maxAttempts: BUNDLE_FETCH_ATTEMPTS,
      signal: signal ? AbortSignal.any([signal, bound]) : bound,
    });
    const size = `${ref.bytes} bytes in ${ref.chunks.length} chunk(s)`;
    const [bad, err] = [...report.failed][0] ?? [];
    if (bad !== undefined)
      throw new Error(
        `${what}: the chunked bundle (${size}) could not be fetched from the requester: chunk ${bad.slice(0, 16)}… ${err?.code ?? 'failed'}: ${err?.message ?? ''}`,
      );
    let bytes: Uint8Array;
    try {
      bytes = joinChunks(ref.chunks, report.chunks, ref.bytes);
    } catch (e) {
      throw new Error(`${what}: the chunked bundle (${size}): ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytesToHex(blake3Digest(bytes, () => {})) !== bytesToHex(ref.hash))
      throw new Error(`${what}: the chunked bundle (${size}) does not hash to the hash it was signed with`);
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new Error(`${what}: the chunked bundle (${size}) is not UTF-8 JSON`);
    }
  }

  async #pay(from: PeerIdString, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const d = decodePayment(body);
    if (!d.ok) throw new Error(d.error);
    const { ref } = d.frame;
    let bundle: unknown;
    if (ref !== undefined) {
      if (
        !verifyFrame(
          'payment',
          { jobId: d.frame.jobId, payer: ref.payer, bundle: ref.bundle, sig: ref.sig },
          ref.payer,
        )
      )
        throw new Error(`MarketPayment: the signature is not ${ref.payer.slice(0, 12)}…'s`);
      // Megabytes are fetched only for a job this node ran for that payer.
      if (!this.#jobs.has(this.#key(ref.payer, d.frame.jobId)))
        throw new Error(
          `MarketPayment: no job ${d.frame.jobId} from ${ref.payer.slice(0, 12)}… here; a chunked payment is fetched only for a job this node ran`,
        );
      try {
        bundle = await this.#fetchBundle('MarketPayment.bundle', ref.bundle, [from], signal);
        if ((bundle as { pay?: { ledger?: unknown } } | null)?.pay?.ledger !== ref.payer)
          throw new Error(
            `MarketPayment.bundle: not a pay by ${ref.payer.slice(0, 12)}…, who signed the frame`,
          );
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        this.#o.onEvent?.({ kind: 'refused-payment', jobId: d.frame.jobId, requester: ref.payer, detail });
        throw err;
      }
    } else
      try {
        bundle = JSON.parse(d.frame.bundle);
      } catch {
        throw new Error('MarketPayment.bundle: not JSON');
      }
    const requester = (bundle as { pay?: { ledger?: unknown } } | null)?.pay?.ledger;
    const p = this.#jobs.get(this.#key(String(requester), d.frame.jobId));
    try {
      const credits = await this.#o.receive(bundle, { cpuMs: p?.costUsed ?? 0 });
      if (p?.output) this.#o.chunks.drop(p.output);
      this.#jobs.delete(this.#key(String(requester), d.frame.jobId));
      this.#o.onEvent?.({ kind: 'paid', jobId: d.frame.jobId, requester: String(requester), credits });
      return new TextEncoder().encode(String(credits));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.#o.onEvent?.({
        kind: 'refused-payment',
        jobId: d.frame.jobId,
        requester: String(requester),
        detail,
      });
      throw err;
    }
  }
}
