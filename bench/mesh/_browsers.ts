/**
 * The browser benches' setup: an `inos node` on loopback (its own INOS_HOME in a temporary folder)
 * and `count` Chromium profiles with the test build, each bootstrapping from its WebSocket address,
 * contributing, and connected ("relay ok"). `close()` closes the browsers, stops the node and removes
 * the folder; call it in a `finally`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { launchExtension, waitFor, type ExtensionUnderTest } from '../../tests/e2e/_extension.ts';

export interface BenchBrowsers {
  /** The node's WebSocket multiaddr (with /p2p/…). */
  relay: string;
  browsers: ExtensionUnderTest[];
  /** Each browser's PeerId, in order. */
  ids: string[];
  close(): Promise<void>;
}

export async function startRelayAndBrowsers(count: number, name: string): Promise<BenchBrowsers> {
  const home = mkdtempSync(join(tmpdir(), `inos-bench-${name}-`));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'node', '--listen', '127.0.0.1:0', '--store', join(home, 'store')],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, INOS_HOME: home } },
  );
  const browsers: ExtensionUnderTest[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(browsers.map((x) => x.close().catch(() => undefined)));
    child.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const addrs = await new Promise<string[]>((resolve, reject) => {
      child.once('exit', (c) => reject(new Error(`inos node exited with ${c}`)));
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(l.split(' ')));
    });
    const relay = addrs.find((a) => a.includes('/ws/'))!;
    for (let i = 0; i < count; i++) {
      const ext = await launchExtension({ testBuild: true });
      browsers.push(ext);
      const s = await ext.ask('settings/get');
      await ext.ask('settings/set', { mesh: { ...s.mesh, bootstrap: [relay] } });
      await ext.ask('contribute/set', { on: true });
    }
    const ids: string[] = [];
    for (const ext of browsers) {
      const s = await waitFor(
        () => ext.ask('status/get'),
        (x) => x.network.ok && x.network.text.includes('relay ok'),
        { timeoutMs: 120_000, what: 'browser connected' },
      );
      ids.push(s.network.peerId!);
    }
    return { relay, browsers, ids, close };
  } catch (err) {
    await close();
    throw err;
  }
}
