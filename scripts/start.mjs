#!/usr/bin/env node
// `npm start`: builds the extension (the npm script does that first), launches Chromium with it in a
// fresh profile (headless when there is no display), turns contribution on the way a user would —
// through the popup's toggle — and prints a live status line until Ctrl-C.
//
//   npm start                 run until Ctrl-C
//   npm start -- --paused     launch, but leave contribution off (as a first install does)
//   npm start -- --for 30     stop by itself after 30 s (for scripts)
//   npm start -- --headed     show the browser window (needs a display)
//   npm start -- --no-node    do not start the loopback `inos node` (keep the bootstrap setting as is)
//
// Unless --no-node, it first starts an `inos node` (relay + bootstrap + DHT) on 127.0.0.1 and sets the
// extension's bootstrap list (Settings → Network) to that node's WebSocket address, so the popup's
// Network line shows peers; nothing listens beyond loopback.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { launchWithExtension } from './launch.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const forIdx = args.indexOf('--for');
const runForS = forIdx >= 0 ? Number(args[forIdx + 1]) : Infinity;
if (forIdx >= 0 && !(runForS > 0)) {
  console.error('--for needs a number of seconds, e.g. --for 30');
  process.exit(2);
}

/** Starts `inos node` on loopback; resolves with its multiaddrs (its first stdout line). */
function startNode() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'node', '--listen', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`inos node exited with ${code} before printing its addresses`)),
    );
    lines.once('line', (line) => resolve({ child, addrs: line.split(' '), lines }));
  });
}

const meshNode = flag('--no-node') ? null : await startNode();
let nodeStatus = '';
if (meshNode) {
  console.log(`inos node listening: ${meshNode.addrs.join(' ')}`);
  meshNode.lines.on('line', (l) => (nodeStatus = l.replace(/^\S+ /, '')));
}

const ext = await launchWithExtension({ headless: flag('--headed') ? false : undefined });
const popup = await ext.context.newPage();
await popup.setViewportSize({ width: 340, height: 560 });
await popup.goto(`chrome-extension://${ext.extensionId}/popup.html`);
console.log(`INOS loaded: extension ${ext.extensionId}, profile ${ext.userDataDir}`);

if (meshNode) {
  const ws = meshNode.addrs.find((a) => a.includes('/ws/'));
  const reply = await popup.evaluate(
    (bootstrap) =>
      chrome.runtime.sendMessage({
        inos: 1,
        to: 'background',
        type: 'settings/set',
        req: { mesh: { bootstrap } },
      }),
    [ws],
  );
  if (!reply?.ok) throw new Error(`could not set the bootstrap peer: ${reply?.err?.message ?? 'no reply'}`);
  console.log(`Bootstrap peer set (Settings → Network): ${ws}`);
}

if (!flag('--paused')) {
  const toggle = popup.getByRole('switch', { name: 'Contribute' });
  await toggle.waitFor();
  if ((await toggle.getAttribute('aria-checked')) !== 'true') {
    await toggle.click();
    console.log('Contribution turned on (pass --paused to leave it off).');
  }
}

const ask = (type) =>
  popup.evaluate((t) => chrome.runtime.sendMessage({ inos: 1, to: 'background', type: t }), type);

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log('Stopping: closing Chromium and removing the temporary profile.');
  await ext.close();
  meshNode?.child.kill('SIGTERM');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const started = Date.now();
const tty = process.stdout.isTTY;
let lastLine = '';
while (!stopping) {
  try {
    const reply = await ask('status/get');
    if (!reply?.ok) throw new Error(reply?.err?.message ?? 'no reply');
    const s = reply.res;
    const hb =
      s.host.lastHeartbeatAt === null
        ? 'none'
        : `${((s.now - s.host.lastHeartbeatAt) / 1000).toFixed(1)} s ago`;
    const line =
      `[${new Date().toLocaleTimeString()}] ${s.phase.padEnd(9)} | ${s.text} | workers ${s.host.workersAlive}/${s.host.workers}` +
      ` | last heartbeat ${hb} | balance ${s.balance.credits} credits | ${s.network.text}` +
      (nodeStatus ? ` | node: ${nodeStatus}` : '');
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else if (
      line.replace(/^\[[^\]]*\]/, '') !== lastLine.replace(/^\[[^\]]*\]/, '') ||
      Date.now() % 10_000 < 1_000
    )
      console.log(line);
    lastLine = line;
  } catch (err) {
    if (!stopping) console.error(`\nstatus unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (Date.now() - started >= runForS * 1000) await stop(0);
  await new Promise((r) => setTimeout(r, 1000));
}
