/**
 * Job-bus benchmark on Node worker threads: `npx tsx bench/bus/bench-bus-node.ts`.
 * Two worker threads, "a" (host side) and "b" (worker side), exchange 64-byte messages over the SAB
 * ring and over a MessagePort in the same run, then hand off arena job inputs by reference.
 * Writes bench/results/bus.json as { node: {...}, meta: {...} }, keeping any other sections.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Arena, computeLayout, createBus, RingBuffer } from '../../src/sab/index.ts';
import { arenaEfficiency } from '../../tests/unit/sab/_arena-props.ts';
import { mulberry32 } from '../../tests/unit/sab/_prng.ts';
import type { BenchCmd, BenchReply } from './_bench-worker.ts';

const RESULTS =
  process.env['BUS_BENCH_OUT'] !== undefined
    ? new URL(`file://${process.env['BUS_BENCH_OUT']}`)
    : new URL('../results/bus.json', import.meta.url);
const SEED = 0x5eed_b05;
/** RingBuffer's default, unless BUS_BENCH_SPIN overrides it to explore the spin/sleep trade-off. */
const DEFAULT_SPIN =
  process.env['BUS_BENCH_SPIN'] !== undefined
    ? Number(process.env['BUS_BENCH_SPIN'])
    : RingBuffer.init(new SharedArrayBuffer(RingBuffer.regionBytes(256)), 0, 256).spinIterations;

/**
 * Node 20 ignores `--import` in Worker execArgv, so the worker registers tsx itself. When this file
 * was pre-bundled to .mjs (to run on a machine without node_modules), the worker is a sibling .mjs.
 */
function startWorker(data: unknown): Worker {
  if (import.meta.url.endsWith('.mjs'))
    return new Worker(new URL('./_bench-worker.mjs', import.meta.url), { workerData: data });
  const url = new URL('./_bench-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

function call(w: Worker, c: BenchCmd, transfer: Transferable[] = []): Promise<BenchReply> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    w.once('message', (r: BenchReply & { error?: string }) => {
      w.off('error', onError);
      if (r.error) reject(new Error(r.error));
      else resolve(r);
    });
    w.once('error', onError);
    w.postMessage(c, transfer as never);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const r2 = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = os.loadavg()[0] ?? 0;
  const layout = computeLayout({ tier: 'light', workers: 2 });
  const sab = createBus(layout);
  const a = startWorker({ sab, side: 'a' });
  const b = startWorker({ sab, side: 'b' });
  const { port1, port2 } = new MessageChannel();
  await call(a, { cmd: 'port', port: port1 }, [port1]);
  await call(b, { cmd: 'port', port: port2 }, [port2]);
  await Promise.all([call(a, { cmd: 'spin', n: DEFAULT_SPIN }), call(b, { cmd: 'spin', n: DEFAULT_SPIN })]);

  /** a sends n, b receives n; messages per second from a's first send to b's last receive. */
  const throughput = async (send: BenchCmd, recv: BenchCmd, n: number): Promise<number> => {
    const [s, r] = await Promise.all([call(a, send), call(b, recv)]);
    if (r.check !== 63 * n) throw new Error(`throughput: payload check ${r.check} != ${63 * n}`);
    return n / ((r.t1! - s.t0!) / 1000);
  };
  const best = async (runs: number, f: () => Promise<number>): Promise<number> => {
    let top = 0;
    for (let i = 0; i < runs; i++) top = Math.max(top, await f());
    return top;
  };
  // Warm-up (JIT) for both transports, then best of 3 each, interleaved so drift hits both.
  await throughput({ cmd: 'ring-send', n: 200_000 }, { cmd: 'ring-recv-into', n: 200_000 }, 200_000);
  await throughput({ cmd: 'pm-send', n: 50_000 }, { cmd: 'pm-recv', n: 50_000 }, 50_000);
  let ringTput = 0;
  let pmTput = 0;
  let ringCopyTput = 0;
  for (let i = 0; i < 3; i++) {
    ringTput = Math.max(
      ringTput,
      await throughput(
        { cmd: 'ring-send', n: 2_000_000 },
        { cmd: 'ring-recv-into', n: 2_000_000 },
        2_000_000,
      ),
    );
    ringCopyTput = Math.max(
      ringCopyTput,
      await throughput(
        { cmd: 'ring-send', n: 1_000_000 },
        { cmd: 'ring-recv-copy', n: 1_000_000 },
        1_000_000,
      ),
    );
    pmTput = Math.max(
      pmTput,
      await throughput({ cmd: 'pm-send', n: 200_000 }, { cmd: 'pm-recv', n: 200_000 }, 200_000),
    );
  }

  const pingPong = async (ping: BenchCmd, pong: BenchCmd): Promise<number[]> => {
    const [p] = await Promise.all([call(a, ping), call(b, pong)]);
    return p.latenciesUs!.slice(Math.floor(p.latenciesUs!.length / 10)); // drop the warm-up tenth
  };
  const ringRt = await pingPong({ cmd: 'ring-ping', n: 20_000 }, { cmd: 'ring-pong', n: 20_000 });
  await Promise.all([call(a, { cmd: 'spin', n: 0 }), call(b, { cmd: 'spin', n: 0 })]);
  const ringRtNoSpin = await pingPong({ cmd: 'ring-ping', n: 20_000 }, { cmd: 'ring-pong', n: 20_000 });
  await Promise.all([call(a, { cmd: 'spin', n: DEFAULT_SPIN }), call(b, { cmd: 'spin', n: DEFAULT_SPIN })]);
  const pmRt = await pingPong({ cmd: 'pm-ping', n: 10_000 }, { cmd: 'pm-pong', n: 10_000 });
  const handoff = async (bytes: number, n: number): Promise<number[]> =>
    pingPong({ cmd: 'handoff-ping', n, bytes }, { cmd: 'handoff-pong', n });
  const h1k = await handoff(1024, 5000);
  const h16m = await handoff(16 << 20, 5000);
  const pm16m = await pingPong(
    { cmd: 'pm-handoff-ping', n: 30, bytes: 16 << 20 },
    { cmd: 'pm-handoff-pong', n: 30 },
  );

  const arenaSolo = await best(
    3,
    async () => (await call(a, { cmd: 'arena-ops', n: 200_000, seed: SEED, maxBytes: 64 * 1024 })).opsPerSec!,
  );
  const both = await Promise.all([
    call(a, { cmd: 'arena-ops', n: 200_000, seed: SEED, maxBytes: 64 * 1024 }),
    call(b, { cmd: 'arena-ops', n: 200_000, seed: SEED + 1, maxBytes: 64 * 1024 }),
  ]);
  await Promise.all([a.terminate(), b.terminate()]);

  const effArena = new Arena(createBus(layout), layout);
  const eff = arenaEfficiency(mulberry32(SEED), effArena, {
    workload: 'job payloads 16 B..1 MiB, 70% fill',
    minBytes: 16,
    maxBytes: 1 << 20,
    ops: 4000,
    targetFill: 0.7,
  });
  const effSmall = arenaEfficiency(mulberry32(SEED + 1), effArena, {
    workload: 'small messages 8 B..4 KiB, 70% fill',
    minBytes: 8,
    maxBytes: 4096,
    ops: 4000,
    targetFill: 0.7,
  });

  const node = {
    ring_vs_postmessage_throughput_ratio: r2(ringTput / pmTput),
    ring_copy_vs_postmessage_throughput_ratio: r2(ringCopyTput / pmTput),
    ring_msgs_per_s_64B: Math.round(ringTput),
    ring_copy_msgs_per_s_64B: Math.round(ringCopyTput),
    postmessage_msgs_per_s_64B: Math.round(pmTput),
    roundtrip_p50_us: r2(pct(ringRt, 50)),
    roundtrip_p99_us: r2(pct(ringRt, 99)),
    roundtrip_nospin_p50_us: r2(pct(ringRtNoSpin, 50)),
    roundtrip_nospin_p99_us: r2(pct(ringRtNoSpin, 99)),
    postmessage_roundtrip_p50_us: r2(pct(pmRt, 50)),
    postmessage_roundtrip_p99_us: r2(pct(pmRt, 99)),
    handoff_1KiB_us: r2(pct(h1k, 50)),
    handoff_16MiB_us: r2(pct(h16m, 50)),
    handoff_1KiB_p99_us: r2(pct(h1k, 99)),
    handoff_16MiB_p99_us: r2(pct(h16m, 99)),
    postmessage_handoff_16MiB_us: r2(pct(pm16m, 50)),
    arena_alloc_free_ops_per_s_1thread: Math.round(arenaSolo),
    arena_alloc_free_ops_per_s_2threads_total: Math.round(both[0].opsPerSec! + both[1].opsPerSec!),
    arena_efficiency_mean: Number(eff.mean.toFixed(4)),
    arena_efficiency_min: Number(eff.min.toFixed(4)),
    arena_efficiency_small_mean: Number(effSmall.mean.toFixed(4)),
    arena_fill_at_first_failure: Number(eff.fillAtFirstFailure.toFixed(3)),
    ring_spin_iterations: DEFAULT_SPIN,
    ring_bytes: layout.ringBytes,
    tier: layout.tier,
  };
  const meta = {
    timestamp: new Date().toISOString(),
    node_version: process.version,
    v8: process.versions.v8,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    total_mem_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    // Other processes on a small machine skew thread-to-thread numbers; this shows how busy it was.
    load_avg_1m_start: Number(loadStart.toFixed(2)),
    load_avg_1m_end: Number((os.loadavg()[0] ?? 0).toFixed(2)),
    bench_seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    definitions: {
      throughput:
        '64 B messages from thread a to thread b; first send to last receive; best of 3. ring = tryReadInto into a reused buffer; ring_copy = read() returning a fresh copy; postmessage = MessagePort.postMessage(Uint8Array) between the same two threads',
      roundtrip:
        'ring ping-pong a->b->a with blocking Atomics.wait on both sides, 64 B, percentiles after warm-up',
      handoff:
        'round trip: a writes an 8 B {offset,length} arena ref frame, b reads it, takes arena.view(ref), touches first and last byte, acks 1 B; p50 in us. The input is written once beforehand',
      postmessage_handoff_16MiB_us:
        'same with the 16 MiB input sent by postMessage (structured clone), for comparison',
      arena_efficiency:
        'requested bytes live / bytes reserved by their blocks, sampled after each of 4000 steady-state ops at 70% fill (tests/unit/sab/_arena-props.ts arenaEfficiency)',
      arena_fill_at_first_failure:
        'reserved/capacity when the first random 16 B..1 MiB allocation fails after the steady state (external fragmentation)',
    },
  };
  const existing: Record<string, unknown> = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
    : {};
  mkdirSync(new URL('.', RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ ...existing, node, meta }, null, 2) + '\n');

  console.table(Object.entries(node).map(([metric, value]) => ({ metric, value })));
  console.log(
    `${meta.cpu_model}, ${meta.cpus} cpus, node ${meta.node_version}, ${meta.bench_seconds}s; wrote ${RESULTS.pathname}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
