import { describe, expect, it } from 'vitest';
import { NoReceiverError, RemoteError, sendTo, serve, type Handlers } from '../../../src/messaging';
import { runtimeBus } from './_runtime';
import type { BackgroundDiagnostics, OffscreenDiagnostics } from '../../../src/messaging/protocol';

/** Only the handlers a test needs; the rest answer "unknown message type" like any unhandled one. */
const offscreenHandlers = (h: Partial<Handlers<'offscreen'>>) => h as Handlers<'offscreen'>;

const diag = (instanceId: string): OffscreenDiagnostics => ({
  instanceId,
  crossOriginIsolated: true,
  sharedBufferBytes: 1,
  layoutVersion: 1,
  lifecycleCode: 0,
  workers: [],
  battery: null,
  startedAt: 0,
  helloAt: null,
  firstJobAt: null,
});

describe('typed messaging', () => {
  it('delivers to the addressed context only, even though every page hears every message', async () => {
    const bus = runtimeBus();
    const popup = bus.endpoint();
    const background = bus.endpoint();
    const offscreen = bus.endpoint();
    serve(background, 'background', {
      'diagnostics/get': async () => ({ lifecycle: null }) as unknown as BackgroundDiagnostics,
    } as never);
    serve(
      offscreen,
      'offscreen',
      offscreenHandlers({
        'diagnostics/get': () => diag('offscreen-1'),
        'lifecycle/apply': ({ lifecycle }) => ({ applied: lifecycle.epoch }),
      }),
    );
    const fromOffscreen = await sendTo(popup, 'offscreen', 'diagnostics/get');
    expect(fromOffscreen.instanceId).toBe('offscreen-1');
  });

  it('carries an error across as an envelope and rethrows it with the remote name', async () => {
    const bus = runtimeBus();
    const a = bus.endpoint();
    serve(
      bus.endpoint(),
      'offscreen',
      offscreenHandlers({
        'diagnostics/get': () => {
          throw new RangeError('worker 7 does not exist');
        },
        'lifecycle/apply': () => ({ applied: 0 }),
      }),
    );
    const err = await sendTo(a, 'offscreen', 'diagnostics/get').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).remoteName).toBe('RangeError');
    expect((err as RemoteError).message).toBe('offscreen:diagnostics/get: worker 7 does not exist');
  });

  it('answers an unknown message type with a clear error instead of silence', async () => {
    const bus = runtimeBus();
    const a = bus.endpoint();
    serve(bus.endpoint(), 'offscreen', offscreenHandlers({}));
    await expect(sendTo(a, 'offscreen', 'diagnostics/get')).rejects.toThrow(
      'unknown message type "diagnostics/get" for offscreen',
    );
  });

  it('reports a missing receiver as NoReceiverError', async () => {
    const bus = runtimeBus();
    const a = bus.endpoint();
    await expect(sendTo(a, 'offscreen', 'diagnostics/get')).rejects.toBeInstanceOf(NoReceiverError);
  });

  it('holds requests until the receiver is ready', async () => {
    const bus = runtimeBus();
    const a = bus.endpoint();
    let ready!: () => void;
    const gate = new Promise<void>((r) => (ready = r));
    let handled = false;
    serve(
      bus.endpoint(),
      'offscreen',
      offscreenHandlers({
        'diagnostics/get': () => ((handled = true), diag('x')),
        'lifecycle/apply': () => ({ applied: 0 }),
      }),
      () => gate,
    );
    const pending = sendTo(a, 'offscreen', 'diagnostics/get');
    await new Promise((r) => setTimeout(r, 10));
    expect(handled).toBe(false);
    ready();
    await expect(pending).resolves.toMatchObject({ instanceId: 'x' });
  });

  it('ignores foreign messages (other extensions’ shapes, other targets)', async () => {
    const bus = runtimeBus();
    const a = bus.endpoint();
    serve(
      bus.endpoint(),
      'offscreen',
      offscreenHandlers({
        'diagnostics/get': () => diag('x'),
        'lifecycle/apply': () => ({ applied: 0 }),
      }),
    );
    await expect(a.sendMessage({ hello: 'world' })).rejects.toThrow('Receiving end does not exist');
    await expect(a.sendMessage({ inos: 1, to: 'background', type: 'status/get' })).rejects.toThrow();
  });
});
