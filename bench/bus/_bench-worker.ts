/**
 * Worker side of bench-bus-node.ts. Thread "a" is the host-like side (writes jobs to inbox 0), thread
 * "b" the worker-like side (reads inbox 0, answers on outbox 0). Each command answers one message.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Arena, assertLayout, RingBuffer, type ArenaRef } from '../../src/sab/index.ts';

export type BenchCmd =
  | { cmd: 'port'; port: MessagePort }
  | { cmd: 'spin'; n: number }
  | { cmd: 'ring-send' | 'ring-recv-into' | 'ring-recv-copy' | 'pm-send' | 'pm-recv'; n: number }
  | { cmd: 'ring-ping' | 'ring-pong' | 'pm-ping' | 'pm-pong'; n: number }
  | { cmd: 'handoff-ping' | 'pm-handoff-ping'; n: number; bytes: number }
  | { cmd: 'handoff-pong' | 'pm-handoff-pong'; n: number }
  | { cmd: 'arena-ops'; n: number; seed: number; maxBytes: number };

export interface BenchReply {
  /** Absolute time (ms since the epoch, sub-ms precision) comparable across threads. */
  t0?: number;
  t1?: number;
  latenciesUs?: number[];
  opsPerSec?: number;
  check?: number;
}

const { sab, side } = workerData as { sab: SharedArrayBuffer; side: 'a' | 'b' };
const layout = assertLayout(sab);
const inbox = RingBuffer.inbox(sab, layout, 0);
const outbox = RingBuffer.outbox(sab, layout, 0);
const send = side === 'a' ? inbox : outbox;
const recv = side === 'a' ? outbox : inbox;
const arena = new Arena(sab, layout);
let port: MessagePort | undefined;
const now = (): number => performance.timeOrigin + performance.now();
const msg64 = new Uint8Array(64).map((_, i) => i);

function nextPortMessage<T>(): Promise<T> {
  return new Promise((resolve) => port!.once('message', (m: T) => resolve(m)));
}

async function run(c: BenchCmd): Promise<BenchReply> {
  switch (c.cmd) {
    case 'port':
      port = c.port;
      return {};
    case 'spin':
      send.spinIterations = c.n;
      recv.spinIterations = c.n;
      return {};
    case 'ring-send': {
      const t0 = now();
      for (let i = 0; i < c.n; i++) send.write(msg64);
      return { t0 };
    }
    case 'ring-recv-into': {
      const buf = new Uint8Array(64);
      let check = 0;
      for (let i = 0; i < c.n;) {
        if (recv.tryReadInto(buf) >= 0) {
          check += buf[63]!;
          i++;
        } else recv.waitReadable();
      }
      return { t1: now(), check };
    }
    case 'ring-recv-copy': {
      let check = 0;
      for (let i = 0; i < c.n; i++) check += recv.read()![63]!;
      return { t1: now(), check };
    }
    case 'pm-send': {
      const t0 = now();
      for (let i = 0; i < c.n; i++) port!.postMessage(msg64);
      return { t0 };
    }
    case 'pm-recv':
      return new Promise((resolve) => {
        let seen = 0;
        let check = 0;
        const onMessage = (m: Uint8Array): void => {
          check += m[63]!;
          if (++seen === c.n) {
            port!.off('message', onMessage);
            resolve({ t1: now(), check });
          }
        };
        port!.on('message', onMessage);
      });
    case 'ring-ping': {
      const lat: number[] = [];
      const buf = new Uint8Array(64);
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        send.write(msg64);
        while (recv.tryReadInto(buf) < 0) recv.waitReadable();
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat };
    }
    case 'ring-pong': {
      const buf = new Uint8Array(64);
      for (let i = 0; i < c.n; i++) {
        while (recv.tryReadInto(buf) < 0) recv.waitReadable();
        send.write(buf);
      }
      return {};
    }
    case 'pm-ping': {
      const lat: number[] = [];
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        const reply = nextPortMessage<Uint8Array>();
        port!.postMessage(msg64);
        await reply;
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat };
    }
    case 'pm-pong':
      return new Promise((resolve) => {
        let seen = 0;
        const onMessage = (m: Uint8Array): void => {
          port!.postMessage(m);
          if (++seen === c.n) {
            port!.off('message', onMessage);
            resolve({});
          }
        };
        port!.on('message', onMessage);
      });
    case 'handoff-ping': {
      // The job input is written once, untimed: the bench measures getting it, not producing it.
      const ref = arena.alloc(c.bytes);
      arena.view(ref).fill(7);
      const frame = new Uint8Array(8);
      const fv = new DataView(frame.buffer);
      const ack = new Uint8Array(8);
      const lat: number[] = [];
      let check = 0;
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        fv.setUint32(0, ref.offset, true);
        fv.setUint32(4, ref.length, true);
        send.write(frame);
        while (recv.tryReadInto(ack) < 0) recv.waitReadable();
        lat.push((performance.now() - t) * 1000);
        check += ack[0]!;
      }
      arena.free(ref);
      return { latenciesUs: lat, check };
    }
    case 'handoff-pong': {
      const frame = new Uint8Array(8);
      const fv = new DataView(frame.buffer);
      for (let i = 0; i < c.n; i++) {
        while (recv.tryReadInto(frame) < 0) recv.waitReadable();
        const ref: ArenaRef = { offset: fv.getUint32(0, true), length: fv.getUint32(4, true) };
        const v = arena.view(ref);
        send.write(Uint8Array.of(v[0]! + v[v.length - 1]!));
      }
      return {};
    }
    case 'pm-handoff-ping': {
      const input = new Uint8Array(c.bytes).fill(7);
      const lat: number[] = [];
      let check = 0;
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        const reply = nextPortMessage<number>();
        port!.postMessage(input); // structured clone: the copy a postMessage job bus pays
        check += await reply;
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat, check };
    }
    case 'pm-handoff-pong':
      return new Promise((resolve) => {
        let seen = 0;
        const onMessage = (m: Uint8Array): void => {
          port!.postMessage(m[0]! + m[m.length - 1]!);
          if (++seen === c.n) {
            port!.off('message', onMessage);
            resolve({});
          }
        };
        port!.on('message', onMessage);
      });
    case 'arena-ops': {
      // Random sizes, a sliding window of 64 live blocks: each op is one alloc plus one free.
      let s = c.seed >>> 0;
      const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      const live: ArenaRef[] = [];
      const t0 = performance.now();
      for (let i = 0; i < c.n; i++) {
        live.push(arena.alloc(1 + Math.floor(Math.exp(rnd() * Math.log(c.maxBytes)))));
        if (live.length > 64) arena.free(live.splice(Math.floor(rnd() * live.length), 1)[0]!);
      }
      const opsPerSec = c.n / ((performance.now() - t0) / 1000);
      for (const r of live) arena.free(r);
      return { opsPerSec };
    }
  }
}

parentPort!.on('message', (c: BenchCmd) => {
  run(c).then(
    (r) => parentPort!.postMessage(r),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.stack : String(e) }),
  );
});
