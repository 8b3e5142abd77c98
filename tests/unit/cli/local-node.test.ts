/**
 * `inos node` writes $INOS_HOME/node.json; `inos submit` / `inos contribute` without --bootstrap join
 * that node, and say how to start one when none runs (no file, or the file of a node that died).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targetToCompact } from '../../../src/capsules/pow/target.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { localNodeFile, readLocalNode } from '../../../src/cli/local-node.ts';
import { main } from '../../../src/cli/main.ts';
import { WalletFile } from '../../../src/cli/wallet-file.ts';

const ROOT = join(import.meta.dirname, '../../..');
const EASY = targetToCompact(2n ** 256n / 2n ** 12n - 1n);
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

async function withHome<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const saved = { home: process.env['INOS_HOME'], boot: process.env['INOS_BOOTSTRAP'] };
  process.env['INOS_HOME'] = home;
  delete process.env['INOS_BOOTSTRAP'];
  try {
    return await fn();
  } finally {
    if (saved.home === undefined) delete process.env['INOS_HOME'];
    else process.env['INOS_HOME'] = saved.home;
    if (saved.boot !== undefined) process.env['INOS_BOOTSTRAP'] = saved.boot;
  }
}

describe('the local inos node ($INOS_HOME/node.json)', () => {
  it('with none running, submit and contribute say how to start one (exit 2)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inos-local-'));
    await withHome(home, async () => {
      for (const args of [['submit', 'crypto', 'sha256'], ['contribute']]) {
        const io = memoryIo();
        expect(await main(args, io)).toBe(2);
        expect(io.stderr()).toMatch(/no local inos node: start one with `inos node` or pass --bootstrap/);
      }
      // A file left by a node that is gone (pid not running) is no node.
      writeFileSync(
        localNodeFile({ INOS_HOME: home }),
        JSON.stringify({ pid: 2 ** 22 + 12345, addrs: ['/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWx'] }),
      );
      expect(readLocalNode({ INOS_HOME: home })).toBeNull();
      const io = memoryIo();
      expect(await main(['submit', 'crypto', 'sha256'], io)).toBe(2);
      expect(io.stderr()).toMatch(/no local inos node/);
    });
  });

  it('`inos node` writes it, submit without --bootstrap joins that node, and it is removed on exit', async () => {
    const home = mkdtempSync(join(tmpdir(), 'inos-local-'));
    const node = spawn(process.execPath, [join(ROOT, 'bin/inos.mjs'), 'node', '--for', '120'], {
      env: { ...process.env, INOS_HOME: home },
    });
    procs.push(node);
    let out = '';
    node.stdout.on('data', (d: Buffer) => (out += d.toString()));
    node.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 90_000;
    while (readLocalNode({ INOS_HOME: home }) === null) {
      if (Date.now() > until || node.exitCode !== null) throw new Error(`inos node did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const info = readLocalNode({ INOS_HOME: home })!;
    expect(info.pid).toBe(node.pid);
    expect(info.addrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3/);
    expect(out.split('\n')[0]).toContain(info.addrs[0]);

    await withHome(home, async () => {
      // A wallet that can afford one run, so submit gets as far as joining the mesh.
      const file = await WalletFile.open();
      await file.wallet.mint(1, undefined, undefined, EASY);
      await file.save();
      const io = memoryIo();
      const code = await main(
        ['submit', 'crypto', 'sha256', '--budget', '1', '--redundancy', '1', '--wait', '1'],
        io,
      );
      // It joined the local node (1 peer connected) and found no contributor there.
      expect(io.stderr()).toMatch(/no contributor offers crypto\.sha256; 0 peers have it \(1 connected/);
      expect(code).toBe(1);
    });
    node.kill('SIGTERM');
    await new Promise((r) => node.once('exit', r));
    expect(existsSync(localNodeFile({ INOS_HOME: home }))).toBe(false);
  }, 150_000);
});
