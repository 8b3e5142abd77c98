/**
 * The library API for requesters (`import { Requester } from 'inos'`) and the engine of
 * `inos submit`: the wallet in $INOS_HOME, a mesh peer joined through an `inos node`, and the
 * market requester (src/trade) that offers, verifies and pays.
 *
 *   const r = await Requester.open({ bootstrap: ['/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3…'] });
 *   const [res] = await r.submit([{ capsule: 'crypto', method: 'sha256', input }], { onEvent, signal });
 *   await r.close();
 *
 * An aborted signal stops offering and running, and every hold is released (the unspent budget
 * returns); results already verified are paid.
 */
import { MICRO_CREDITS_PER_CREDIT } from '../ledger/index.ts';
import {
  MarketRequester,
  NoContributorError,
  walletForkWatch,
  type JobDone,
  type MarketEvent,
} from '../trade/index.ts';
import { startMeshPeer, samePeer, type MeshPeer } from './mesh-peer.ts';
import { WalletFile, walletPath } from './wallet-file.ts';

/** Credits one run may spend unless told: one credit is a millisecond of a worker (docs/CREDITS.md). */
export const DEFAULT_BUDGET = 100;
/** Jobs a submission keeps in escrow (and in flight) at once, at most. */
export const MAX_ESCROWED = 2;

export interface SubmitJob {
  capsule: string;
  method: string;
  /** JSON text or a value to stringify; default {}. */
  params?: string | Record<string, unknown>;
  input?: Uint8Array;
  /** The job's id on the market (its escrow hold carries it, see `settle`); default: a random one. */
  jobId?: string;
}

export interface SubmitOptions {
  /** Credits one run may spend (default DEFAULT_BUDGET). */
  budget?: number;
  /** Identities that must agree (default 2). */
  redundancy?: number;
  /** ms one run may take (default 60 000). */
  deadlineMs?: number;
  /** Jobs in flight at once (default: the workers the contributors advertise, at least 1). */
  concurrency?: number;
  onEvent?: (e: MarketEvent & { index: number }) => void;
  /** Called as each job finishes, in completion order. */
  onResult?: (index: number, result: JobDone | Error) => void;
  signal?: AbortSignal;
  /**
   * Called when the wallet cannot hold the next job's escrow and no job is in flight to return
   * some: mint (or otherwise add) at least `missing` micro-credits. Absent: that job fails with
   * "not enough credits". `inos submit --mint` mints here, so it mints only what runs really spend
   * instead of every job's whole escrow up front.
   */
  topUp?: (missing: number) => Promise<void>;
}

export interface RequesterOpenOptions {
  bootstrap: readonly string[];
  /** The wallet file; default $INOS_HOME/wallet.json. */
  wallet?: string | WalletFile;
}

/** How long a job that needs another contributor waits for a new advert (MarketRequesterOptions). */
export const NEWCOMER_WAIT_MS = 30_000;

export class Requester {
  private constructor(
    readonly file: WalletFile,
    readonly peer: MeshPeer,
    readonly market: MarketRequester,
  ) {}

  static async open(o: RequesterOpenOptions): Promise<Requester> {
    const file = o.wallet instanceof WalletFile ? o.wallet : await WalletFile.open(o.wallet ?? walletPath());
    const peer = await startMeshPeer(file.wallet.identity, o.bootstrap);
    const market = new MarketRequester({
      node: peer.node,
      chunks: peer.chunks,
      signer: file.wallet.identity,
      payments: file.requesterPayments(),
      samePeer,
      // A fresh requester learns contributors one advert at a time: wait for one more before giving up.
      newcomerWaitMs: NEWCOMER_WAIT_MS,
    });
    // Fork proofs from the mesh are booked in this wallet (its payees' forkers are refused here too).
    walletForkWatch(peer.node, file.wallet).start();
    return new Requester(file, peer, market);
  }

  get nodeId(): string {
    return this.file.wallet.nodeId;
  }

  /** Waits until some contributor advertises `capsule` (adverts arrive by gossip), or `ms` passes. */
  async discover(capsule: string, ms = 10_000, signal?: AbortSignal): Promise<number> {
    const until = Date.now() + ms;
    while (Date.now() < until && !signal?.aborted) {
      const n = this.market.offering(capsule).length;
      if (n > 0) {
        // A moment more so that the other contributors' adverts arrive too.
        await new Promise((r) => setTimeout(r, 1500));
        return this.market.offering(capsule).length;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.market.offering(capsule).length;
  }

  /**
   * What job `jobId`, left in flight by a process that stopped, spent from this wallet
   * (micro-credits): its escrow hold, if it reached the wallet file, is closed now (the unpaid rest
   * returns to the available balance; open pledges stay spent, their payees may redeem them).
   * 0 when no hold of that job was saved.
   */
  async settle(jobId: string): Promise<number> {
    const { ledger, payments } = this.file.wallet;
    const entry = (await ledger.history()).find((e) => e.kind === 'hold' && e.jobId === jobId);
    let view = entry ? await ledger.hold(entry.id) : undefined;
    if (!view) return 0;
    if (view.open) {
      view = await payments.release(view.id, 'the requester restarted: the unpaid escrow returns');
      await this.file.save();
    }
    return view.paid + (view.pledged ?? 0);
  }

  /** Escrow of one job: its budget × redundancy (only the agreeing quorum is paid), micro-credits. */
  static holdOf(o: SubmitOptions = {}): number {
    return (o.budget ?? DEFAULT_BUDGET) * (o.redundancy ?? 2) * MICRO_CREDITS_PER_CREDIT;
  }

  /** Micro-credits the whole submission may spend at most: every job's full escrow. */
  static worstCase(jobs: number, o: SubmitOptions = {}): number {
    return jobs * Requester.holdOf(o);
  }

  /**
   * Micro-credits a submission needs available: the escrow of the jobs it keeps in flight at once
   * (at most MAX_ESCROWED of them); runs are paid what they used, and each hold's rest returns.
   */
  static needed(jobs: number, o: SubmitOptions = {}): number {
    return Math.min(jobs, MAX_ESCROWED) * Requester.holdOf(o);
  }

  /** Runs the jobs on the mesh; results in input order (an Error where a job failed). */
  async submit(jobs: readonly SubmitJob[], o: SubmitOptions = {}): Promise<(JobDone | Error)[]> {
    const results: (JobDone | Error)[] = new Array(jobs.length);
    const capsules = [...new Set(jobs.map((j) => j.capsule))];
    const workers = capsules.reduce(
      (n, c) => n + this.peer.node.adverts.offering(c).reduce((m, a) => m + a.workers, 0),
      0,
    );
    // Never more jobs in flight than the wallet can hold escrow for.
    const affordable = Math.floor((await this.file.wallet.balance()).available / Requester.holdOf(o));
    const concurrency = Math.max(
      1,
      Math.min(
        affordable,
        MAX_ESCROWED,
        o.concurrency ?? Math.ceil(workers / Math.max(1, o.redundancy ?? 2)),
      ),
    );
    let next = 0;
    const inflight = new Set<Promise<undefined>>();
    let saving = Promise.resolve();
    // One top-up at a time: lanes short at once wait for the same mint.
    let topping: Promise<void> | null = null;
    // Checking the balance and taking the hold is one step: a lane passes the gate only once the job
    // before it holds its escrow (its first event) or ended. Without it, two lanes woken by the same
    // job's release both saw room for one hold, and the second hold was refused ("uncovered"): in
    // the 30-job browsers run, every other sha256 job failed that way once the runs had spent a bit.
    let gate: Promise<void> = Promise.resolve();
    const lane = async (): Promise<void> => {
      for (let i = next++; i < jobs.length; i = next++) {
        const j = jobs[i]!;
        const passed = gate;
        let open = () => {};
        gate = new Promise<void>((r) => (open = r));
        try {
          await passed;
          if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
          // Escrow must be available: wait for a job in flight to pay and release, else say what is missing.
          for (;;) {
            const available = (await this.file.wallet.balance()).available;
            if (available >= Requester.holdOf(o)) break;
            if (inflight.size === 0 && o.topUp !== undefined) {
              topping ??= o.topUp(Requester.holdOf(o) - available).finally(() => {
                topping = null;
              });
              await topping;
              if ((await this.file.wallet.balance()).available <= available)
                throw new Error('not enough credits: topping up the wallet added none');
              continue;
            }
            if (inflight.size === 0)
              throw new Error(
                `not enough credits: ${available / MICRO_CREDITS_PER_CREDIT} available, a job holds ` +
                  `${Requester.holdOf(o) / MICRO_CREDITS_PER_CREDIT} (budget × redundancy); mint more (inos wallet mint)`,
              );
            await Promise.race(inflight);
          }
          const run = this.market.submit(
            {
              capsule: j.capsule,
              method: j.method,
              params: typeof j.params === 'string' ? j.params : JSON.stringify(j.params ?? {}),
              ...(j.input ? { input: j.input } : {}),
              ...(j.jobId !== undefined ? { jobId: j.jobId } : {}),
              budget: o.budget ?? DEFAULT_BUDGET,
              deadlineMs: o.deadlineMs ?? 60_000,
              redundancy: o.redundancy ?? 2,
            },
            (e) => {
              open(); // its escrow is held (MarketRequester holds before its first event)
              o.onEvent?.({ ...e, index: i });
            },
            o.signal,
          );
          const settled = run.then(
            () => undefined,
            () => undefined,
          );
          void settled.then(open);
          inflight.add(settled);
          try {
            results[i] = await run;
          } finally {
            inflight.delete(settled);
          }
        } catch (err) {
          results[i] = err instanceof Error ? err : new Error(String(err));
        } finally {
          open();
        }
        saving = saving.then(() => this.file.save());
        o.onResult?.(i, results[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
    await saving;
    await this.file.save();
    return results;
  }

  async close(): Promise<void> {
    await this.file.save();
    await this.peer.stop();
  }
}

export { NoContributorError };
