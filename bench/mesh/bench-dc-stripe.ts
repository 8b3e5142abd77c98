/**
 * bench:mesh-stripe: does browser→browser throughput grow with more data channels? An `inos node` on
 * loopback (the relay the browsers' libp2p nodes meet through) and two Chromium profiles with the
 * test build. Rows, 16 MiB each, in interleaved rounds (median):
 * - raw WebSocket, a page of browser A → a `ws` server in this process (the reference);
 * - raw RTCDataChannels, a document of A → a document of B (no libp2p; SDP passed by this process,
 *   `iceServers: []`, the approach of bench/mesh/_raw-dc.ts): the 16 MiB split evenly over 1, 2, 4, 8
 *   ordered channels of one RTCPeerConnection, and over 2 and 4 separate RTCPeerConnections (one
 *   channel each); 16 KiB messages (what @libp2p/webrtc sends); each channel keeps at most HIGH
 *   bytes buffered; time = first send → the last channel's "ok";
 * - bare libp2p streams A→B (`test/mesh-streams`, each stream its own data channel of the one WebRTC
 *   connection), k = 1, 2, 4.
 * The whole set runs twice in one process: both browsers contributing (proof-of-work filling the
 * cores) and neither contributing. Appends the run to bench/results/mesh-stripe.json (`runs`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { ExtensionUnderTest } from '../../tests/e2e/_extension.ts';
import { rawWsReference } from './_raw-ws.ts';
import { startRelayAndBrowsers } from './_browsers.ts';

const BYTES = 16 << 20;
const MESSAGE = 16 << 10;
const HIGH = 4 << 20;
const LOW = 1 << 20;
const ROUNDS = Number(process.env['MESH_STRIPE_ROUNDS'] ?? 7);
const RESULTS =
  process.env['MESH_STRIPE_OUT'] ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'mesh-stripe.json');
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};
const mbps = (ms: number) => BYTES / 1e6 / (ms / 1000);

type StripeGlobal = {
  __pcs?: Record<string, RTCPeerConnection>;
  __chans?: Record<string, Promise<RTCDataChannel[]>>;
};

/** Opens RTCPeerConnection `key` in `page` (offerer: with `channels` ordered channels); its full SDP. */
async function describe(page: Page, key: string, channels: number, offer: string | null): Promise<string> {
  return page.evaluate(
    async ({ key, channels, offer }) => {
      const g = globalThis as unknown as StripeGlobal;
      g.__pcs ??= {};
      g.__chans ??= {};
      g.__pcs[key]?.close();
      const pc = new RTCPeerConnection({ iceServers: [] });
      g.__pcs[key] = pc;
      if (offer === null) {
        const opened: Promise<RTCDataChannel>[] = [];
        for (let i = 0; i < channels; i++) {
          const ch = pc.createDataChannel(`stripe-${i}`, { ordered: true });
          ch.binaryType = 'arraybuffer';
          opened.push(new Promise((r) => (ch.onopen = () => r(ch))));
        }
        g.__chans[key] = Promise.all(opened);
        await pc.setLocalDescription(await pc.createOffer());
      } else {
        g.__chans[key] = new Promise((resolve) => {
          const got: RTCDataChannel[] = [];
          pc.ondatachannel = (e) => {
            const ch = e.channel;
            ch.binaryType = 'arraybuffer';
            // Receiver: the first (string) message says how many bytes follow; "ok" once counted.
            let n = 0;
            let want = Infinity;
            ch.onmessage = (m: MessageEvent<ArrayBuffer | string>) => {
              if (typeof m.data === 'string') want = Number(m.data);
              else n += m.data.byteLength;
              if (n >= want) {
                ch.send('ok');
                n = 0;
                want = Infinity;
              }
            };
            got.push(ch);
            if (got.length === channels) resolve(got);
          };
        });
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
      }
      if (pc.iceGatheringState !== 'complete')
        await new Promise<void>((r) =>
          pc.addEventListener('icegatheringstatechange', () => {
            if (pc.iceGatheringState === 'complete') r();
          }),
        );
      return pc.localDescription!.sdp;
    },
    { key, channels, offer },
  );
}

/** Connection `key` A→B with `channels` channels; resolves once every channel is open at both ends. */
async function connect(a: Page, b: Page, key: string, channels: number): Promise<void> {
  const offer = await describe(a, key, channels, null);
  const answer = await describe(b, key, channels, offer);
  await a.evaluate(
    async ({ key, sdp }) => {
      const g = globalThis as unknown as StripeGlobal;
      await g.__pcs![key]!.setRemoteDescription({ type: 'answer', sdp });
      await Promise.race([
        g.__chans![key],
        new Promise((_, rej) => setTimeout(() => rej(new Error(`${key} did not open in 20 s`)), 20_000)),
      ]);
    },
    { key, sdp: answer },
  );
  await b.evaluate((key) => (globalThis as unknown as StripeGlobal).__chans![key], key);
}

/** Sends `bytes` split evenly over the channels `use` ([connection, channel index]); ms to the last "ok". */
async function stripeSend(a: Page, use: [string, number][], bytes: number): Promise<number> {
  return a.evaluate(
    async ({ use, bytes, message, high, low }) => {
      const g = globalThis as unknown as StripeGlobal;
      const chans = await Promise.all(use.map(async ([k, i]) => (await g.__chans![k]!)[i]!));
      const piece = new Uint8Array(message).map((_, i) => i & 0xff);
      const t0 = performance.now();
      await Promise.all(
        chans.map(async (ch, i) => {
          const share = Math.floor(bytes / chans.length) + (i < bytes % chans.length ? 1 : 0);
          ch.bufferedAmountLowThreshold = low;
          const done = new Promise<void>((r) => (ch.onmessage = () => r()));
          ch.send(String(share));
          for (let sent = 0; sent < share; sent += piece.length) {
            if (ch.bufferedAmount > high)
              await new Promise<void>((r) =>
                ch.addEventListener('bufferedamountlow', () => r(), { once: true }),
              );
            ch.send(share - sent < piece.length ? piece.subarray(0, share - sent) : piece);
          }
          await done;
        }),
      );
      return performance.now() - t0;
    },
    { use, bytes, message: MESSAGE, high: HIGH, low: LOW },
  );
}

const setup = await startRelayAndBrowsers(2, 'stripe');
const { relay, browsers, ids } = setup;
const errors: string[] = [];
try {
  const [a, b] = browsers as [ExtensionUnderTest, ExtensionUnderTest];
  // A's libp2p connection to B (through the relay, upgraded to WebRTC), used by every stream row.
  const viaRelay = `${relay}/p2p-circuit/webrtc/p2p/${ids[1]!}`;
  const dial = await a.askOffscreen('test/mesh-dial', { peer: ids[1]!, addr: viaRelay });
  await b.askOffscreen('test/mesh-streams', { op: 'serve' });

  // Reference: raw WebSocket, page in A → ws server here, 64 KiB messages (as bench:mesh).
  const rawWs = await rawWsReference(a.context, BYTES);
  const rawWsMs = () => rawWs.ms();

  // Raw data channels: connection "one" with 8 channels (rows ch1..ch8 use its first k), and four
  // connections "p0".."p3" of one channel each (rows pc2, pc4 use the first 2 or 4).
  const dcA = await a.context.newPage();
  const dcB = await b.context.newPage();
  await connect(dcA, dcB, 'one', 8);
  for (let i = 0; i < 4; i++) await connect(dcA, dcB, `p${i}`, 1);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const rowDefs: { key: string; name: string; run: () => Promise<number> }[] = [
    { key: 'ws', name: 'raw WebSocket, browser page → Node, 64 KiB messages (reference)', run: rawWsMs },
    ...[1, 2, 4, 8].map((k) => ({
      key: `ch${k}`,
      name: `raw RTCDataChannel ×${k}, one RTCPeerConnection, document → document, 16 KiB messages`,
      run: () =>
        stripeSend(
          dcA,
          range(k).map((i): [string, number] => ['one', i]),
          BYTES,
        ),
    })),
    ...[2, 4].map((k) => ({
      key: `pc${k}`,
      name: `raw RTCDataChannel ×${k}, ${k} separate RTCPeerConnections, document → document, 16 KiB messages`,
      run: () =>
        stripeSend(
          dcA,
          range(k).map((i): [string, number] => [`p${i}`, 0]),
          BYTES,
        ),
    })),
    ...[1, 2, 4].map((k) => ({
      key: `s${k}`,
      name: `libp2p streams ×${k} browser→browser (one WebRTC connection), 64 KiB writes`,
      run: async () => {
        const r = await a.askOffscreen('test/mesh-streams', {
          op: 'send',
          peer: ids[1]!,
          bytes: BYTES,
          pieceBytes: 64 << 10,
          streams: k,
        });
        if (!r.remoteAddr.includes('/webrtc')) errors.push(`s${k}: stream not over WebRTC: ${r.remoteAddr}`);
        return r.ms;
      },
    })),
  ];

  const phases: Record<string, unknown>[] = [];
  for (const contributing of [true, false]) {
    for (const x of browsers) await x.ask('contribute/set', { on: contributing });
    const ms: Record<string, number[]> = Object.fromEntries(rowDefs.map((r) => [r.key, []]));
    const load: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      load.push(loadavg()[0] ?? NaN);
      // Rotate the order each round, so no row always follows the same one.
      for (let j = 0; j < rowDefs.length; j++) {
        const r = rowDefs[(j + round) % rowDefs.length]!;
        try {
          ms[r.key]!.push(await r.run());
        } catch (err) {
          errors.push(`${contributing ? 'contributing' : 'idle'} ${r.key}: ${String(err).slice(0, 200)}`);
          ms[r.key]!.push(NaN);
        }
      }
    }
    load.push(loadavg()[0] ?? NaN);
    const wsMs = median(ms['ws']!);
    const ch1 = median(ms['ch1']!);
    const s1 = median(ms['s1']!);
    const rows = rowDefs.map((r) => ({
      name: r.name,
      key: r.key,
      MBps: mbps(median(ms[r.key]!)),
      vsRawWs: wsMs / median(ms[r.key]!),
      vs1Channel: ch1 / median(ms[r.key]!),
      ...(r.key.startsWith('s') ? { vs1Stream: s1 / median(ms[r.key]!) } : {}),
      ms: ms[r.key]!.map(Math.round),
    }));
    const label = contributing ? 'both browsers contributing' : 'neither browser contributing';
    console.log(`\n${label}; load per round ${load.map((l) => l.toFixed(1)).join(' ')}`);
    console.table(
      rows.map((r) => ({
        row: r.key,
        MBps: r.MBps.toFixed(2),
        'vs raw ws': r.vsRawWs.toFixed(2),
        'vs 1 channel': r.vs1Channel.toFixed(2),
        'vs 1 stream': r.vs1Stream?.toFixed(2) ?? '',
        ms: r.ms.join(' '),
      })),
    );
    phases.push({ contributing, loadPerRound: load, rows });
  }
  rawWs.close();
  // Each run is appended to the file's `runs` (the verdict is near the noise: keep every run).
  const previous = existsSync(RESULTS)
    ? ((JSON.parse(readFileSync(RESULTS, 'utf8')) as { runs?: unknown[] }).runs ?? [])
    : [];
  const run = {
    date: new Date().toISOString(),
    method: `16 MiB per row, median of ${ROUNDS} interleaved rounds (order rotated each round); raw channels 16 KiB messages, at most ${HIGH >> 20} MiB buffered per channel; libp2p stream remote ${dial.remoteAddr}`,
    cpus: cpus().length,
    phases,
    errors,
  };
  writeFileSync(RESULTS, `${JSON.stringify({ runs: [...previous, run] }, null, 2)}\n`);
  if (errors.length > 0) console.log(errors.join('\n'));
  console.log(`wrote ${RESULTS}`);
} finally {
  await setup.close();
}
process.exit(0);
