/**
 * The self-test's helper Worker (test build only): ring producer/consumer, arena stress, one side
 * of the bus benchmark, CPU pow throughput. Answers each request of role-protocol.ts once.
 */
import { arenaStress } from './_arena-role.ts';
import { busBench, busInit } from './_bus-roles.ts';
import { powMhps } from './_pow-role.ts';
import { consumeFrames, produceFrames } from './_ring-roles.ts';
import { errorJson } from './_stats.ts';
import type { RoleCmd, RoleProtocol, RoleReply, RoleRequest } from './role-protocol.ts';

type Handlers = {
  [K in RoleCmd]: (req: RoleProtocol[K]['req']) => RoleProtocol[K]['res'] | Promise<RoleProtocol[K]['res']>;
};

const handlers: Handlers = {
  'ring-produce': produceFrames,
  'ring-consume': consumeFrames,
  'arena-stress': arenaStress,
  'bus-init': (r) => busInit(r.sab, r.side, r.port),
  'bus-bench': busBench,
  'pow-mhps': powMhps,
};

async function handle<K extends RoleCmd>(msg: RoleRequest<K>): Promise<RoleReply> {
  try {
    const handler = handlers[msg.cmd] as (req: RoleProtocol[K]['req']) => unknown;
    return { id: msg.id, ok: true, res: await handler(msg.req) };
  } catch (err) {
    return { id: msg.id, ok: false, err: errorJson(err) };
  }
}

self.onmessage = (e: MessageEvent<RoleRequest>) => {
  void handle(e.data).then((reply) => self.postMessage(reply));
};
