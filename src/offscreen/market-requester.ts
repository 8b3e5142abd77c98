/**
 * The requester side of the "Submit work" page, in the offscreen document: the MarketRequester
 * (src/trade) on MeshHost.meshNode. The page talks to it over a BroadcastChannel (SUBMIT_CHANNEL:
 * both are same-origin extension pages), which carries the files and the results by structured
 * clone; runtime messaging carries only the wallet calls (escrow hold, payer-signed payments,
 * release) to the background, which owns the ledger. Jobs' inputs are served to contributors from
 * MeshHost.memoryChunks while their job runs.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { builtinCapsules } from '../capsules/builtin';
import type { Identity } from '../ledger';
import type { SubmitCapsuleInfo, SubmitChannelReply, SubmitChannelRequest } from '../messaging/protocol';
import { SUBMIT_CHANNEL } from '../messaging/protocol';
import { MarketRequester, NoContributorError, type RequesterPayments } from '../trade';
import type { MeshHost } from './mesh-host';

/** Jobs of one submission in escrow (and in flight) at once, as `inos submit` (MAX_ESCROWED). */
const IN_FLIGHT = 2;
/** How long a submission waits for a contributor's advert before it says none offers the capsule. */
const DISCOVER_MS = 5_000;

export interface MarketRequesterHostDeps {
  mesh: MeshHost;
  loadIdentity: () => Promise<Identity>;
  payments: RequesterPayments;
  channel?: BroadcastChannel;
  log?: (msg: string, err?: unknown) => void;
}

const samePeer = (peer: string, nodeId: string): boolean => {
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(hexToBytes(nodeId))).toString() === peer;
  } catch {
    return false;
  }
};

/** Capsules and methods a peer may run for us (methods with secret params never leave this machine). */
export function submitCatalog(): SubmitCapsuleInfo[] {
  return builtinCapsules.map((c) => ({
    library: c.library,
    methods: Object.entries(c.methods)
      .filter(([, m]) => m.secretParams === undefined)
      .map(([name, m]) => {
        let schema: Record<string, unknown> | null = null;
        try {
          schema = z.toJSONSchema(m.params, { unrepresentable: 'any' }) as Record<string, unknown>;
        } catch {
          schema = null;
        }
        return { name, summary: m.summary, schema };
      }),
  }));
}

export class MarketRequesterHost {
  readonly #d: MarketRequesterHostDeps;
  readonly #channel: BroadcastChannel;
  readonly #runs = new Map<string, AbortController>();
  #requester: MarketRequester | null = null;
  #node: unknown = null;

  constructor(d: MarketRequesterHostDeps) {
    this.#d = d;
    this.#channel = d.channel ?? new BroadcastChannel(SUBMIT_CHANNEL);
    this.#channel.onmessage = (e: MessageEvent<SubmitChannelRequest>) => void this.#on(e.data);
  }

  #post(m: SubmitChannelReply): void {
    this.#channel.postMessage(m);
  }

  async #requesterFor(): Promise<MarketRequester | null> {
    const node = this.#d.mesh.meshNode;
    if (node === null) return null;
    if (this.#requester === null || this.#node !== node) {
      const identity = await this.#d.loadIdentity();
      this.#requester = new MarketRequester({
        node,
        chunks: this.#d.mesh.memoryChunks,
        signer: identity,
        payments: this.#d.payments,
        samePeer,
        // Adverts arrive one by one: a job that needs another contributor waits for one.
        newcomerWaitMs: 30_000,
      });
      this.#node = node;
    }
    return this.#requester;
  }

  async #on(m: SubmitChannelRequest): Promise<void> {
    if (typeof m !== 'object' || m === null) return;
    if (m.type === 'hello') {
      const node = this.#d.mesh.meshNode;
      const report = this.#d.mesh.report();
      this.#post({
        type: 'ready',
        mesh: node === null ? null : { peers: report.peers, adverts: report.adverts },
        meshError: node === null ? (report.lastError ?? 'the mesh node has not started') : report.lastError,
        capsules: submitCatalog(),
      });
    } else if (m.type === 'cancel') {
      this.#runs.get(m.runId)?.abort(new Error('cancelled by the user: unspent budgets released'));
    } else if (m.type === 'submit') {
      await this.#submit(m).catch((err: unknown) => {
        this.#d.log?.('submission failed', err);
        this.#post({
          type: 'refused',
          runId: m.runId,
          message: err instanceof Error ? err.message : String(err),
        });
      });
    }
  }

  async #submit(m: Extract<SubmitChannelRequest, { type: 'submit' }>): Promise<void> {
    const requester = await this.#requesterFor();
    if (requester === null) {
      const why = this.#d.mesh.report().lastError ?? 'it has not started';
      throw new Error(`the mesh node is not running (${why}): set a bootstrap peer in Settings`);
    }
    const cap = builtinCapsules.find((c) => c.library === m.capsule);
    const method = cap?.methods[m.method];
    if (cap === undefined || method === undefined || method.secretParams !== undefined)
      throw new Error(`unknown capsule method ${m.capsule}.${m.method}`);
    let params: unknown;
    try {
      params = JSON.parse(m.params);
    } catch (err) {
      throw new Error(`params must be a JSON object: ${err instanceof Error ? err.message : String(err)}`);
    }
    const parsed = method.params.safeParse(params);
    if (!parsed.success)
      throw new Error(`params for ${m.capsule}.${m.method}: ${z.prettifyError(parsed.error)}`);
    // Adverts arrive by gossip: give them a moment, then say plainly that nobody offers it.
    const until = Date.now() + DISCOVER_MS;
    while (requester.offering(m.capsule).length === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 250));
    if (requester.offering(m.capsule).length === 0) {
      const peers = this.#d.mesh.report().peers;
      throw new NoContributorError(
        `no contributor offers ${m.capsule}.${m.method}; 0 peers have it (${peers} connected)`,
      );
    }
    const ac = new AbortController();
    this.#runs.set(m.runId, ac);
    const jobs: { name: string; bytes?: Uint8Array }[] = m.files.length > 0 ? m.files : [{ name: 'job-0' }];
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < jobs.length; i = next++) {
        const input = jobs[i]!.bytes;
        try {
          if (ac.signal.aborted) throw ac.signal.reason ?? new Error('cancelled');
          const done = await requester.submit(
            {
              capsule: m.capsule,
              method: m.method,
              params: m.params,
              ...(input ? { input } : {}),
              budget: m.budget,
              deadlineMs: m.deadlineMs,
              redundancy: m.redundancy,
            },
            (e) =>
              this.#post({
                type: 'event',
                runId: m.runId,
                index: i,
                kind: e.kind,
                ...(e.contributor !== undefined ? { contributor: e.contributor } : {}),
                ...(e.credits !== undefined ? { credits: e.credits } : {}),
                ...(e.detail !== undefined ? { detail: e.detail } : {}),
              }),
            ac.signal,
          );
          this.#post({
            type: 'result',
            runId: m.runId,
            index: i,
            status: done.status,
            error: done.error,
            output: done.output,
            paid: Object.values(done.paid).reduce((a, b) => a + b, 0),
            contributors: Object.keys(done.paid),
          });
        } catch (err) {
          this.#post({
            type: 'result',
            runId: m.runId,
            index: i,
            status: ac.signal.aborted ? 'cancelled' : 'failed',
            error: err instanceof Error ? err.message : String(err),
            output: null,
            paid: 0,
            contributors: [],
          });
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, jobs.length) }, lane));
    } finally {
      this.#runs.delete(m.runId);
      this.#post({ type: 'done', runId: m.runId, cancelled: ac.signal.aborted });
    }
  }

  close(): void {
    for (const ac of this.#runs.values()) ac.abort(new Error('the offscreen document closed'));
    this.#channel.close();
  }
}
