/**
 * The extension on the mesh, in real Chromium, all on loopback: an `inos node` (relay + bootstrap +
 * DHT) runs as a child process; the extension is told to bootstrap from it through the popup's
 * settings; its offscreen node connects, takes a relay reservation and the popup's Network line says
 * so. Closing the offscreen document brings it back with the same PeerId (the wallet key), connected
 * again. A bad bootstrap address gets a clear error and is not saved.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { peerIdFromString } from '@libp2p/peer-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';

let ext: ExtensionUnderTest;
let node: ChildProcess;
let nodeAddrs: string[] = [];
const nodeLines: string[] = [];

/** Starts `inos node` on loopback; resolves with its multiaddrs (its first stdout line). */
async function startInosNode(): Promise<string[]> {
  node = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'node', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  node.stderr?.on('data', (d: Buffer) => process.stderr.write(`[inos node] ${d.toString()}`));
  const lines = createInterface({ input: node.stdout! });
  return new Promise((resolve, reject) => {
    node.once('exit', (code) =>
      reject(new Error(`inos node exited with ${code} before printing its addresses`)),
    );
    lines.on('line', (line) => {
      nodeLines.push(line);
      if (nodeLines.length === 1) resolve(line.split(' '));
    });
  });
}

beforeAll(async () => {
  nodeAddrs = await startInosNode();
  ext = await launchExtension({ testBuild: true });
}, 120_000);

afterAll(async () => {
  await ext?.close();
  node?.kill('SIGTERM');
});

describe('the extension on an inos node over loopback', () => {
  it('bootstraps from the node set in Settings, reports peers and a relay, with PeerId = wallet key', async () => {
    expect(nodeAddrs.every((a) => a.startsWith('/ip4/127.0.0.1/'))).toBe(true);
    const ws = nodeAddrs.find((a) => a.includes('/ws/'))!;
    const popup = await ext.openPopup();
    await popup.getByTestId('open-settings').click();
    const field = popup.getByTestId('bootstrap');
    await field.waitFor();

    // A bad address: a clear error, nothing saved.
    await field.fill('/ip4/127.0.0.1/tcp/4001');
    await field.blur();
    await expect
      .poll(() => popup.getByTestId('settings-error').textContent())
      .toMatch(/must end in \/p2p\/<PeerId>/);
    expect((await ext.ask('settings/get')).mesh.bootstrap).toEqual([]);
    await field.fill('not a multiaddr');
    await field.blur();
    await expect.poll(() => popup.getByTestId('settings-error').textContent()).toMatch(/is not a multiaddr/);

    await field.fill(ws);
    await field.blur();
    await expect.poll(async () => (await ext.ask('settings/get')).mesh.bootstrap).toEqual([ws]);

    await ext.ask('contribute/set', { on: true });
    const status = await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 60_000, what: 'the offscreen node connected with a relay reservation' },
    );
    expect(status.network.text).toMatch(/^Connected to \d+ peers? · relay ok$/);

    // PeerId == the wallet's Ed25519 key.
    const { nodeId } = await ext.ask('earnings/get', { utcOffsetMin: 0 });
    const pid = peerIdFromString(status.network.peerId!);
    expect(Buffer.from(pid.publicKey!.raw).toString('hex')).toBe(nodeId);
    await expect
      .poll(() => popup.getByTestId('peer-id').textContent(), { timeout: 10_000 })
      .toBe(pid.toString());

    // The popup's status card shows it, and the node counts the browser and its reservation.
    const home = await ext.openPopup();
    await expect
      .poll(() => home.getByTestId('network').textContent(), { timeout: 10_000 })
      .toMatch(/Connected to \d+ peers? · relay ok/);
    await waitFor(
      async () => nodeLines.at(-1) ?? '',
      (l) => /peers [1-9]\d* · reservations [1-9]/.test(l),
      { timeoutMs: 15_000, what: 'inos node status line with the browser and its reservation' },
    );
    await home.close();
    await popup.close();
  }, 120_000);

  it('comes back with the same PeerId after its offscreen document is closed, and reconnects', async () => {
    const before = await ext.ask('status/get');
    const peerId = before.network.peerId;
    expect(peerId).toMatch(/^12D3KooW/);
    const sw = await ext.serviceWorker();
    await sw.evaluate(() =>
      (globalThis as unknown as { chrome: PageChrome }).chrome.offscreen.closeDocument(),
    );
    const diag = await ext.ask('diagnostics/get');
    const after = await waitFor(
      () => ext.ask('status/get'),
      (s) => s.network.ok && s.network.peers >= 1 && s.network.text.includes('relay ok'),
      { timeoutMs: 60_000, what: 'the recreated offscreen node reconnected' },
    );
    expect(after.network.peerId).toBe(peerId);
    expect((await ext.ask('diagnostics/get')).offscreenCreations).toBeGreaterThanOrEqual(
      diag.offscreenCreations,
    );
  }, 120_000);
});
