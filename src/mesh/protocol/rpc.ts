/**
 * Request/response over /inos/rpc/1: one RpcFrame request per stream, one RpcFrame response.
 * Methods are registered by name ("job.submit"); bodies are opaque inner frames (usually a
 * base.capnp Envelope). The server answers badRequest / unknownMethod / busy itself, so a method
 * handler only ever sees a well-formed request from a peer within its limits.
 */
import { RPC_PROTOCOL } from './ids.ts';
import { MeshError } from './errors.ts';
import { decodeRpc, encodeRpc, LIMITS, type RpcStatus } from './frames.ts';
import type { PeerGuard } from './guard.ts';
import type { MeshPort, PeerIdString } from './port.ts';
import type { Reputation } from './reputation.ts';

/**
 * The answer to a request that arrived after its deadline. Only a requester from before session 10
 * (no `budgetMs`) can get it: its frame's wall-clock deadline was set before it dialled, so a slow
 * first dial used it up, and a clock behind the responder's made every request late. The call may be
 * made again at once.
 */
export const RPC_DEADLINE_PASSED = 'deadline passed';

/** What a method learns of the call besides its body. */
export interface RpcCall {
  /**
   * The caller's clock minus ours, ms, estimated from the request (its wall-clock deadline minus the
   * budget it wrote, against our arrival time; off by the transit time); 0 when the request carries
   * no budget. A method that compares a time the caller set (a job's deadline) with ours subtracts it.
   */
  clockOffsetMs: number;
}

export type RpcMethod = (
  from: PeerIdString,
  body: Uint8Array,
  signal: AbortSignal,
  call: RpcCall,
) => Promise<Uint8Array>;

export interface RpcReply {
  status: RpcStatus;
  body: Uint8Array;
  message: string;
}

export class RpcService {
  private readonly methods = new Map<string, RpcMethod>();
  private nextId = 1n;

  constructor(
    private readonly port: MeshPort,
    private readonly reputation: Reputation,
    private readonly guard: PeerGuard,
  ) {}

  register(method: string, fn: RpcMethod): () => void {
    this.methods.set(method, fn);
    return () => this.methods.delete(method);
  }

  serve(): () => void {
    return this.port.handle(RPC_PROTOCOL, (from, frame, signal) => this.answer(from, frame, signal), {
      maxRequestBytes: LIMITS.rpcBytes,
    });
  }

  private async answer(from: PeerIdString, frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const reply = (
      id: bigint,
      status: RpcStatus,
      message: string,
      body: Uint8Array = new Uint8Array(0),
    ): Uint8Array => encodeRpc({ kind: 'response', id, status, body, message });
    if (this.reputation.isBanned(from)) return reply(0n, 'busy', 'refused');
    const release = this.guard.admitStream(from);
    if (release === null) return reply(0n, 'busy', 'over the stream limits; retry later');
    try {
      const d = decodeRpc(frame);
      if (!d.ok || d.frame.kind !== 'request') {
        this.reputation.record(from, 'bad-frame');
        return reply(0n, 'badRequest', d.ok ? 'expected a request' : d.error.message);
      }
      const req = d.frame;
      const fn = this.methods.get(req.method);
      if (fn === undefined) return reply(req.id, 'unknownMethod', `no method ${req.method}`);
      // A budget (ms the requester still waited when it wrote the frame, after its dial) is judged
      // on arrival and needs no shared clock: a frame that arrives is within it. Without one (an
      // older requester), its wall-clock deadline against ours.
      const now = this.port.now();
      if (!req.budgetMs && Number(req.deadlineMs) !== 0 && Number(req.deadlineMs) < now)
        return reply(req.id, 'failed', RPC_DEADLINE_PASSED);
      const clockOffsetMs = req.budgetMs ? Math.round(Number(req.deadlineMs) - req.budgetMs - now) : 0;
      try {
        return reply(req.id, 'ok', '', await fn(from, req.body, signal, { clockOffsetMs }));
      } catch (err) {
        return reply(req.id, 'failed', (err instanceof Error ? err.message : String(err)).slice(0, 512));
      }
    } finally {
      release();
    }
  }

  /** Calls `method` on `peer`. Throws MeshError for transport failures and malformed answers; a
   * well-formed non-ok answer comes back as an RpcReply. */
  async call(
    peer: PeerIdString,
    method: string,
    body: Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RpcReply> {
    const id = this.nextId++;
    const start = this.port.now();
    const encode = (budgetMs: number): Uint8Array =>
      encodeRpc({
        kind: 'request',
        id,
        method,
        deadlineMs: BigInt(Math.floor(start + timeoutMs)),
        body,
        budgetMs,
      });
    // Encoded now, so a frame that cannot be encoded throws here and not as a transport failure;
    // encoded again once the stream is open (MeshPort.request) if the dial took time, which (seconds
    // over a relay) is not the responder's to spend.
    const first = encode(Math.max(1, Math.floor(timeoutMs)));
    const frame = (): Uint8Array => {
      const spent = Math.floor(this.port.now() - start);
      return spent < 1 ? first : encode(Math.max(1, Math.floor(timeoutMs) - spent));
    };
    let raw: Uint8Array;
    try {
      raw = await this.port.request(peer, RPC_PROTOCOL, frame, {
        timeoutMs,
        maxResponseBytes: LIMITS.rpcBytes,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (err instanceof MeshError && err.code === 'timeout') this.reputation.record(peer, 'timeout');
      throw err;
    }
    const d = decodeRpc(raw);
    if (!d.ok || d.frame.kind !== 'response' || (d.frame.id !== id && d.frame.id !== 0n)) {
      this.reputation.record(peer, 'bad-frame');
      throw new MeshError('bad-frame', d.ok ? `${peer} answered with a mismatched frame` : d.error.message, {
        peer,
      });
    }
    return { status: d.frame.status, body: d.frame.body, message: d.frame.message };
  }
}
