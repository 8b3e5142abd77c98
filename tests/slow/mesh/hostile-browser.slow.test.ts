/**
 * The hostile peer against a real browser, at full size: 10,000 malformed, oversize or
 * flooding frames from Node peers to one browser's offscreen document, while another browser fetches
 * 16 MiB from it. The browser bans a peer after a few bad frames or over-limit streams
 * (reputation.ts, guard.ts), so 10⁴ frames take many identities. Each lane makes a fresh PeerId,
 * reaches the victim through the `inos node` relay and the WebRTC upgrade (node-datachannel, as a
 * browser would), then:
 * 1. floods one /inos/chunks/2 stream with valid wants for chunks nobody has: the guard's stream
 *    burst (40) plus 2, written back to back, then bursts of 3 until the guard answers 'busy' (over
 *    the rate limit: refused and counted against the peer). The victim admits the burst (a store
 *    lookup each, answered 'notFound') and penalises none of it, so this is where most frames come
 *    from: one identity gets ~40 frames judged where bad frames alone ban it after ~3;
 * 2. sends malformed, oversize and not-a-ChunkFrame frames on 16 /inos/chunks/1 streams until the
 *    victim closes the connection or 8 opens in a row are refused (the ban);
 * then starts over with a new key. Frames are counted where they land: the victim's guard
 * (PeerGuard.observe) and port (frames refused as oversize/malformed before any handler), through
 * `test/mesh-guard`; the flood stops when both that count and the frames sent reach the target
 * (the victim also counts streams that reached it empty, opens that timed out on our side).
 * Must hold:
 * - the victim's document stays up (same instanceId) and its memory stays bounded (Pss of its
 *   browser's processes before/after, printed; at most 2× — it must not grow with identities);
 * - every identity that got in is banned and disconnected;
 * - honest 16 MiB fetches by the other browser, run back to back during the flood, all complete and
 *   verify by BLAKE3.
 *
 * Measured at 10,000 frames, 4 lanes, on the shared 2-core box (see the commits for every figure):
 * load 14-15: 251 s, 133 identities (all banned, all reached the victim), 9,665 sent / 10,055
 * judged at the victim, Pss 357 → 391 MiB, 4 honest rounds, 0 chunks fetched again. Per identity
 * (mean): relay dial 0.4 s, WebRTC upgrade 2.4 s, flood 2.6 s, bad frames 0.6 s, ban seen 0.4 s.
 * With the stop rule above, load 17-27: 371 s, 144 identities all banned, 10,092 sent / 10,538
 * judged, Pss 284 → 313 MiB, 5 honest rounds, 0 re-fetched. At load 45-50 a run failed: an
 * honest round lost 15 of 16 chunks to "no provider found" in all 4 tries (a DHT lookup finding).
 * Before the flood phase (bad frames only, 1,000 frames, 6 lanes, load 25-34): ~8 frames per
 * identity, 119 identities; 10⁴ would have taken 50-80 min.
 * Those runs re-fetched a lost chunk; the chunk exchange now repeats empty lookups and asks the
 * set's known holders first, so a lost chunk fails the round (counted, printed as 'chunks lost').
 *
 * `npm run test:slow` (needs `npm run build:test` first). HOSTILE_BROWSER_FRAMES sets the count
 * (default 10,000), HOSTILE_LANES the concurrent identities (default 4).
 * Traffic: the node listens on 127.0.0.1 only; WebRTC has `iceServers: []`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3 } from '@noble/hashes/blake3.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { Connection } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNodePolyfills } from '../../../src/mesh/libp2p/node-polyfills';
import { meshTransports } from '../../../src/mesh/libp2p/transports';
import { DEFAULT_GUARD_LIMITS } from '../../../src/mesh/protocol/guard';
import { CHUNKS_PROTOCOL, CHUNKS_PROTOCOL_V2 } from '../../../src/mesh/protocol/ids';
import { decodeChunk, encodeChunk } from '../../../src/mesh/protocol/frames';
import { toHex } from '../../../src/mesh/protocol/chunk-exchange';
import { testChunk } from '../../../src/offscreen/mesh-test-hooks';
import {
  browserProcessTree,
  launchMeshBrowsers,
  waitFor,
  type ExtensionUnderTest,
} from '../../e2e/_extension';
import { hostileFrame } from '../../e2e/_hostile';
import { startRelay, stopAll } from '../market/_procs';

const SEED = Number(process.env['MESH_E2E_SEED'] ?? 20261128);
const FRAMES = Number(process.env['HOSTILE_BROWSER_FRAMES'] ?? 10_000);
const LANES = Number(process.env['HOSTILE_LANES'] ?? 4);
/** Streams one identity keeps busy at once (the victim allows 16 per connection and protocol). */
const STREAMS = 16;
const CHUNKS = 16;
const CHUNK_BYTES = 1 << 20;

let dir = '';
let boot = '';
const browsers: ExtensionUnderTest[] = [];
const peerIds: string[] = [];

/** Pss (KiB) of the Chromium whose profile is `userDataDir`: its browser process and all descendants. */
function browserPssKiB(userDataDir: string): { total: number; processes: number } {
  const tree = browserProcessTree(userDataDir);
  let total = 0;
  for (const pid of tree) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { total, processes: tree.size };
}

beforeAll(async () => {
  console.info(`hostile-browser seed ${SEED} (MESH_E2E_SEED to replay), ${FRAMES} frames, ${LANES} lanes`);
  dir = mkdtempSync(join(tmpdir(), 'inos-hostile-'));
  ({ boot } = await startRelay(dir, { echo: 'inos node' }));
  await launchMeshBrowsers(2, boot, browsers);
  for (const [i, ext] of browsers.entries()) {
    const s = await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 120_000, what: `browser ${i} connected with a relay reservation` },
    );
    peerIds.push(s.network.peerId!);
  }
  // Both browsers use the node's DHT before anything is measured (as the 3-browser e2e does before
  // its transfer): a record put by the victim is found by the fetcher.
  const [victim, fetcher] = browsers as [ExtensionUnderTest, ExtensionUnderTest];
  const key = `hostile-${SEED}`;
  await victim.askOffscreen('test/mesh-dht', { op: 'put', key, value: peerIds[0]! });
  await waitFor(
    () => fetcher.askOffscreen('test/mesh-dht', { op: 'get', key }),
    (r) => r.value === peerIds[0],
    { timeoutMs: 60_000, what: "the victim's DHT record at the fetcher" },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a browser under 10,000 hostile frames from Node peers', () => {
  it(`stays up with bounded memory, bans every hostile identity, and serves an honest 16 MiB fetch meanwhile (${FRAMES} frames)`, async () => {
    const [victimExt, fetcher] = browsers as [ExtensionUnderTest, ExtensionUnderTest];
    const victim = peerIdFromString(peerIds[0]!);
    const target = multiaddr(`${boot}/p2p-circuit/webrtc/p2p/${victim.toString()}`);
    const before = await victimExt.askOffscreen('diagnostics/get');
    const pssBefore = browserPssKiB(victimExt.userDataDir);
    installNodePolyfills();

    const counts = {
      /** Frames written: flood wants on /inos/chunks/2 plus bad frames on /inos/chunks/1. */
      frames: 0,
      /** Flood wants the victim answered: 'notFound' (admitted by its guard) or 'busy' (refused). */
      admitted: 0,
      overLimit: 0,
      refused: 0,
      identities: 0,
      unreached: 0,
      banned: 0,
      notBanned: [] as string[],
    };
    const byKind = [0, 0, 0, 0];
    /** Where an identity's time goes (ms, summed over identities that reached the victim). */
    const phase = { key: 0, relay: 0, upgrade: 0, flood: 0, bad: 0, ban: 0 };
    let firstIn = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstIn = resolve));
    // Frames are counted where they land: the victim's guard (each flood want is one stream decision)
    // and its port (frames refused as oversize or malformed before any handler). The honest fetcher
    // and the relay are left out of the count.
    const exclude = [peerIds[1]!, boot.slice(boot.lastIndexOf('/') + 1)];
    await victimExt.askOffscreen('test/mesh-guard', { op: 'start', exclude });
    let enough = false;
    const atVictim = async (): Promise<number> => {
      const g = await victimExt.askOffscreen('test/mesh-guard', { op: 'read' });
      const n = g.admitted + g.refused + g.abuse;
      // Both: the victim also counts streams that reached its handler empty (a hostile open that timed
      // out on our side, which we count as refused) as malformed.
      if (n >= FRAMES && counts.frames >= FRAMES) enough = true;
      return n;
    };

    /**
     * Flooding on one /inos/chunks/2 stream: valid wants for chunks nobody has, written back to back
     * without waiting for answers, 2 more than the victim's stream burst (40), then bursts of 3 until
     * its guard answers 'busy' (over the rate limit: refused, and counted against the peer as a
     * flood). The victim answers every want it admits ('notFound' after a store lookup), so one
     * identity gets ~40 frames judged where bad frames alone ban it after ~3.
     */
    const floodWants = async (conn: Connection): Promise<void> => {
      const stream = await conn
        .newStream(CHUNKS_PROTOCOL_V2, { signal: AbortSignal.timeout(10_000) })
        .catch(() => null);
      if (stream === null) return;
      const lp = lpStream(stream, { maxDataLength: 4096 });
      let busy = false;
      let next = 1;
      try {
        for (let round = 0; !busy && round < 10 && conn.status === 'open'; round++) {
          const n = round === 0 ? DEFAULT_GUARD_LIMITS.streamBurst + 2 : 3;
          for (let i = 0; i < n; i++) {
            await lp.write(
              encodeChunk({ kind: 'want', hashes: [randomBytes(32)], sendBlock: true, requestId: next++ }),
            );
            counts.frames++;
            byKind[3]!++;
          }
          for (let i = 0; i < n; i++) {
            const d = decodeChunk((await lp.read({ signal: AbortSignal.timeout(15_000) })).subarray());
            if (d.ok && d.frame.kind === 'error' && d.frame.code === 'busy') {
              counts.overLimit++;
              busy = true;
            } else counts.admitted++;
          }
        }
      } catch {
        // the victim closed the stream or the connection (a ban): expected
      } finally {
        stream.abort(new Error('hostile peer done'));
      }
    };

    /** One bad frame (malformed, oversize or not-a-ChunkFrame) on a new stream; false when refused. */
    const badFrame = async (conn: Connection, i: number): Promise<boolean> => {
      if (conn.status !== 'open') return false;
      const stream = await conn
        .newStream(CHUNKS_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
        .catch(() => null);
      if (stream === null) return false;
      counts.frames++;
      byKind[i % 3]!++;
      await hostileFrame(stream, i % 3);
      return true;
    };

    /**
     * One identity: reach the victim (relay, then the WebRTC upgrade), flood wants until the guard
     * refuses one, then send bad frames on 16 streams until its connection is closed or 8 stream
     * opens in a row are refused; then check the victim banned it.
     */
    const identity = async (): Promise<void> => {
      let t = Date.now();
      const privateKey = await generateKeyPair('Ed25519');
      const keyMs = Date.now() - t;
      // A bare node: what an attacker needs to reach the victim, no DHT or gossip (see the header).
      const node = await createLibp2p({
        privateKey,
        transports: meshTransports([]) as never,
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() },
      });
      const id = node.peerId.toString();
      try {
        t = Date.now();
        const relayed = await node
          .dial(multiaddr(boot), { signal: AbortSignal.timeout(15_000) })
          .catch(() => null);
        const relayMs = Date.now() - t;
        t = Date.now();
        let conn: Connection | null = null;
        for (let i = 0; i < 3 && conn === null && relayed !== null; i++)
          conn = await node.dial(target, { signal: AbortSignal.timeout(15_000) }).catch(() => null);
        if (conn === null) {
          counts.unreached++;
          return;
        }
        const upgradeMs = Date.now() - t;
        counts.identities++;
        phase.key += keyMs;
        phase.relay += relayMs;
        phase.upgrade += upgradeMs;
        firstIn();
        t = Date.now();
        await floodWants(conn);
        phase.flood += Date.now() - t;
        t = Date.now();
        let i = 0;
        let refusedInARow = 0;
        const worker = async (): Promise<void> => {
          while (refusedInARow < 8 && conn.status === 'open') {
            if (await badFrame(conn, i++)) refusedInARow = 0;
            else {
              counts.refused++;
              refusedInARow++;
            }
          }
        };
        await Promise.all(Array.from({ length: STREAMS }, worker));
        phase.bad += Date.now() - t;
        t = Date.now();
        // The ban closes the connection from the victim's side.
        await waitFor(
          async () => conn.status,
          (s) => s !== 'open',
          { timeoutMs: 10_000, what: 'the victim to close the connection' },
        ).catch(() => undefined);
        const view = await victimExt.askOffscreen('test/mesh-peer', { peer: id });
        phase.ban += Date.now() - t;
        if (view.bannedUntil > Date.now()) counts.banned++;
        else counts.notBanned.push(id); // looked at again at the end: the last frames may land late
        await atVictim();
      } finally {
        await node.stop();
      }
    };

    const t0 = Date.now();
    let lastReport = t0;
    const lane = async (): Promise<void> => {
      while (!enough) {
        await identity();
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          console.info(
            `hostile-browser: ${counts.frames} frames sent, ${await atVictim()} counted at the victim, ${counts.identities} identities, ${counts.banned} banned, load ${loadavg()[0]!.toFixed(1)}, ${Math.round((Date.now() - t0) / 1000)} s`,
          );
        }
        if (counts.identities === 0 && counts.unreached >= 5 * LANES)
          throw new Error(`no hostile identity reached the victim in ${counts.unreached} tries`);
      }
    };
    let floodDone = false;
    const flood = Promise.all(Array.from({ length: LANES }, lane)).finally(() => (floodDone = true));

    // Honest fetches of 16 MiB each, back to back while the flood runs (new chunks each round).
    const honest: { ms: number; ok: number; lost: number }[] = [];
    const honestLoop = async (): Promise<void> => {
      await Promise.race([started, flood]);
      for (let round = 0; round === 0 || !floodDone; round++) {
        const seed = SEED + round;
        const put = await victimExt.askOffscreen('test/mesh-put-chunks', {
          seed,
          chunks: CHUNKS,
          chunkBytes: CHUNK_BYTES,
        });
        const expected = Array.from({ length: CHUNKS }, (_, i) =>
          toHex(blake3(testChunk(seed, i, CHUNK_BYTES))),
        );
        expect(put.hashes).toEqual(expected);
        // The fetching document checks each chunk's BLAKE3 against its address on arrival and again
        // before storing it (test/mesh-fetch). Every chunk must come in one fetch: a chunk lost to a
        // provider lookup or a lane (issue #9, "no provider found") fails the round (counted).
        const t = Date.now();
        const r = await fetcher.askOffscreen('test/mesh-fetch', {
          hashes: put.hashes,
          parallel: 4,
          timeoutMs: 60_000,
        });
        const lost = r.failed.length;
        if (lost > 0)
          console.info(
            `hostile-browser: honest round ${round}: ${lost} lost: ${[...new Set(r.failed.map((f) => f.error.replace(/[0-9a-f]{64}|12D3Koo\w+/g, '…')))].join('; ')}`,
          );
        expect(r.failed, `honest round ${round}: chunks lost`).toEqual([]);
        expect(r.ok).toBe(CHUNKS);
        honest.push({ ms: Date.now() - t, ok: r.ok, lost });
      }
    };
    await Promise.all([flood, honestLoop()]);
    const secs = Math.round((Date.now() - t0) / 1000);

    const late: string[] = [];
    for (const id of counts.notBanned) {
      const view = await victimExt.askOffscreen('test/mesh-peer', { peer: id });
      if (view.bannedUntil > Date.now()) counts.banned++;
      else late.push(`${id} score ${view.score.toFixed(3)} connections ${view.connections}`);
    }
    const checkedLate = counts.notBanned.length;
    const judged = await victimExt.askOffscreen('test/mesh-guard', { op: 'read' });
    const n = Math.max(1, counts.identities);
    const per = (ms: number): number => Math.round(ms / n);
    counts.notBanned = late;
    const after = await victimExt.askOffscreen('diagnostics/get');
    const pssAfter = browserPssKiB(victimExt.userDataDir);
    console.info(
      `hostile-browser: at the victim: ${judged.admitted} admitted by its guard, ${judged.refused} refused by it, ${judged.abuse} refused by its port (oversize/malformed), from ${judged.peers} peers; flood wants answered 'notFound' ${counts.admitted}, 'busy' ${counts.overLimit}`,
    );
    console.info(
      `hostile-browser: per identity (ms, mean): key ${per(phase.key)}, relay dial ${per(phase.relay)}, WebRTC upgrade ${per(phase.upgrade)}, flood ${per(phase.flood)}, bad frames ${per(phase.bad)}, ban seen ${per(phase.ban)}`,
    );
    console.info(
      `hostile-browser: ${counts.frames} frames sent (malformed ${byKind[0]}, oversize ${byKind[1]}, not-a-frame ${byKind[2]}, flood ${byKind[3]}) by ${counts.identities} identities (${counts.unreached} never reached the victim) in ${secs} s; ${counts.refused} stream opens refused; ${counts.banned} banned (${checkedLate} of them only when looked at again after the flood), ${counts.notBanned.length} not: ${counts.notBanned.slice(0, 3).join('; ')}`,
    );
    console.info(
      `hostile-browser: honest 16 MiB fetches during the flood: ${honest.length}, ms ${honest.map((h) => h.ms).join(' ')}, chunks lost ${honest.map((h) => h.lost).join(' ')}`,
    );
    console.info(
      `hostile-browser: victim browser Pss ${Math.round(pssBefore.total / 1024)} MiB (${pssBefore.processes} processes) → ${Math.round(pssAfter.total / 1024)} MiB (${pssAfter.processes}); load ${loadavg()[0]!.toFixed(1)}`,
    );

    expect(judged.admitted + judged.refused + judged.abuse).toBeGreaterThanOrEqual(FRAMES);
    expect(counts.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(judged.peers).toBeLessThanOrEqual(counts.identities);
    expect(after.instanceId).toBe(before.instanceId);
    expect(honest.length).toBeGreaterThanOrEqual(1);
    expect(counts.notBanned).toEqual([]);
    // Every identity that got in runs to its ban (the count is checked between identities).
    expect(counts.banned).toBe(counts.identities);
    expect(counts.overLimit).toBeGreaterThanOrEqual(1);
    // Bounded: the hostile identities' bookkeeping must not grow the document with their number.
    expect(pssAfter.total).toBeLessThan(2 * pssBefore.total);
    // The victim is still connected to the relay and to honest peers.
    const s = await victimExt.ask('status/get');
    expect(s.network.ok).toBe(true);
  }, 3_600_000);
});
