/** Reputation EMA, bans with back-off, ordering, persistence; per-peer limits. */
import 'fake-indexeddb/auto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerGuard } from '../../../src/mesh/protocol/guard.ts';
import { Reputation, REPUTATION } from '../../../src/mesh/protocol/reputation.ts';
import { FileReputationStore } from '../../../src/mesh/protocol/reputation-file-store.ts';
import { IdbReputationStore, MemoryReputationStore } from '../../../src/mesh/protocol/reputation-store.ts';

function setup() {
  const clock = { t: 1_000_000 };
  const bans: { peer: string; until: number }[] = [];
  const rep = new Reputation({ now: () => clock.t, onBan: (peer, until) => bans.push({ peer, until }) });
  return { clock, bans, rep };
}

describe('Reputation', () => {
  it('moves by the EMA formula: s += (1 - 0.9^w)(x - s)', () => {
    const { rep } = setup();
    rep.record('a', 'ok');
    expect(rep.score('a')).toBeCloseTo(0.5 + 0.1 * 0.5, 12);
    rep.record('b', 'timeout');
    expect(rep.score('b')).toBeCloseTo(0.5 - 0.19 * 0.5, 12);
    expect(rep.appScore('new-peer')).toBe(0);
  });

  it('a new peer is banned on its 3rd timeout in a row (weights 2, 4, 6), not its 2nd', () => {
    const { rep, bans, clock } = setup();
    rep.record('p', 'timeout');
    expect(rep.score('p')).toBeCloseTo(0.5 * 0.9 ** 2, 12);
    rep.record('p', 'timeout');
    expect(rep.score('p')).toBeCloseTo(0.5 * 0.9 ** 6, 12);
    expect(rep.isBanned('p')).toBe(false);
    rep.record('p', 'timeout');
    expect(rep.score('p')).toBeCloseTo(0.5 * 0.9 ** 12, 12);
    expect(rep.isBanned('p')).toBe(true);
    expect(bans).toEqual([{ peer: 'p', until: clock.t + REPUTATION.banBaseMs }]);
  });

  it("'alive' (a probe answered) ends the run without moving the score", () => {
    const { rep } = setup();
    rep.record('p', 'timeout');
    rep.record('p', 'timeout');
    const s = rep.score('p');
    rep.record('p', 'alive');
    expect(rep.score('p')).toBe(s);
    expect(rep.inspect('p')?.timeoutRun).toBe(0);
    expect(rep.inspect('p')?.answered).toBeUndefined();
    rep.record('p', 'timeout'); // a fresh run: weight 2 again
    expect(rep.score('p')).toBeCloseTo(s * 0.9 ** 2, 12);
    expect(rep.isBanned('p')).toBe(false);
  });

  it('calls onSuspect after each timeout that did not ban, with the run so far', () => {
    const clock = { t: 5 };
    const calls: [string, number][] = [];
    const rep = new Reputation({ now: () => clock.t, onSuspect: (p, run) => calls.push([p, run]) });
    rep.record('p', 'timeout');
    rep.record('p', 'timeout');
    rep.record('p', 'timeout'); // bans: no probe for a banned peer
    rep.record('q', 'ok');
    expect(calls).toEqual([
      ['p', 1],
      ['p', 2],
    ]);
    expect(rep.inspect('p')?.firstMs).toBe(5);
  });

  it('a peer that answered before: timeouts in a row weigh 2, 4, 6…; banned after 3 (4 when long trusted)', () => {
    const { rep } = setup();
    rep.record('once', 'ok');
    rep.record('once', 'timeout');
    rep.record('once', 'timeout');
    expect(rep.score('once')).toBeCloseTo(0.55 * 0.9 ** 2 * 0.9 ** 4, 12);
    expect(rep.isBanned('once')).toBe(false);
    rep.record('once', 'timeout');
    expect(rep.isBanned('once')).toBe(true);

    for (let i = 0; i < 40; i++) rep.record('old', 'ok');
    for (let i = 0; i < 3; i++) rep.record('old', 'timeout');
    expect(rep.isBanned('old')).toBe(false);
    rep.record('old', 'timeout');
    expect(rep.isBanned('old')).toBe(true);
  });

  it('an answer resets the run: pairs of timeouts between answers never ban', () => {
    const { rep } = setup();
    rep.record('p', 'ok');
    for (let i = 0; i < 50; i++) {
      rep.record('p', 'timeout');
      rep.record('p', 'timeout');
      for (let j = 0; j < 6; j++) rep.record('p', 'ok');
    }
    expect(rep.isBanned('p')).toBe(false);
    expect(rep.inspect('p')?.timeoutRun).toBe(0);
  });

  it('restores a record without the newer fields (timeoutRun, answered) as a fresh run', () => {
    const { rep } = setup();
    rep.restore([{ peer: 'q', score: 0.6, samples: 3, bannedUntil: 0, strikes: 0, updatedMs: 1 }]);
    rep.record('q', 'timeout');
    expect(rep.inspect('q')?.timeoutRun).toBe(1);
    expect(rep.isBanned('q')).toBe(false);
  });

  it('bans a new peer on its first bad chunk; a long-trusted peer survives one', () => {
    const { rep } = setup();
    rep.record('liar', 'bad-chunk');
    expect(rep.isBanned('liar')).toBe(true);
    for (let i = 0; i < 40; i++) rep.record('old', 'ok');
    rep.record('old', 'bad-chunk');
    expect(rep.isBanned('old')).toBe(false);
    rep.record('old', 'bad-chunk');
    expect(rep.isBanned('old')).toBe(true);
  });

  it('an honest peer with 2% random timeouts is never banned over 100,000 requests (seeded)', () => {
    const { rep } = setup();
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      rep.record('honest', x / 2 ** 32 < 0.02 ? 'timeout' : 'ok');
    }
    expect(rep.isBanned('honest')).toBe(false);
    expect(rep.score('honest')).toBeGreaterThan(0.8);
  });

  it('doubles the back-off on each strike and returns the peer on probation', () => {
    const { rep, bans, clock } = setup();
    rep.record('p', 'bad-chunk');
    clock.t = bans[0]!.until; // ban over
    expect(rep.isBanned('p')).toBe(false);
    expect(rep.score('p')).toBe(REPUTATION.probation);
    rep.record('p', 'bad-chunk');
    expect(bans[1]!.until - clock.t).toBe(2 * REPUTATION.banBaseMs);
    clock.t = bans[1]!.until;
    rep.record('p', 'bad-chunk');
    expect(bans[2]!.until - clock.t).toBe(4 * REPUTATION.banBaseMs);
    expect(rep.inspect('p')?.strikes).toBe(3);
  });

  it('orders best first, drops banned peers, breaks ties with the given random source', () => {
    const { rep } = setup();
    rep.record('good', 'ok');
    rep.record('bad', 'timeout');
    rep.record('banned', 'bad-chunk');
    const o = rep.order(['bad', 'n1', 'banned', 'good', 'n2'], () => 0.5);
    expect(o[0]).toBe('good');
    expect(o.at(-1)).toBe('bad');
    expect(o).not.toContain('banned');
  });
});

describe('ReputationStore backends', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inos-rep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, open] of [
    ['memory', async () => new MemoryReputationStore()],
    ['IndexedDB (fake-indexeddb)', async () => IdbReputationStore.open(`rep-${Math.random()}`)],
    ['file', async () => new FileReputationStore(join(dir, 'sub', 'reputation.json'))],
  ] as const) {
    it(`${name}: saves dirty records and restores bans`, async () => {
      const store = await open();
      const { rep, clock } = setup();
      rep.record('a', 'ok');
      rep.record('b', 'bad-chunk');
      await store.save(rep.takeDirty());
      expect(rep.takeDirty()).toEqual([]);
      const again = new Reputation({ now: () => clock.t });
      again.restore(await store.load());
      expect(again.score('a')).toBeCloseTo(0.55, 12);
      expect(again.isBanned('b')).toBe(true);
    });
  }

  it('file: a corrupt file is an error naming the path; a missing one is empty', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{oops');
    await expect(new FileReputationStore(path).load()).rejects.toThrow(/bad\.json is not JSON/);
    expect(await new FileReputationStore(join(dir, 'none.json')).load()).toEqual([]);
    const ok = new FileReputationStore(join(dir, 'ok.json'));
    await ok.save([{ peer: 'z', score: 0.7, samples: 1, bannedUntil: 0, strikes: 0, updatedMs: 1 }]);
    expect(JSON.parse(readFileSync(join(dir, 'ok.json'), 'utf8')).peers).toHaveLength(1);
  });
});

describe('PeerGuard', () => {
  it('admits a burst then the sustained rate of messages per origin, penalising the excess', () => {
    const { rep, clock } = setup();
    const g = new PeerGuard(() => clock.t, rep, { messagesPerSecond: 1, messageBurst: 5 });
    let admitted = 0;
    for (let i = 0; i < 8; i++) if (g.admitMessage('f')) admitted++;
    expect(admitted).toBe(5);
    expect(rep.score('f')).toBeLessThan(0.5);
    clock.t += 2000;
    expect(g.admitMessage('f')).toBe(true);
    expect(g.admitMessage('other')).toBe(true);
  });

  it('caps concurrent streams per peer and releases slots once', () => {
    const { rep, clock } = setup();
    const g = new PeerGuard(() => clock.t, rep, { concurrentStreams: 2 });
    const r1 = g.admitStream('p');
    const r2 = g.admitStream('p');
    expect(r1 && r2).toBeTruthy();
    expect(g.admitStream('p')).toBeNull();
    r1?.();
    r1?.();
    expect(g.openStreams('p')).toBe(1);
    expect(g.admitStream('p')).not.toBeNull();
  });

  it('a stream flood bans the flooder: 60 streams at once against a burst of 40', () => {
    const { rep, clock } = setup();
    const g = new PeerGuard(() => clock.t, rep, { concurrentStreams: 100 });
    for (let i = 0; i < 60; i++) g.admitStream('f');
    expect(rep.isBanned('f')).toBe(true);
  });

  it('tells observers every decision, and a throwing observer changes none', () => {
    const { rep, clock } = setup();
    const g = new PeerGuard(() => clock.t, rep, { concurrentStreams: 100, streamBurst: 3, messageBurst: 1 });
    const seen: string[] = [];
    const off = g.observe((d) => seen.push(`${d.peer}:${d.what}:${d.admitted}`));
    g.observe(() => {
      throw new Error('observer failed');
    });
    for (let i = 0; i < 4; i++) g.admitStream('s');
    g.admitMessage('m');
    g.admitMessage('m');
    g.admitSolicit('m');
    expect(seen).toEqual([
      's:stream:true',
      's:stream:true',
      's:stream:true',
      's:stream:false',
      'm:message:true',
      'm:message:false',
      'm:solicit:true',
    ]);
    off();
    g.admitStream('s');
    expect(seen).toHaveLength(7);
  });
});
