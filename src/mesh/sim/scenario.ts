/**
 * The 1000-node scenario: honest nodes running MeshNode (adverts, chunk exchange, reputation,
 * limits) on SimPorts, plus hostile nodes of three kinds, through churn and a partition that heals.
 *
 * Timeline (virtual seconds): 0–5 chunk holders (4 honest per chunk) and hostile claimers (6 chunks
 * each) provide; from 5, a tenth of the honest nodes fetch a random chunk every ~3 s (keeping none,
 * so they meet the same providers again) and flooders start; 30–60 churn (churnFraction of all
 * nodes leave, half of them return 5–20 s later); 60–80 partition into two halves; 80 heal; end 120.
 * Measured adverts are published by random live honest nodes in four phases; reach is counted 10 s
 * after publication among honest nodes live at both ends of that window (same side during the
 * partition). Dedicated FIND_NODE lookups of random keys measure hops.
 *
 * Hostile kinds: droppers answer nothing and forward no gossip but claim chunks in the DHT;
 * liars claim chunks and serve random bytes for them; flooders publish valid, signed adverts at
 * 10/s and burst 60 chunk streams per second at one random peer, both for 10 s from t = 5 s.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { ADVERTS_TOPIC, CHUNKS_PROTOCOL } from '../protocol/ids.ts';
import { encodeAdvert, encodeChunk } from '../protocol/frames.ts';
import { MeshNode } from '../protocol/node.ts';
import type { GuardLimits } from '../protocol/guard.ts';
import { toHex } from '../protocol/chunk-exchange.ts';
import { mulberry32, pick, randomBytes, shuffle, type Rand } from './prng.ts';
import { SimNetwork, type SimConfig, type SimNode } from './network.ts';

export type Kind = 'honest' | 'dropper' | 'liar' | 'flooder';

export interface ScenarioOptions {
  seed: number;
  nodes: number;
  hostileFraction: number;
  churnFraction: number;
  chunks: number;
  holdersPerChunk: number;
  claimsPerHostile: number;
  fetchEveryMs: number;
  /** Share of honest nodes that fetch (all of them serve). Fetchers do not keep what they fetch, so
   * they meet the same providers again, as a node fetching job inputs from one pool does. */
  fetchers: number;
  /** Flooders' advert rate, per second, for floodForMs from 5 s. */
  floodPerSecond: number;
  floodForMs: number;
  durationMs: number;
  lookups: number;
  config?: Partial<SimConfig>;
  /** Every node's guard limits (default DEFAULT_GUARD_LIMITS), to compare settings on one seed. */
  limits?: Partial<GuardLimits>;
}

export const DEFAULT_SCENARIO: ScenarioOptions = {
  seed: 1,
  nodes: 1000,
  hostileFraction: 0.1,
  churnFraction: 0.2,
  chunks: 24,
  holdersPerChunk: 4,
  claimsPerHostile: 6,
  fetchEveryMs: 3000,
  fetchers: 0.1,
  floodPerSecond: 10,
  floodForMs: 10_000,
  durationMs: 120_000,
  lookups: 200,
};

export interface AdvertReach {
  phase: 'steady' | 'churn' | 'partition' | 'healed';
  atMs: number;
  eligible: number;
  reached: number;
}

export interface ScenarioReport {
  seed: number;
  nodes: number;
  kinds: Record<Kind, number>;
  adverts: AdvertReach[];
  lookupHops: number[];
  lookupQueries: number[];
  /** Each ban: who, whom, when (ms since start). */
  bans: { observer: string; subject: string; atMs: number; observerKind: Kind; subjectKind: Kind }[];
  /** Fetch attempts per 10 s window: total and those sent to hostile peers. */
  attemptWindows: { startMs: number; total: number; hostile: number }[];
  fetches: { started: number; ok: number; failed: number; badChunks: number };
  /** Per flooder: ms since its first flood when the last honest node accepted one of its messages (−1: none). */
  flooderLastAcceptMs: number[];
  /** Flood messages accepted by honest nodes, summed over all nodes, per flooder. */
  flooderAccepted: number[];
  /**
   * (honest observer, hostile subject) pairs by what the observer saw: `proof` = at least one bad
   * chunk, `drops` = at least 2 timeouts (a dropper never answers, so they are in a row); `banned` =
   * how many of those pairs the observer banned.
   */
  pairs: { proof: number; proofBanned: number; drops: number; dropsBanned: number; touched: number };
  /** Fetch attempts per (honest observer, hostile subject) pair, by the subject's kind. */
  attemptsPerPair: Record<Kind, number[]>;
  /** Per hostile node: distinct honest nodes that banned it. */
  bannedBy: Record<Kind, number[]>;
  /** Per hostile node: its mean score at the honest nodes that observed it at least once. */
  observedScore: Record<Kind, number[]>;
  /** Per hostile node that was sent fetch attempts: ms since start of the last one. */
  lastAttemptMs: Record<Kind, number[]>;
  /**
   * Cut-off per hostile node. Its observers are the honest nodes that recorded at least one outcome
   * for it (a timeout, a bad chunk, a refused flood message, an answer); `banned` = how many of them
   * banned it. `delaysMs`: per (observer, subject) ban, ms from the observer's first recorded
   * outcome for the subject to its first ban of it (virtual time). `pending`: observers that did
   * not ban it but hold it as a suspect at the end (a timeout run not ended by any answer: the
   * subject went away, or the run ended, before the probes finished).
   */
  cutOff: Record<Kind, { observers: number[]; banned: number[]; pending: number[]; delaysMs: number[] }>;
  /** Liveness probes by honest nodes, summed (liveness.ts counters). */
  probes: { probes: number; alive: number; timeouts: number; gone: number; skipped: number };
  /** (honest observer, honest subject) pairs with at least one fetch timeout: the chances to ban wrongly. */
  honestTimeoutPairs: number;
  churned: { left: number; returned: number };
  events: number;
  drains: number;
  traffic: { gossipSent: number; requests: number; kadQueries: number };
  virtualMs: number;
}

export async function runScenario(partial: Partial<ScenarioOptions> = {}): Promise<ScenarioReport> {
  const o: ScenarioOptions = { ...DEFAULT_SCENARIO, ...partial };
  const rand: Rand = mulberry32(o.seed);
  const net = new SimNetwork(rand, o.config);
  const t0 = net.sched.now;
  const since = (): number => net.sched.now - t0;

  // ---- nodes and behaviours ----
  const kind = new Map<string, Kind>();
  const meshNodes = new Map<string, MeshNode>();
  const held = new Map<string, Map<string, Uint8Array>>();
  const nHostile = Math.round(o.nodes * o.hostileFraction);
  const hostileKinds: Kind[] = ['dropper', 'liar', 'flooder'];
  const report: ScenarioReport = {
    seed: o.seed,
    nodes: o.nodes,
    kinds: { honest: 0, dropper: 0, liar: 0, flooder: 0 },
    adverts: [],
    lookupHops: [],
    lookupQueries: [],
    bans: [],
    attemptWindows: [],
    fetches: { started: 0, ok: 0, failed: 0, badChunks: 0 },
    flooderLastAcceptMs: [],
    flooderAccepted: [],
    pairs: { proof: 0, proofBanned: 0, drops: 0, dropsBanned: 0, touched: 0 },
    attemptsPerPair: { honest: [], dropper: [], liar: [], flooder: [] },
    bannedBy: { honest: [], dropper: [], liar: [], flooder: [] },
    observedScore: { honest: [], dropper: [], liar: [], flooder: [] },
    lastAttemptMs: { honest: [], dropper: [], liar: [], flooder: [] },
    cutOff: {
      honest: { observers: [], banned: [], pending: [], delaysMs: [] },
      dropper: { observers: [], banned: [], pending: [], delaysMs: [] },
      liar: { observers: [], banned: [], pending: [], delaysMs: [] },
      flooder: { observers: [], banned: [], pending: [], delaysMs: [] },
    },
    probes: { probes: 0, alive: 0, timeouts: 0, gone: 0, skipped: 0 },
    honestTimeoutPairs: 0,
    churned: { left: 0, returned: 0 },
    events: 0,
    drains: 0,
    traffic: net.stats,
    virtualMs: o.durationMs,
  };
  const order = shuffle(
    rand,
    Array.from({ length: o.nodes }, (_, i) => i),
  );
  const claims = new Map<string, Set<string>>(); // liar id → claimed chunk hex
  for (let i = 0; i < o.nodes; i++) {
    const id = `sim-${String(i).padStart(4, '0')}`;
    const node = net.addNode(id);
    const rank = order.indexOf(i);
    const k: Kind = rank < nHostile ? (hostileKinds[rank % 3] as Kind) : 'honest';
    kind.set(id, k);
    report.kinds[k]++;
    const store = new Map<string, Uint8Array>();
    held.set(id, store);
    const liarClaims = new Set<string>();
    claims.set(id, liarClaims);
    if (k === 'dropper') node.mute = true;
    const source = {
      get: (h: Uint8Array): Uint8Array | undefined => {
        const key = toHex(h);
        if (k === 'liar') return liarClaims.has(key) ? randomBytes(rand, 256) : undefined;
        return store.get(key);
      },
    };
    const mn = new MeshNode(node.port, {
      source,
      random: rand,
      ...(o.limits !== undefined ? { limits: o.limits } : {}),
      onBan: (subject) => {
        report.bans.push({
          observer: id,
          subject,
          atMs: since(),
          observerKind: k,
          subjectKind: kind.get(subject) ?? 'honest',
        });
      },
    });
    await mn.start();
    meshNodes.set(id, mn);
  }
  const all = net.nodes;
  const honest = all.filter((n) => kind.get(n.id) === 'honest');
  const isHostile = (id: string): boolean => kind.get(id) !== 'honest';

  net.buildTables();
  net.buildMesh();
  net.startHeartbeat();

  // Record when honest nodes accept flooders' messages.
  const floodStart = 5000;
  const flooders = all.filter((n) => kind.get(n.id) === 'flooder');
  const lastAccept = new Map<string, number>();
  const accepted = new Map<string, number>();
  for (const n of honest) {
    const h = n.subs.get(ADVERTS_TOPIC);
    if (h === undefined) continue;
    n.subs.set(ADVERTS_TOPIC, (m) => {
      const v = h(m);
      if (v === 'accept' && kind.get(m.from) === 'flooder') {
        lastAccept.set(m.from, since());
        accepted.set(m.from, (accepted.get(m.from) ?? 0) + 1);
      }
      return v;
    });
  }

  // ---- chunks: holders and hostile claimers provide ----
  const chunks = Array.from({ length: o.chunks }, () => {
    const bytes = randomBytes(rand, 256);
    return { bytes, hash: blake3(bytes), hex: '' };
  });
  for (const c of chunks) c.hex = toHex(c.hash);
  const provides: Promise<void>[] = [];
  for (const c of chunks) {
    for (let i = 0; i < o.holdersPerChunk; i++) {
      const n = pick(rand, honest);
      held.get(n.id)?.set(c.hex, c.bytes);
      provides.push(n.port.provide(c.hash));
    }
  }
  for (const n of all) {
    const k = kind.get(n.id);
    if (k !== 'dropper' && k !== 'liar') continue;
    for (const c of shuffle(rand, [...chunks]).slice(0, o.claimsPerHostile)) {
      claims.get(n.id)?.add(c.hex);
      net.sched.at(t0 + rand() * 4000, () => void n.port.provide(c.hash));
    }
  }

  // ---- honest fetch workload ----
  const lastAttempt = new Map<string, number>();
  const honestTimeouts = new Set<string>();
  const pairs = new Map<
    string,
    { observer: string; subject: string; timeouts: number; badChunks: number; attempts: number }
  >();
  const windowOf = (ms: number): { startMs: number; total: number; hostile: number } => {
    const i = Math.floor(ms / 10_000);
    while (report.attemptWindows.length <= i)
      report.attemptWindows.push({ startMs: report.attemptWindows.length * 10_000, total: 0, hostile: 0 });
    return report.attemptWindows[i] as { startMs: number; total: number; hostile: number };
  };
  for (const n of honest) {
    if (rand() >= o.fetchers) continue;
    let busy = false;
    const tick = (): boolean | void => {
      if (since() >= o.durationMs) return;
      net.sched.after(o.fetchEveryMs * (0.5 + rand()), tick);
      if (!n.up || busy) return;
      const store = held.get(n.id) as Map<string, Uint8Array>;
      const want = chunks.filter((c) => !store.has(c.hex));
      if (want.length === 0) return;
      const c = pick(rand, want);
      busy = true;
      report.fetches.started++;
      const mn = meshNodes.get(n.id) as MeshNode;
      void mn.chunks
        .fetch([c.hash], { timeoutMs: 3000, maxAttempts: 12, providers: 8, parallel: 1 })
        .then((r) => {
          busy = false;
          for (const a of r.attempts) {
            if (isHostile(a.peer)) lastAttempt.set(a.peer, since());
            const w = windowOf(since());
            w.total++;
            if (isHostile(a.peer)) w.hostile++;
            if (a.result === 'bad-chunk') report.fetches.badChunks++;
          }
          for (const a of r.attempts) {
            if (!isHostile(a.peer)) {
              if (a.result === 'timeout') honestTimeouts.add(`${n.id} ${a.peer}`);
              continue;
            }
            const key = `${n.id} ${a.peer}`;
            const p = pairs.get(key) ?? {
              observer: n.id,
              subject: a.peer,
              timeouts: 0,
              badChunks: 0,
              attempts: 0,
            };
            p.attempts++;
            if (a.result === 'timeout') p.timeouts++;
            if (a.result === 'bad-chunk') p.badChunks++;
            pairs.set(key, p);
          }
          if (r.chunks.get(c.hex) !== undefined) report.fetches.ok++;
          else report.fetches.failed++;
        });
      return true;
    };
    net.sched.at(t0 + floodStart + rand() * o.fetchEveryMs, tick, true);
  }

  // ---- flooders ----
  for (const f of flooders) {
    let seq = 0n;
    const mn = meshNodes.get(f.id) as MeshNode;
    const flood = (): void => {
      if (since() >= floodStart + o.floodForMs) return;
      net.sched.after(1000 / o.floodPerSecond, flood);
      if (!f.up) return;
      seq++;
      const now = BigInt(Math.floor(net.sched.now));
      const advert = encodeAdvert({
        peerId: f.id,
        seq: now * 1000n + seq,
        timestampMs: now,
        ttlMs: 60_000,
        capsules: [{ name: 'hash', version: 1 }],
        workers: 64,
        gpu: { available: true, vendor: 'flood', architecture: '' },
        throttle: 1,
      });
      void mn.port.publish(ADVERTS_TOPIC, advert);
    };
    net.sched.at(t0 + floodStart + rand() * 50, flood);
    const want = encodeChunk({
      kind: 'want',
      hashes: [(chunks[0] as { hash: Uint8Array }).hash],
      sendBlock: true,
    });
    for (let s = 0; s < 10; s++) {
      net.sched.at(t0 + floodStart + s * 1000 + rand() * 1000, () => {
        if (!f.up) return;
        const target = pick(rand, honest);
        for (let i = 0; i < 60; i++)
          void f.port
            .request(target.id, CHUNKS_PROTOCOL, want, { timeoutMs: 3000, maxResponseBytes: 1 << 21 })
            .catch(() => undefined);
      });
    }
  }

  // ---- measured adverts ----
  const phases: [AdvertReach['phase'], number, number][] = [
    ['steady', 10_000, 20_000],
    ['churn', 35_000, 55_000],
    ['partition', 62_000, 68_000],
    ['healed', 90_000, 110_000],
  ];
  for (const [phase, from, to] of phases) {
    for (let i = 0; i < 10; i++) {
      const at = from + ((to - from) * i) / 10;
      net.sched.at(
        t0 + at,
        () => {
          const live = honest.filter((n) => n.up);
          const origin = pick(rand, live);
          const eligibleAtStart = new Set(
            live.filter((n) => n !== origin && (!net.partitioned || n.side === origin.side)).map((n) => n.id),
          );
          void (meshNodes.get(origin.id) as MeshNode).adverts.publish({
            ttlMs: 120_000,
            capsules: [{ name: 'hash', version: 1 }],
            workers: 2,
            gpu: { available: false, vendor: '', architecture: '' },
            throttle: 0.5,
          });
          const msgId = origin.lastMessageId;
          const got = new Set<string>();
          net.traced.set(msgId, got);
          net.sched.after(10_000, () => {
            const eligible = [...eligibleAtStart].filter((id) => (net.byId.get(id) as SimNode).up);
            report.adverts.push({
              phase,
              atMs: at,
              eligible: eligible.length,
              reached: eligible.filter((id) => got.has(id)).length,
            });
            net.traced.delete(msgId);
          });
          return true;
        },
        true,
      );
    }
  }

  // ---- dedicated lookups (FIND_NODE of random keys from random live honest nodes) ----
  for (let i = 0; i < o.lookups; i++) {
    net.sched.at(
      t0 + 5000 + rand() * (o.durationMs - 15_000),
      () => {
        const n = pick(
          rand,
          honest.filter((x) => x.up),
        );
        void net.kadLookup(n, randomBytes(rand, 32), null).then((r) => {
          if (r.closest.length === 0) return;
          report.lookupHops.push(r.hops);
          report.lookupQueries.push(r.queries);
        });
        return true;
      },
      true,
    );
  }

  // ---- churn and partition ----
  const leaving = shuffle(rand, [...all]).slice(0, Math.round(o.nodes * o.churnFraction));
  leaving.forEach((n, i) => {
    const down = 30_000 + rand() * 30_000;
    net.sched.at(t0 + down, () => {
      n.up = false;
      for (const m of [...n.mesh]) net.unlink(n, m);
      report.churned.left++;
    });
    if (i % 2 === 0)
      net.sched.at(t0 + down + 5000 + rand() * 15_000, () => {
        n.up = true;
        report.churned.returned++;
      });
  });
  net.sched.at(t0 + 60_000, () => {
    for (const n of all) n.side = rand() < 0.5 ? 0 : 1;
    net.partitioned = true;
  });
  net.sched.at(t0 + 80_000, () => {
    net.partitioned = false;
  });

  await net.sched.runUntil(t0 + o.durationMs);
  await Promise.allSettled(provides);

  // ---- results ----
  for (const f of flooders) {
    const last = lastAccept.get(f.id);
    report.flooderLastAcceptMs.push(last === undefined ? -1 : last - floodStart);
    report.flooderAccepted.push(accepted.get(f.id) ?? 0);
  }
  for (const p of pairs.values()) {
    const banned = (meshNodes.get(p.observer) as MeshNode).reputation.inspect(p.subject)?.strikes ?? 0;
    report.pairs.touched++;
    report.attemptsPerPair[kind.get(p.subject) ?? 'honest'].push(p.attempts);
    if (p.badChunks > 0) {
      report.pairs.proof++;
      if (banned > 0) report.pairs.proofBanned++;
    }
    if (p.timeouts >= 2) {
      report.pairs.drops++;
      if (banned > 0) report.pairs.dropsBanned++;
    }
  }
  const by = new Map<string, Set<string>>();
  for (const b of report.bans) {
    if (b.observerKind !== 'honest') continue;
    (by.get(b.subject) ?? by.set(b.subject, new Set()).get(b.subject))?.add(b.observer);
  }
  for (const n of all) {
    const k = kind.get(n.id) as Kind;
    if (k === 'honest') continue;
    report.bannedBy[k].push(by.get(n.id)?.size ?? 0);
    const seen = honest
      .map((h) => meshNodes.get(h.id)?.reputation.inspect(n.id))
      .filter((r) => r !== undefined && r.samples > 0);
    if (seen.length > 0)
      report.observedScore[k].push(seen.reduce((a, r) => a + (r?.score ?? 0), 0) / seen.length);
    const last = lastAttempt.get(n.id);
    if (last !== undefined) report.lastAttemptMs[k].push(last);
  }
  const firstBan = new Map<string, number>();
  for (const b of report.bans)
    if (b.observerKind === 'honest' && !firstBan.has(`${b.observer} ${b.subject}`))
      firstBan.set(`${b.observer} ${b.subject}`, b.atMs);
  for (const n of all) {
    const k = kind.get(n.id) as Kind;
    let observers = 0;
    let banned = 0;
    let pending = 0;
    for (const h of honest) {
      if (h === n) continue;
      const r = meshNodes.get(h.id)?.reputation.inspect(n.id);
      if (r === undefined || r.samples === 0) continue;
      observers++;
      const at = firstBan.get(`${h.id} ${n.id}`);
      if (at === undefined) {
        if ((r.timeoutRun ?? 0) > 0) pending++;
        continue;
      }
      banned++;
      if (r.firstMs !== undefined) report.cutOff[k].delaysMs.push(at - (r.firstMs - t0));
    }
    report.cutOff[k].observers.push(observers);
    report.cutOff[k].banned.push(banned);
    report.cutOff[k].pending.push(pending);
  }
  for (const h of honest) {
    const c = (meshNodes.get(h.id) as MeshNode).liveness.counters;
    for (const key of Object.keys(report.probes) as (keyof typeof report.probes)[])
      report.probes[key] += c[key];
  }
  report.honestTimeoutPairs = honestTimeouts.size;
  report.events = net.sched.processed;
  report.drains = net.sched.drains;
  return report;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}
