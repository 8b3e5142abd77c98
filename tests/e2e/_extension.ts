import { readdirSync, readFileSync } from 'node:fs';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { launchWithExtension, TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import type { BackgroundProtocol, OffscreenProtocol } from '../../src/messaging/protocol';
import type { PageChrome } from './_page-globals';

type Req<K extends keyof BackgroundProtocol> = BackgroundProtocol[K]['req'];
type Res<K extends keyof BackgroundProtocol> = BackgroundProtocol[K]['res'];

/** The built extension in a real Chromium, with the handles the end-to-end tests need. */
export interface ExtensionUnderTest {
  context: BrowserContext;
  extensionId: string;
  userDataDir: string;
  /** Opens popup.html in a tab (as a person would see it, at the popup's width). */
  openPopup(): Promise<Page>;
  /** Sends a typed message to the background from an extension page, through the real runtime. */
  ask<K extends keyof BackgroundProtocol>(type: K, req?: Req<K>): Promise<Res<K>>;
  /** Sends a typed message to the offscreen document (test builds use this for test/set-power). */
  askOffscreen<K extends keyof OffscreenProtocol>(
    type: K,
    req?: OffscreenProtocol[K]['req'],
  ): Promise<OffscreenProtocol[K]['res']>;
  /** The live service worker (a new one after a stop). */
  serviceWorker(): Promise<Worker>;
  /** Stops every service worker as Chrome does after 30 s idle (CDP ServiceWorker.stopAllWorkers). */
  stopServiceWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function launchExtension(
  opts: {
    userDataDir?: string;
    testBuild?: boolean;
    /**
     * "Pause while the computer is busy" threshold. Off (0) unless a test asks: the test runner, builds
     * and other suites share this machine, and their load would otherwise (correctly) suspend the
     * extension in tests that measure something else.
     */
    busyThresholdPercent?: number;
  } = {},
): Promise<ExtensionUnderTest> {
  const launched = await launchWithExtension({
    headless: true,
    ...(opts.userDataDir ? { userDataDir: opts.userDataDir } : {}),
    ...(opts.testBuild ? { extensionDir: TEST_EXTENSION_DIR } : {}),
  });
  const { context, extensionId } = launched;
  let probe: Page | null = null;
  const probePage = async () => {
    if (!probe || probe.isClosed()) {
      probe = await context.newPage();
      await probe.goto(`chrome-extension://${extensionId}/popup.html`);
    }
    return probe;
  };
  const send = async (to: 'background' | 'offscreen', type: string, req: unknown): Promise<unknown> => {
    const page = await probePage();
    const reply = (await page.evaluate(
      ([t, r, target]) =>
        (globalThis as unknown as { chrome: PageChrome }).chrome.runtime.sendMessage({
          inos: 1,
          to: target,
          type: t,
          req: r,
        }),
      [type, req, to] as const,
    )) as { ok: boolean; res?: unknown; err?: { message: string } };
    if (!reply?.ok) throw new Error(`${to}:${type} failed: ${reply?.err?.message ?? 'no reply'}`);
    return reply.res;
  };
  const self: ExtensionUnderTest = {
    context,
    extensionId,
    userDataDir: launched.userDataDir,
    async openPopup() {
      const page = await context.newPage();
      await page.setViewportSize({ width: 340, height: 560 });
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      return page;
    },
    ask: (type, req) => send('background', type, req) as never,
    askOffscreen: (type, req) => send('offscreen', type, req) as never,
    async serviceWorker() {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const workers = context
          .serviceWorkers()
          .filter((w) => w.url().startsWith(`chrome-extension://${extensionId}/`));
        const live = workers.at(-1);
        if (live) {
          try {
            await live.evaluate(() => 1);
            return live;
          } catch {
            // a stopped worker: wait for the restarted one
          }
        }
        if (Date.now() > deadline) throw new Error('no live service worker');
        await self.ask('status/get'); // wakes the worker
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stopServiceWorker() {
      const page = await probePage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
    },
    close: () => launched.close(),
  };
  await self.ask('settings/set', {
    busy: { thresholdPercent: opts.busyThresholdPercent ?? 0, resumeAfterSec: 15 },
  });
  return self;
}

/** Polls `probe` until `ok` holds; returns the last value. Fails with the last value in the message. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  { timeoutMs = 15_000, everyMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}; last error: ${String(lastErr)}`,
  );
}

/**
 * Launches `count` profiles of the test build, each bootstrapping from `bootstrap` and contributing;
 * each is pushed to `into` as soon as it runs, so an afterAll closes it even if a later launch fails.
 */
export async function launchMeshBrowsers(
  count: number,
  bootstrap: string,
  into: ExtensionUnderTest[],
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const ext = await launchExtension({ testBuild: true });
    into.push(ext);
    const settings = await ext.ask('settings/get');
    await ext.ask('settings/set', { mesh: { ...settings.mesh, bootstrap: [bootstrap] } });
    await ext.ask('contribute/set', { on: true });
  }
}

/**
 * The pids of the Chromium whose profile is `userDataDir`: its browser process and every descendant
 * (renderers, GPU, utility), read from /proc. Processes that end while we look are skipped.
 */
export function browserProcessTree(userDataDir: string): Set<number> {
  const parent = new Map<number, number>();
  let root = -1;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(`--user-data-dir=${userDataDir}`) && !cmd.includes('--type=')) root = pid;
    } catch {
      // the process ended while we looked
    }
  }
  if (root < 0) throw new Error(`no browser process with --user-data-dir=${userDataDir}`);
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  return tree;
}
