/**
 * bench:mesh's dial: retried as the product retries (upstream dials fail a few %, MESH.md §1.3), and a
 * dial that fails every attempt is a *reported* result, never a throw.
 *
 * Why: bench-mesh.ts used to rethrow after its last attempt. That rejection reached the module's
 * top-level `await`, and Node ends the process on a rejected top-level await of the entry module —
 * before `process.on('unhandledRejection')` handlers or `--unhandled-rejections=warn` are consulted
 * (the monitor still reports origin 'unhandledRejection'). So one peer that closed its WebSocket before
 * answering multistream-select ("EncryptionFailedError: Unexpected EOF - stream closed while reading
 * 0/1 bytes" from the upgrader) four times in a row ended the whole benchmark with nothing written.
 * That EOF is the remote's connection manager refusing the connection: libp2p accepts at most
 * `inboundConnectionThreshold` (5) new connections per second from one host, and dialTimes' fresh
 * clients, all on 127.0.0.1, plus immediate retries, went over it (reproduced in bench:mesh
 * 2026-11-28 09:0x: ws dials 6, 12 and 13 of 20 refused on all 4 attempts).
 */
import type { Connection } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { MeshLibp2p } from '../../src/mesh/libp2p/create-node.ts';

export type DialOutcome =
  | { ok: true; conn: Connection; ms: number; failures: string[] }
  | { ok: false; error: string; failures: string[] };

export interface DialOptions {
  /** Attempts before the dial is reported failed (≥ 1). */
  tries: number;
  /** Per-attempt limit. */
  timeoutMs: number;
  /** Pause before the next attempt (default 1100 ms: past libp2p's 1 s inbound rate window). */
  retryAfterMs?: number;
}

const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

/** Dials `addr`, retrying; `ms` is the successful attempt's time. Never rejects on a dial failure. */
export async function dialReported(
  client: MeshLibp2p,
  addr: Multiaddr,
  opts: DialOptions,
): Promise<DialOutcome> {
  if (!Number.isInteger(opts.tries) || opts.tries < 1) {
    throw new RangeError(`dialReported: tries must be an integer ≥ 1, got ${opts.tries}`);
  }
  const failures: string[] = [];
  for (let attempt = 1; attempt <= opts.tries; attempt++) {
    const t0 = performance.now();
    try {
      const conn = await client.dial(addr, { signal: AbortSignal.timeout(opts.timeoutMs) });
      return { ok: true, conn, ms: performance.now() - t0, failures };
    } catch (err) {
      failures.push(`attempt ${attempt}: ${describe(err).slice(0, 200)}`);
      await client.hangUp(addr).catch(() => undefined);
      // The remote refuses a host's 6th connection within a second (libp2p's inboundConnectionThreshold,
      // 5/s per host) by closing it unanswered: the EOF above. Retrying at once lands in the same
      // second, so every attempt was refused; the next one waits out that window.
      if (attempt < opts.tries) await new Promise((r) => setTimeout(r, opts.retryAfterMs ?? 1100));
    }
  }
  return { ok: false, error: failures[failures.length - 1] ?? 'no attempt', failures };
}
