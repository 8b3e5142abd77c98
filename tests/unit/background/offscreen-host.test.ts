import { describe, expect, it } from 'vitest';
import { OffscreenManager, type OffscreenHost } from '../../../src/background/offscreen-host';

/** A fake of Chrome's single-document rule: a second create throws as Chrome does. */
interface FakeHost extends OffscreenHost {
  exists: boolean;
  creates: number;
}

function fakeHost(opts: { createError?: Error } = {}): FakeHost {
  const host: FakeHost = {
    exists: false,
    creates: 0,
    async hasDocument() {
      await Promise.resolve();
      return host.exists;
    },
    async createDocument() {
      await Promise.resolve();
      host.creates++;
      if (opts.createError) throw opts.createError;
      if (host.exists) throw new Error('Only a single offscreen document may be created.');
      host.exists = true;
    },
  };
  return host;
}

describe('OffscreenManager', () => {
  it('creates the document when missing and reuses it after', async () => {
    const host = fakeHost();
    const m = new OffscreenManager(host);
    expect(await m.ensure()).toBe('created');
    expect(await m.ensure()).toBe('existing');
    expect(host.creates).toBe(1);
    expect(m.creations).toBe(1);
  });

  it('shares one check-and-create among concurrent callers', async () => {
    const host = fakeHost();
    const m = new OffscreenManager(host);
    const outcomes = await Promise.all([m.ensure(), m.ensure(), m.ensure()]);
    expect(outcomes).toEqual(['created', 'created', 'created']);
    expect(host.creates).toBe(1);
  });

  it('recreates the document after it was closed from outside', async () => {
    const host = fakeHost();
    const m = new OffscreenManager(host);
    await m.ensure();
    host.exists = false;
    expect(await m.ensure()).toBe('created');
    expect(m.creations).toBe(2);
  });

  it('treats losing the creation race to another context as success', async () => {
    const host = fakeHost();
    const m = new OffscreenManager({
      hasDocument: () => host.hasDocument(),
      async createDocument() {
        host.exists = true; // someone else created it between our check and our create
        await host.createDocument();
      },
    });
    expect(await m.ensure()).toBe('existing');
  });

  it('propagates other failures, and tries again on the next call', async () => {
    const err = new Error('Invalid reason');
    const m = new OffscreenManager(fakeHost({ createError: err }));
    await expect(m.ensure()).rejects.toBe(err);
    await expect(m.ensure()).rejects.toBe(err);
  });
});
