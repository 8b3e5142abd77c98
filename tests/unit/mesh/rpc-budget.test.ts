/**
 * An RPC request is judged late by the budget its sender still had when it wrote the frame (after its
 * dial), not by comparing two machines' wall clocks. Two RpcServices on hand-made ports with their
 * own clocks: the requester's may run behind the responder's, and its dial may take most of the
 * call's time (a first WebRTC dial over a relay).
 */
import { describe, expect, it } from 'vitest';
import { encodeRpc, type RpcFrame } from '../../../src/mesh/protocol/frames.ts';
import { PeerGuard } from '../../../src/mesh/protocol/guard.ts';
import {
  frameBytes,
  type MeshPort,
  type PeerIdString,
  type RequestFrame,
  type StreamHandler,
} from '../../../src/mesh/protocol/port.ts';
import { Reputation } from '../../../src/mesh/protocol/reputation.ts';
import { RPC_DEADLINE_PASSED, RpcService } from '../../../src/mesh/protocol/rpc.ts';
import { decodeRpc } from '../../../src/mesh/protocol/frames.ts';

/** A requester and a responder; `skewMs` puts the requester's clock behind; `dialMs` is its dial. */
function pair(opts: { skewMs: number; dialMs: number }) {
  let serverNow = 1_800_000_000_000;
  const handlers = new Map<string, StreamHandler>();
  const written: Uint8Array[] = [];
  const serverPort = {
    self: 'server',
    now: () => serverNow,
    handle: (protocol: string, fn: StreamHandler) => {
      handlers.set(protocol, fn);
      return () => handlers.delete(protocol);
    },
  } as unknown as MeshPort;
  const clientPort = {
    self: 'client',
    now: () => serverNow - opts.skewMs,
    request: async (_peer: PeerIdString, protocol: string, frame: RequestFrame) => {
      serverNow += opts.dialMs; // the dial: both clocks advance
      const bytes = frameBytes(frame);
      written.push(bytes);
      return handlers.get(protocol)!('client', bytes, new AbortController().signal);
    },
  } as unknown as MeshPort;
  const rep = (now: () => number) => new Reputation({ now });
  const server = new RpcService(
    serverPort,
    rep(serverPort.now),
    new PeerGuard(serverPort.now, rep(serverPort.now)),
  );
  server.register('echo', async (_from, body) => body);
  server.serve();
  const client = new RpcService(
    clientPort,
    rep(clientPort.now),
    new PeerGuard(clientPort.now, rep(clientPort.now)),
  );
  return { client, server, written, handlers };
}

describe('RPC deadlines without a shared clock', () => {
  it('a requester whose clock is 60 s behind the responder is answered', async () => {
    const { client } = pair({ skewMs: 60_000, dialMs: 0 });
    const r = await client.call('server', 'echo', Uint8Array.of(1, 2), 10_000);
    expect(r).toEqual({ status: 'ok', body: Uint8Array.of(1, 2), message: '' });
  });

  it('a dial that took 9.5 s of a 10 s call leaves the responder a 500 ms budget, not a passed deadline', async () => {
    const { client, written } = pair({ skewMs: 0, dialMs: 9_500 });
    const r = await client.call('server', 'echo', Uint8Array.of(3), 10_000);
    expect(r.status).toBe('ok');
    const d = decodeRpc(written[0]!);
    expect(d.ok && d.frame.kind === 'request' && d.frame.budgetMs).toBe(500);
  });

  it('a dial that used the whole call still writes a budget of at least 1 ms (the caller times out itself)', async () => {
    const { client, written } = pair({ skewMs: 0, dialMs: 12_000 });
    await client.call('server', 'echo', Uint8Array.of(3), 10_000);
    const d = decodeRpc(written[0]!);
    expect(d.ok && d.frame.kind === 'request' && d.frame.budgetMs).toBe(1);
  });

  it('a request without a budget (before session 10) is still judged by its wall-clock deadline', async () => {
    const { handlers } = pair({ skewMs: 0, dialMs: 0 });
    const old: RpcFrame = { kind: 'request', id: 1n, method: 'echo', deadlineMs: 1n, body: Uint8Array.of(9) };
    const answer = decodeRpc(
      await handlers.get('/inos/rpc/1')!('client', encodeRpc(old), new AbortController().signal),
    );
    expect(answer.ok && answer.frame.kind === 'response' && answer.frame.message).toBe(RPC_DEADLINE_PASSED);
    const timely: RpcFrame = { ...old, deadlineMs: 2_000_000_000_000n };
    const ok = decodeRpc(
      await handlers.get('/inos/rpc/1')!('client', encodeRpc(timely), new AbortController().signal),
    );
    expect(ok.ok && ok.frame.kind === 'response' && ok.frame.status).toBe('ok');
  });

  it('a frame that cannot be encoded throws before the dial, not as a transport failure', async () => {
    const { client, written } = pair({ skewMs: 0, dialMs: 0 });
    await expect(client.call('server', 'x'.repeat(65), Uint8Array.of(1), 1000)).rejects.toThrow(
      /RpcRequest.method/,
    );
    expect(written).toHaveLength(0);
  });
});
