/**
 * busBench: the Chromium version of bench/bus/bench-bus-node.ts, with the same definitions. Two
 * role Workers "a" (host side) and "b" (worker side) share one job bus and one MessageChannel:
 *  - throughput: 64 B messages a → b over the ring (tryReadInto a reused buffer) and over
 *    MessagePort.postMessage between the same two threads, best of 3 each after a warm-up;
 *  - round trip: ring ping-pong with blocking Atomics.wait/notify on both sides (spinning first, the
 *    RingBuffer default, and with spinning off), and postMessage ping-pong;
 *  - handoff: a job input in the arena handed over as an 8 B {offset, length} frame, 1 KiB and
 *    16 MiB (the same cost: nothing is copied), and 16 MiB by postMessage for comparison;
 *  - JobRequest encode/decode vs JSON on the page (wire-bench.ts).
 */
import { computeLayout, createBus, RingBuffer } from '../sab/index.ts';
import { percentile, round } from './_stats.ts';
import type { SelfTestHost } from './host.ts';
import type { BusBenchCmd } from './role-protocol.ts';
import { wireBench, type WireBench } from './wire-bench.ts';

export interface BusBench {
  ring_vs_postmessage_throughput_ratio: number;
  ring_msgs_per_s_64B: number;
  postmessage_msgs_per_s_64B: number;
  roundtrip_p50_us: number;
  roundtrip_p99_us: number;
  roundtrip_nospin_p50_us: number;
  roundtrip_nospin_p99_us: number;
  postmessage_roundtrip_p50_us: number;
  postmessage_roundtrip_p99_us: number;
  handoff_1KiB_us: number;
  handoff_16MiB_us: number;
  handoff_1KiB_p99_us: number;
  handoff_16MiB_p99_us: number;
  postmessage_handoff_16MiB_us: number;
  jobrequest: WireBench;
  ring_spin_iterations: number;
  ring_bytes: number;
  tier: string;
}

export interface BusBenchOptions {
  /** Messages per throughput run over the ring (postMessage runs use a tenth). */
  ringMessages?: number;
  pingPongs?: number;
}

export async function busBench(host: SelfTestHost, opts: BusBenchOptions = {}): Promise<BusBench> {
  const ringN = opts.ringMessages ?? 1_000_000;
  const pmN = Math.max(1000, Math.floor(ringN / 10));
  const pings = opts.pingPongs ?? 10_000;
  const layout = computeLayout({ tier: 'light', workers: 2 });
  const sab = createBus(layout);
  const spin = RingBuffer.inbox(sab, layout, 0).spinIterations;
  return host.withRoles('bus', 2, async ([a, b]) => {
    const { port1, port2 } = new MessageChannel();
    await a!.call('bus-init', { sab, side: 'a', port: port1 }, [port1]);
    await b!.call('bus-init', { sab, side: 'b', port: port2 }, [port2]);
    const both = (ca: BusBenchCmd, cb: BusBenchCmd) =>
      Promise.all([a!.call('bus-bench', ca), b!.call('bus-bench', cb)]);
    const setSpin = (n: number) => both({ cmd: 'spin', n }, { cmd: 'spin', n });

    /** a sends n, b receives n: messages per second from a's first send to b's last receive. */
    const throughput = async (ring: boolean, n: number): Promise<number> => {
      const [s, r] = ring
        ? await both({ cmd: 'ring-send', n }, { cmd: 'ring-recv-into', n })
        : await both({ cmd: 'pm-send', n }, { cmd: 'pm-recv', n });
      if (r.check !== 63 * n) throw new Error(`busBench: payload check ${r.check} != ${63 * n}`);
      return n / ((r.t1! - s.t0!) / 1000);
    };
    await throughput(true, Math.floor(ringN / 10));
    await throughput(false, Math.floor(pmN / 4));
    let ringTput = 0;
    let pmTput = 0;
    for (let i = 0; i < 3; i++) {
      ringTput = Math.max(ringTput, await throughput(true, ringN));
      pmTput = Math.max(pmTput, await throughput(false, pmN));
    }

    const pingPong = async (ping: BusBenchCmd, pong: BusBenchCmd): Promise<number[]> => {
      const [p] = await both(ping, pong);
      return p.latenciesUs!.slice(Math.floor(p.latenciesUs!.length / 10)); // drop the warm-up tenth
    };
    const ringRt = await pingPong({ cmd: 'ring-ping', n: pings }, { cmd: 'ring-pong', n: pings });
    await setSpin(0);
    const ringRtNoSpin = await pingPong({ cmd: 'ring-ping', n: pings }, { cmd: 'ring-pong', n: pings });
    await setSpin(spin);
    const pmRt = await pingPong({ cmd: 'pm-ping', n: pings / 2 }, { cmd: 'pm-pong', n: pings / 2 });
    const handoff = (bytes: number, n: number, pm = false) =>
      pingPong(
        { cmd: pm ? 'pm-handoff-ping' : 'handoff-ping', n, bytes },
        { cmd: pm ? 'pm-handoff-pong' : 'handoff-pong', n },
      );
    const h1k = await handoff(1024, pings / 2);
    const h16m = await handoff(16 << 20, pings / 2);
    const pm16m = await handoff(16 << 20, 30, true);

    return {
      ring_vs_postmessage_throughput_ratio: round(ringTput / pmTput),
      ring_msgs_per_s_64B: Math.round(ringTput),
      postmessage_msgs_per_s_64B: Math.round(pmTput),
      roundtrip_p50_us: round(percentile(ringRt, 50)),
      roundtrip_p99_us: round(percentile(ringRt, 99)),
      roundtrip_nospin_p50_us: round(percentile(ringRtNoSpin, 50)),
      roundtrip_nospin_p99_us: round(percentile(ringRtNoSpin, 99)),
      postmessage_roundtrip_p50_us: round(percentile(pmRt, 50)),
      postmessage_roundtrip_p99_us: round(percentile(pmRt, 99)),
      handoff_1KiB_us: round(percentile(h1k, 50)),
      handoff_16MiB_us: round(percentile(h16m, 50)),
      handoff_1KiB_p99_us: round(percentile(h1k, 99)),
      handoff_16MiB_p99_us: round(percentile(h16m, 99)),
      postmessage_handoff_16MiB_us: round(percentile(pm16m, 50)),
      jobrequest: wireBench(),
      ring_spin_iterations: spin,
      ring_bytes: layout.ringBytes,
      tier: layout.tier,
    };
  });
}
