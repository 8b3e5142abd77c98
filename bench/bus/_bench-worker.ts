/**
 * Worker side of bench-bus-node.ts: a Node worker_threads adapter over the bus roles the Chromium
 * self-test runs too (src/selftest/_bus-roles.ts, the one source of both). Thread "a" is the host-like
 * side (writes jobs to inbox 0), thread "b" the worker-like side. Each command answers one message.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { busBench, busInitWith } from '../../src/selftest/_bus-roles.ts';
import type { BusBenchCmd, BusBenchRes } from '../../src/selftest/role-protocol.ts';

export type BenchCmd = { cmd: 'port'; port: MessagePort } | BusBenchCmd;
export type BenchReply = BusBenchRes;

const { sab, side } = workerData as { sab: SharedArrayBuffer; side: 'a' | 'b' };

async function run(c: BenchCmd): Promise<BenchReply> {
  if (c.cmd !== 'port') return busBench(c);
  const port = c.port;
  busInitWith(
    sab,
    side,
    (m) => port.postMessage(m),
    (deliver) => port.on('message', deliver),
  );
  return {};
}

parentPort!.on('message', (c: BenchCmd) => {
  run(c).then(
    (r) => parentPort!.postMessage(r),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.stack : String(e) }),
  );
});
