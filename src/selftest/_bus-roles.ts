/**
 * The worker side of the bus benchmark, the one source for both hosts: the Chromium self-test's
 * Workers (role-worker.ts) and Node's worker_threads (bench/bus/_bench-worker.ts, a thin adapter).
 * Thread "a" writes to inbox 0 and reads outbox 0, thread "b" the reverse, and a message port joins
 * the same two threads for the postMessage comparison.
 */
import { Arena, assertLayout, RingBuffer, type ArenaRef } from '../sab/index.ts';
import type { BusBenchCmd, BusBenchRes } from './role-protocol.ts';

/**
 * A started MessagePort drops messages that arrive while no listener is attached, and the two
 * Workers start each command at slightly different times: the mailbox keeps what arrives between
 * commands and hands it to the next taker first, in order.
 */
class PortMailbox {
  private backlog: unknown[] = [];
  private head = 0;
  private taker: ((m: unknown) => void) | null = null;

  constructor(
    readonly post: (m: unknown) => void,
    listen: (deliver: (m: unknown) => void) => void,
  ) {
    listen((m) => {
      if (this.taker) this.taker(m);
      else this.backlog.push(m);
    });
  }

  /** Calls `f` with each of the next `n` messages (queued ones first), then resolves. */
  take<T>(n: number, f: (m: T) => void): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const taker = (m: unknown): void => {
        f(m as T);
        if (++seen === n) {
          this.taker = null;
          resolve();
        }
      };
      this.taker = taker;
      while (this.taker === taker && this.head < this.backlog.length) taker(this.backlog[this.head++]);
      if (this.head === this.backlog.length) {
        this.backlog = [];
        this.head = 0;
      }
    });
  }

  next<T>(): Promise<T> {
    let got: T | undefined;
    return this.take<T>(1, (m) => (got = m)).then(() => got as T);
  }
}

interface BusState {
  send: RingBuffer;
  recv: RingBuffer;
  arena: Arena;
  mail: PortMailbox;
}

let state: BusState | null = null;
const now = (): number => performance.timeOrigin + performance.now();
const msg64 = new Uint8Array(64).map((_, i) => i);

/** A browser MessagePort as the bus's port. */
export function busInit(sab: SharedArrayBuffer, side: 'a' | 'b', port: MessagePort): null {
  return busInitWith(
    sab,
    side,
    (m) => port.postMessage(m),
    (deliver) => (port.onmessage = (e: MessageEvent) => deliver(e.data)),
  );
}

/** Any port: `post` sends a message, `listen` subscribes once to every message that arrives. */
export function busInitWith(
  sab: SharedArrayBuffer,
  side: 'a' | 'b',
  post: (m: unknown) => void,
  listen: (deliver: (m: unknown) => void) => void,
): null {
  const layout = assertLayout(sab);
  const inbox = RingBuffer.inbox(sab, layout, 0);
  const outbox = RingBuffer.outbox(sab, layout, 0);
  state = {
    send: side === 'a' ? inbox : outbox,
    recv: side === 'a' ? outbox : inbox,
    arena: new Arena(sab, layout),
    mail: new PortMailbox(post, listen),
  };
  return null;
}

function readInto(recv: RingBuffer, buf: Uint8Array): void {
  while (recv.tryReadInto(buf) < 0) recv.waitReadable();
}

export async function busBench(c: BusBenchCmd): Promise<BusBenchRes> {
  if (!state) throw new Error('bus-bench before bus-init');
  const { send, recv, arena, mail } = state;
  const port = { postMessage: mail.post };
  switch (c.cmd) {
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
      for (let i = 0; i < c.n; i++) {
        readInto(recv, buf);
        check += buf[63]!;
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
      for (let i = 0; i < c.n; i++) port.postMessage(msg64);
      return { t0 };
    }
    case 'pm-recv': {
      let check = 0;
      await mail.take<Uint8Array>(c.n, (m) => (check += m[63]!));
      return { t1: now(), check };
    }
    case 'ring-ping': {
      const lat: number[] = [];
      const buf = new Uint8Array(64);
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        send.write(msg64);
        readInto(recv, buf);
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat };
    }
    case 'ring-pong': {
      const buf = new Uint8Array(64);
      for (let i = 0; i < c.n; i++) {
        readInto(recv, buf);
        send.write(buf);
      }
      return {};
    }
    case 'pm-ping': {
      const lat: number[] = [];
      for (let i = 0; i < c.n; i++) {
        const t = performance.now();
        const reply = mail.next<Uint8Array>();
        port.postMessage(msg64);
        await reply;
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat };
    }
    case 'pm-pong':
      await mail.take<Uint8Array>(c.n, (m) => port.postMessage(m));
      return {};
    case 'handoff-ping': {
      // The job input is written once, untimed: this measures handing it over, not producing it.
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
        readInto(recv, ack);
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
        readInto(recv, frame);
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
        const reply = mail.next<number>();
        port.postMessage(input); // structured clone: the copy a postMessage job bus pays
        check += await reply;
        lat.push((performance.now() - t) * 1000);
      }
      return { latenciesUs: lat, check };
    }
    case 'pm-handoff-pong':
      await mail.take<Uint8Array>(c.n, (m) => port.postMessage(m[0]! + m[m.length - 1]!));
      return {};
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
