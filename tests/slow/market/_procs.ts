/**
 * Process launching shared by the market's slow tests (tests/slow/market/*.slow.test.ts) and
 * `npm run bench:market-node`: `inos` CLI processes on loopback (`inos node`, `inos contribute`,
 * `inos submit`, `inos run`, `inos wallet`), their output collected, all of them stopped at the end.
 * No test framework here, so the bench may import it (src may not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');
export const INOS = join(ROOT, 'bin/inos.mjs');

export interface Inos {
  proc: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  out: () => string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

/** Starts `inos ARGS` with `env` added to this process's; `echo` streams its stderr here with a prefix. */
export function startInos(args: string[], env: Record<string, string>, echo?: string): Inos {
  const proc = spawn(process.execPath, [INOS, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  let out = '';
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    stderr += d.toString();
    if (echo !== undefined) process.stderr.write(`[${echo}] ${d.toString()}`);
  });
  // 'close', not 'exit': at 'exit' the child's stdout may still hold unread data.
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, out: () => out, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Polls `fn` every 250 ms until it returns a value, or throws after `ms`. */
export async function waitUntil<T>(what: string, fn: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const WS_ADDR = /\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\S+/;

/**
 * `inos node` on loopback (relay + bootstrap) with its home under `dir`; resolves with it and its
 * WebSocket multiaddr once it listens. The first `inos` start may rebuild the CLI bundle.
 */
export async function startRelay(
  dir: string,
  opts: { forSeconds?: number; echo?: string } = {},
): Promise<{ node: Inos; boot: string }> {
  const node = startInos(
    [
      'node',
      '--listen',
      '127.0.0.1:0',
      '--store',
      join(dir, 'node-store'),
      ...(opts.forSeconds ? ['--for', String(opts.forSeconds)] : []),
    ],
    { INOS_HOME: join(dir, 'node') },
    opts.echo,
  );
  const boot = await Promise.race([
    waitUntil('inos node', () => WS_ADDR.exec(node.out())?.[0], 300_000),
    node.exited.then((code) => {
      throw new Error(`inos node exited with ${code} before its addresses:\n${node.out()}`);
    }),
  ]);
  return { node, boot };
}

/** `inos contribute` with its own home (wallet, chunk store); resolves once it says it contributes. */
export async function startContributor(
  home: string,
  boot: string,
  opts: { capsules: string; forSeconds: number; workers?: number; corrupt?: boolean },
): Promise<Inos & { nodeId: string }> {
  const c = startInos(
    [
      'contribute',
      '--bootstrap',
      boot,
      '--capsules',
      opts.capsules,
      '--for',
      String(opts.forSeconds),
      ...(opts.workers ? ['--workers', String(opts.workers)] : []),
      ...(opts.corrupt ? ['--test-corrupt-outputs'] : []),
    ],
    { INOS_HOME: home, INOS_STORE: join(home, 'chunks'), ...(opts.corrupt ? { INOS_TEST_FLAGS: '1' } : {}) },
  );
  const nodeId = await Promise.race([
    waitUntil('a contributor', () => /^contributing ([0-9a-f]{64})/m.exec(c.out())?.[1], 360_000),
    c.exited.then((code) => {
      throw new Error(`inos contribute exited with ${code}:\n${c.out()}`);
    }),
  ]);
  return { ...c, nodeId };
}

/** What `inos run LIB METHOD` gives locally, as hex (the reference every market output must equal). */
export function localRun(
  lib: string,
  method: string,
  params: string,
  input: string | undefined,
  store: string,
): string {
  const r = spawnSync(
    process.execPath,
    [INOS, 'run', lib, method, '--params', params, '--format', 'hex', ...(input ? ['--in', input] : [])],
    { encoding: 'utf8', env: { ...process.env, INOS_STORE: store } },
  );
  if (r.status !== 0) throw new Error(`inos run ${lib} ${method} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface WalletView {
  balance: number;
  peer: number;
  spent: number;
  nodeId: string;
}

/** `inos wallet` of the home `home`, parsed (credits). */
export function walletOf(home: string): WalletView {
  const r = spawnSync(process.execPath, [INOS, 'wallet'], {
    env: { ...process.env, INOS_HOME: home },
    encoding: 'utf8',
  });
  const num = (label: string) => Number(new RegExp(`^${label}\\s+([0-9.]+)`, 'm').exec(r.stdout)?.[1]);
  return {
    balance: num('balance'),
    peer: num('from peers'),
    spent: num('spent'),
    nodeId: /^node id\s+([0-9a-f]{64})/m.exec(r.stdout)?.[1] ?? '',
  };
}

export interface SubmitLine {
  index: number;
  status: string;
  output?: string;
  outputHash?: string;
  paid: Record<string, number>;
  penalised: string[];
}

/**
 * The `--json` lines of an `inos submit`, in input order: complete lines only, so it may be called
 * while the process still writes (an 800 KB line arrives in 64 KiB pieces; parsing the piece read so
 * far threw "Unterminated string in JSON").
 */
export const submitLines = (stdout: string): SubmitLine[] =>
  stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as SubmitLine)
    .sort((a, b) => a.index - b.index);

/** SIGTERM to every process started here that still runs, then SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 500): Promise<void> {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, graceMs));
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

export interface RunSpec {
  lib: string;
  method: string;
  params: string;
  input?: string;
}

/**
 * `inos run` of every spec (`concurrency` processes at once), outputs as hex in spec order. With
 * `opts.timeoutMs`, a run still alive after it is killed and reported with its output (a hung run
 * fails with its cause, not as the caller's bare timeout); `opts.onDone` hears each finished run.
 */
export async function localRuns(
  specs: RunSpec[],
  store: string,
  concurrency = 3,
  opts: { timeoutMs?: number; onDone?: (i: number, ms: number) => void } = {},
): Promise<string[]> {
  const out: string[] = new Array(specs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < specs.length; i = next++) {
      const s = specs[i]!;
      const p = startInos(
        [
          'run',
          s.lib,
          s.method,
          '--params',
          s.params,
          '--format',
          'hex',
          ...(s.input ? ['--in', s.input] : []),
        ],
        { INOS_STORE: store },
      );
      const t0 = Date.now();
      const timer =
        opts.timeoutMs === undefined ? undefined : setTimeout(() => p.proc.kill('SIGKILL'), opts.timeoutMs);
      const code = await p.exited;
      clearTimeout(timer);
      if (code !== 0) {
        const why = code === null ? `killed by ${p.proc.signalCode ?? 'a signal'}` : `exit code ${code}`;
        const late =
          code === null && Date.now() - t0 >= (opts.timeoutMs ?? Infinity) ? ' (past its bound)' : '';
        throw new Error(
          `inos run ${s.lib} ${s.method} ${s.input ?? ''} failed after ${Date.now() - t0} ms, ${why}${late}:\n${p.out()}`,
        );
      }
      out[i] = p.stdout().trim();
      opts.onDone?.(i, Date.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return out;
}
