import { describe, expect, it } from 'vitest';
import {
  initialLifecycle,
  parseLifecycle,
  phaseOf,
  suspendReason,
  transition,
  type LifecycleEvent,
  type LifecycleState,
} from '../../src/lifecycle';
import { prng, seedFromEnv } from './_prng';

const T0 = 1_700_000_000_000;
const run = (events: LifecycleEvent[], s = initialLifecycle(T0)) =>
  events.reduce((acc, e, i) => transition(acc, e, T0 + i + 1), s);

describe('lifecycle state machine', () => {
  it('starts paused on the first run', () => {
    const s = initialLifecycle(T0);
    expect(phaseOf(s)).toBe('paused');
    expect(s.firstRun).toBe(true);
  });

  it('moves between paused and running on the user toggle', () => {
    const on = run([{ type: 'user-contribute' }]);
    expect(phaseOf(on)).toBe('running');
    expect(on.firstRun).toBe(false);
    expect(on.since).toBe(T0 + 1);
    const off = transition(on, { type: 'user-pause' }, T0 + 5);
    expect(phaseOf(off)).toBe('paused');
    expect(off.epoch).toBe(on.epoch + 1);
    expect(off.since).toBe(T0 + 5);
  });

  it('drains: finishes running work, then pauses', () => {
    const s = run([{ type: 'user-contribute' }, { type: 'user-drain' }]);
    expect(phaseOf(s)).toBe('draining');
    expect(phaseOf(transition(s, { type: 'drained' }, T0 + 9))).toBe('paused');
    // Draining from paused is meaningless and changes nothing.
    const p = run([{ type: 'user-pause' }]);
    expect(transition(p, { type: 'user-drain' }, T0 + 9)).toBe(p);
  });

  it('suspends with a reason while contributing, and resumes when the last reason clears', () => {
    const s = run([{ type: 'user-contribute' }, { type: 'suspend', reason: 'on-battery' }]);
    expect(phaseOf(s)).toBe('suspended');
    expect(suspendReason(s)).toBe('on-battery');
    const both = transition(s, { type: 'suspend', reason: 'host-unavailable' }, T0 + 10);
    expect(suspendReason(both)).toBe('on-battery');
    const one = transition(both, { type: 'unsuspend', reason: 'on-battery' }, T0 + 11);
    expect(suspendReason(one)).toBe('host-unavailable');
    expect(phaseOf(transition(one, { type: 'unsuspend', reason: 'host-unavailable' }, T0 + 12))).toBe(
      'running',
    );
  });

  it('keeps a suspension recorded while paused, so resuming on battery stays suspended', () => {
    const s = run([{ type: 'suspend', reason: 'on-battery' }]);
    expect(phaseOf(s)).toBe('paused');
    expect(phaseOf(transition(s, { type: 'user-contribute' }, T0 + 3))).toBe('suspended');
  });

  it('returns the same object when nothing changes (no write, no epoch bump)', () => {
    const s = run([{ type: 'user-contribute' }]);
    expect(transition(s, { type: 'user-contribute' }, T0 + 7)).toBe(s);
    expect(transition(s, { type: 'unsuspend', reason: 'on-battery' }, T0 + 7)).toBe(s);
  });

  it('holds its invariants over random event sequences', () => {
    const seed = seedFromEnv(0x11fe);
    const rnd = prng(seed);
    const events: LifecycleEvent[] = [
      { type: 'user-contribute' },
      { type: 'user-pause' },
      { type: 'user-drain' },
      { type: 'drained' },
      { type: 'suspend', reason: 'on-battery' },
      { type: 'unsuspend', reason: 'on-battery' },
      { type: 'suspend', reason: 'host-unavailable' },
      { type: 'unsuspend', reason: 'host-unavailable' },
    ];
    for (let c = 0; c < 500; c++) {
      let s: LifecycleState = initialLifecycle(T0);
      for (let i = 0; i < 40; i++) {
        const e = events[Math.floor(rnd() * events.length)]!;
        const next = transition(s, e, T0 + i);
        const ctx = `seed=${seed} case=${c} step=${i} event=${e.type}`;
        expect(next.epoch, ctx).toBeGreaterThanOrEqual(s.epoch);
        expect(new Set(next.suspensions).size, ctx).toBe(next.suspensions.length);
        expect(phaseOf(next) === 'suspended', ctx).toBe(
          next.intent === 'contribute' && next.suspensions.length > 0,
        );
        if (e.type === 'user-pause') expect(phaseOf(next), ctx).toBe('paused');
        // A round trip through storage yields the identical state.
        expect(parseLifecycle(JSON.parse(JSON.stringify(next))), ctx).toEqual(next);
        s = next;
      }
    }
  });

  it('rejects malformed stored state instead of trusting it', () => {
    const good = run([{ type: 'user-contribute' }]);
    for (const bad of [
      null,
      42,
      'running',
      { ...good, intent: 'mine' },
      { ...good, suspensions: ['nope'] },
      { ...good, suspensions: 'on-battery' },
      { ...good, epoch: -1 },
      { ...good, epoch: 1.5 },
      { ...good, since: 'yesterday' },
    ])
      expect(parseLifecycle(bad)).toBeNull();
  });
});
