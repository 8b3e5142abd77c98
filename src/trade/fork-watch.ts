/**
 * Fork proofs across the market (issue #14): a contributor's wallet catches a fork only when it
 * sees both conflicting records itself; this puts the proof on the mesh and books proofs from
 * others. `guard` wraps a host's receive/acceptPledge: when one is refused, the wallet is asked for
 * a fork proof against any payer named in the bundle (the pay's or pledge's signer and the payers
 * whose chains back it) and each new one is published on FORKS_TOPIC (MeshNode.forks). Every valid
 * proof from the mesh goes to the wallet's `reportFork`, so that payer's later pledges and pays are
 * refused with `double-spend` ("signed a fork earlier") by peers that never saw either record.
 * The host supplies the wallet calls: the CLI's MarketWallet directly, the extension's document
 * through runtime messages to the background's wallet. `storedProofs` (the proofs the wallet kept
 * from earlier runs) go to `forks.restore` at start, so this node republishes them when it joins
 * (a newcomer would otherwise never hear of an old fork; forks.ts says how that is bounded).
 */
import type { ForkProof } from '../ledger/fork.ts';
import type { MeshNode } from '../mesh/protocol/node.ts';
import type { MarketWallet } from './market-wallet.ts';

/** Payers looked up per refused bundle (a pay's signer plus the payers behind its chains). */
const MAX_PAYERS = 16;
/** Stored proofs restored at start (each is a few KiB; the owed queue holds 64). */
export const MAX_RESTORED = 64;

export interface ForkWatchOptions {
  node: MeshNode;
  /** The wallet's stored proof against `payer` (Payments.forkProof), if any. */
  forkProof: (payer: string) => Promise<unknown>;
  /** Books a proof learned from the mesh (Payments.reportFork). */
  reportFork: (proof: ForkProof) => Promise<unknown>;
  /** The proofs the wallet holds from before this start (at most MAX_RESTORED are used). */
  storedProofs?: () => Promise<readonly unknown[]>;
  log?: (msg: string, err?: unknown) => void;
}

/** The payer ids a pay or pledge bundle names: its record's signer first, then its chains' owners. */
export function bundlePayers(bundle: unknown): string[] {
  if (typeof bundle !== 'object' || bundle === null) return [];
  const b = bundle as Record<string, unknown>;
  const ids: string[] = [];
  for (const rec of [b['pay'], b['pledge']]) {
    const ledger = typeof rec === 'object' && rec !== null ? (rec as { ledger?: unknown }).ledger : undefined;
    if (typeof ledger === 'string') ids.push(ledger);
  }
  const chains = b['chains'];
  if (typeof chains === 'object' && chains !== null && !Array.isArray(chains))
    for (const id of Object.keys(chains)) if (!ids.includes(id)) ids.push(id);
  return ids.slice(0, MAX_PAYERS);
}

export class ForkWatch {
  readonly #o: ForkWatchOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Proofs published and proofs booked from the mesh (diagnostics and tests). */
  readonly counters = { published: 0, reported: 0, restored: 0 };
  /** Settles once the stored proofs are restored (or failed to load). */
  restoring: Promise<void> = Promise.resolve();

  constructor(o: ForkWatchOptions) {
    this.#o = o;
  }

  /** Books the mesh's proofs in the wallet from now on; returns the stop function. */
  start(): () => void {
    const forks = this.#o.node.forks;
    forks.onFork = (proof) => {
      this.#o
        .reportFork(proof)
        .then(() => this.counters.reported++)
        .catch((err: unknown) => this.#o.log?.('fork proof from the mesh not booked', err));
    };
    forks.onOwed = (waitMs) => {
      if (this.#timer !== null) return;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void forks.flushOwed().catch((err: unknown) => this.#o.log?.('fork proof not published', err));
      }, waitMs);
    };
    const stored = this.#o.storedProofs;
    if (stored !== undefined)
      this.restoring = stored()
        .then((proofs) => {
          this.counters.restored += forks.restore(proofs.slice(0, MAX_RESTORED));
        })
        .catch((err: unknown) => this.#o.log?.('stored fork proofs not restored', err));
    return () => {
      forks.onFork = null;
      forks.onOwed = null;
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
    };
  }

  /** Runs a receive/acceptPledge; when it is refused, publishes any fork proof it left, then rethrows. */
  async guard<T>(bundle: unknown, audit: () => Promise<T>): Promise<T> {
    try {
      return await audit();
    } catch (err) {
      await this.publishFor(bundle);
      throw err;
    }
  }

  /** Publishes the wallet's proofs against the payers `bundle` names that the mesh has not seen from us. */
  async publishFor(bundle: unknown): Promise<number> {
    let sent = 0;
    for (const payer of bundlePayers(bundle)) {
      if (this.#o.node.forks.proof(payer) !== undefined) continue;
      try {
        const proof = await this.#o.forkProof(payer);
        if (proof !== undefined && (await this.#o.node.forks.publish(proof))) sent++;
      } catch (err) {
        this.#o.log?.('fork proof not published', err);
      }
    }
    this.counters.published += sent;
    return sent;
  }
}

/** A ForkWatch on a MarketWallet (the CLI's and the tests' hosts). */
export function walletForkWatch(
  node: MeshNode,
  wallet: MarketWallet,
  log?: ForkWatchOptions['log'],
): ForkWatch {
  return new ForkWatch({
    node,
    forkProof: (payer) => wallet.payments.forkProof(payer),
    reportFork: (proof) => wallet.payments.reportFork(proof),
    storedProofs: () => walletForkProofs(wallet),
    ...(log ? { log } : {}),
  });
}

/** The fork proofs `wallet` holds (its ledger's `forks` store), at most MAX_RESTORED of them. */
export async function walletForkProofs(wallet: MarketWallet): Promise<ForkProof[]> {
  const ids = (await wallet.ledger.db.getAllKeys('forks')).slice(0, MAX_RESTORED);
  const proofs = await Promise.all(ids.map((id) => wallet.payments.forkProof(id)));
  return proofs.filter((p): p is ForkProof => p !== undefined);
}
