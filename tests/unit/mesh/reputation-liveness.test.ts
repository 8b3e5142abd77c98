/** Liveness probes settle timeouts: silent-while-connected peers are banned, lossy or gone ones are not. */
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/mesh/protocol/errors.ts';
import { LivenessProbe } from '../../../src/mesh/protocol/liveness.ts';
import { frameBytes, type MeshPort, type PeerIdString } from '../../../src/mesh/protocol/port.ts';
import { Reputation } from '../../../src/mesh/protocol/reputation.ts';
import { prng, seedFromEnv } from '../_prng.ts';

const SEED = seedFromEnv(0x11fe);

/** A port whose requests settle at once by `answer(peer)`: true answers, else that error code. */
function rig(answer: (peer: PeerIdString) => true | 'timeout' | 'unreachable') {
  const asked: PeerIdString[] = [];
  const port: Pick<MeshPort, 'self' | 'request'> = {
    self: 'me',
    request: async (peer) => {
      asked.push(peer);
      const a = answer(peer);
      if (a === true) return new Uint8Array([1]);
      throw new MeshError(a, `${peer}: ${a}`, { peer });
    },
  };
  const hook: { probe?: LivenessProbe } = {};
  const rep = new Reputation({ now: () => 1000, onSuspect: (p) => hook.probe?.suspect(p) });
  const probe = new LivenessProbe(port, rep, prng(SEED));
  hook.probe = probe;
  return { rep, probe, asked };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe(`liveness probes (seed ${SEED})`, () => {
  it('a peer that answers nothing while connected is banned after its first timeout and 2 probes', async () => {
    const { rep, probe, asked } = rig(() => 'timeout');
    rep.record('mute', 'timeout');
    await settle();
    expect(rep.isBanned('mute')).toBe(true);
    expect(asked).toEqual(['mute', 'mute']);
    expect(probe.counters).toMatchObject({ probes: 2, timeouts: 2, alive: 0 });
  });

  it('probes at most maxConcurrent peers at once; one probe per peer', async () => {
    const port: Pick<MeshPort, 'self' | 'request'> = { self: 'me', request: () => new Promise(() => {}) };
    const rep = new Reputation({ now: () => 0 });
    const probe = new LivenessProbe(port, rep, prng(SEED), { maxConcurrent: 2 });
    for (const p of ['a', 'a', 'b', 'c']) probe.suspect(p);
    expect(probe.counters).toMatchObject({ probes: 2, skipped: 1 });
  });

  it('a peer that answers the probe is cleared (run ends, score kept); a gone one is left as it was', async () => {
    const { rep, probe } = rig((p) => (p === 'lossy' ? true : 'unreachable'));
    rep.record('lossy', 'timeout');
    rep.record('gone', 'timeout');
    await settle();
    expect(rep.inspect('lossy')).toMatchObject({ timeoutRun: 0, bannedUntil: 0 });
    expect(rep.score('lossy')).toBeCloseTo(0.5 * 0.9 ** 2, 12);
    expect(rep.inspect('gone')).toMatchObject({ timeoutRun: 1, bannedUntil: 0 });
    expect(probe.counters).toMatchObject({ probes: 2, alive: 1, gone: 1 });
  });

  it('the probe is a have-query for a random hash, never the same one twice', async () => {
    const frames: Uint8Array[] = [];
    const port: Pick<MeshPort, 'self' | 'request'> = {
      self: 'me',
      request: async (_p, _proto, frame) => {
        frames.push(frameBytes(frame));
        return new Uint8Array([1]);
      },
    };
    const rep = new Reputation({ now: () => 0 });
    const probe = new LivenessProbe(port, rep, prng(SEED));
    probe.suspect('a');
    await settle();
    probe.suspect('a');
    await settle();
    expect(frames).toHaveLength(2);
    expect(Buffer.from(frames[0]!).equals(Buffer.from(frames[1]!))).toBe(false);
  });

  it('honest peers at 2% loss per message (each way, probes too): none banned over 20,000 first contacts; every dropper is', async () => {
    const rand = prng(SEED);
    const lost = (): boolean => rand() < 0.02 || rand() < 0.02;
    const { rep } = rig((p) => (p.startsWith('drop') ? 'timeout' : lost() ? 'timeout' : true));
    let honestTimeouts = 0;
    for (let i = 0; i < 20_000; i++) {
      const p = `honest-${i}`;
      if (lost()) {
        honestTimeouts++;
        rep.record(p, 'timeout');
        await settle();
      } else rep.record(p, 'ok');
    }
    for (let i = 0; i < 100; i++) {
      rep.record(`drop-${i}`, 'timeout');
      await settle();
    }
    const bannedHonest = rep.all().filter((r) => r.peer.startsWith('honest') && r.strikes > 0).length;
    const bannedDroppers = rep.all().filter((r) => r.peer.startsWith('drop') && r.strikes > 0).length;
    console.info(
      `[liveness seed ${SEED}] honest first contacts 20000, timed out ${honestTimeouts}, banned ${bannedHonest}; droppers banned ${bannedDroppers}/100`,
    );
    expect(honestTimeouts).toBeGreaterThan(400);
    expect(bannedHonest).toBe(0);
    expect(bannedDroppers).toBe(100);
  });
});
