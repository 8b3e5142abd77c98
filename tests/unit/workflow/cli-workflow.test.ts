/**
 * `inos run workflow` and `inos metrics`, in process and as real processes; crash recovery: the CLI
 * killed with SIGKILL inside a step, then restarted, completes or rolls back per the workflow's
 * policy, and a step that must run once has run exactly once. Seed: SEED=<n> (printed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunCommand } from '../../../src/cli/commands/run.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import type { NodeEngine } from '../../../src/cli/node-engine.ts';
import { CommandRegistry } from '../../../src/cli/registry.ts';
import { metricsCommand } from '../../../src/cli/commands/metrics.ts';
import { openDirChunkStore } from '../../../src/capsules/storage/open-dir-store.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { startWfEngine, WF_CAPSULES } from './_engine.ts';

const SEED = seedFromEnv(0x0c11_2026);
console.log(`[cli-workflow.test] seed ${SEED}`);
const rand = prng(SEED);
const REPO = resolve(import.meta.dirname, '../../..');
let CHILD = '';
let bundles = '';
const text = (n: number) =>
  Uint8Array.from({ length: n }, (_, i) => 97 + ((i >> 4) % 9) + (rand() < 0.1 ? 1 : 0));

let work: string;
let shared: NodeEngine;
let registry: CommandRegistry;
let started = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-wfcli-'));
  // The CLI child and its worker as plain .mjs files, as scripts/build-cli.mjs builds the real CLI.
  // Inside the checkout, so the bundles resolve node_modules (brotli-wasm's .wasm) like the real CLI.
  const out = mkdtempSync(join(REPO, 'node_modules', '.cache-inos-wf-'));
  bundles = out;
  CHILD = join(out, '_cli-child.mjs');
  const bundle = (entry: string, outfile: string) =>
    build({
      entryPoints: [join(import.meta.dirname, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'bundle',
      logLevel: 'warning',
    });
  await Promise.all([bundle('_cli-child.ts', CHILD), bundle('_wf-worker.ts', join(out, '_wf-worker.mjs'))]);
  shared = await startWfEngine(join(work, 'store'));
  registry = new CommandRegistry([
    createRunCommand(() => {
      started++;
      return { engine: shared.engine, ready: (ms) => shared.ready(ms), dispose: async () => {} };
    }, WF_CAPSULES),
    metricsCommand,
  ]);
}, 60_000);

afterAll(async () => {
  await shared?.dispose();
  rmSync(work, { recursive: true, force: true });
  if (bundles) rmSync(bundles, { recursive: true, force: true });
});

const roundTrip = (extra: Record<string, unknown> = {}) => ({
  steps: [
    { name: 'compress', library: 'storage', method: 'compress', params: { quality: 5 } },
    { name: 'put', library: 'storage', method: 'put' },
    {
      name: 'get',
      library: 'storage',
      method: 'get',
      params: { address: '${steps.put.hex}' },
      input: 'none',
    },
    { name: 'decompress', library: 'storage', method: 'decompress' },
  ],
  ...extra,
});

describe('inos run workflow', () => {
  it('runs a definition file on an input file and adds to inos metrics', async () => {
    const input = text(200_000);
    const inFile = join(work, 'in.bin');
    const outFile = join(work, 'out.bin');
    const def = join(work, 'wf.json');
    const metrics = join(work, 'metrics.json');
    writeFileSync(inFile, input);
    writeFileSync(def, JSON.stringify({ workflow: roundTrip() }));
    const io = memoryIo();
    const args = ['run', 'workflow', '--params', `@${def}`, '--in', inFile, '--out', outFile];
    const dirs = ['--store', join(work, 'store'), '--journal', join(work, 'j1'), '--metrics', metrics];
    expect(await main([...args, ...dirs], io, registry)).toBe(0);
    expect(io.stderr()).toMatch(/committed; steps: compress ok, put ok, get ok, decompress ok/);
    expect(Buffer.from(readFileSync(outFile)).equals(Buffer.from(input))).toBe(true);
    expect(readdirSync(join(work, 'j1'))).toEqual([]); // compacted

    const m = memoryIo();
    expect(await main(['metrics', '--metrics', metrics], m, registry)).toBe(0);
    expect(m.stdoutText()).toMatch(/storage\.compress\s+1\s+100\.0/);
    expect(m.stdoutText()).toMatch(/workflows: 1 \(1 committed\), 4 steps/);
    const j = memoryIo();
    await main(['metrics', '--json', '--metrics', metrics], j, registry);
    const snap = JSON.parse(j.stdoutText()) as { summary: { key: string; p95: number }[] };
    expect(snap.summary.map((s) => s.key)).toEqual([
      'storage.compress',
      'storage.decompress',
      'storage.get',
      'storage.put',
    ]);
  });

  it('refuses a bad definition before any thread starts, saying what is wrong', async () => {
    const before = started;
    for (const [def, message] of [
      [
        '{"steps":[{"library":"crypto","method":"sha265"}]}',
        /unknown method "sha265" in library "crypto"; available: .*sha256/,
      ],
      ['{"steps":[{"library":"crypto","method":"sha256","input":"steps.later"}]}', /no step named "later"/],
      ['{"steps": [', /not valid JSON/],
    ] as const) {
      const io = memoryIo();
      expect(await main(['run', 'workflow', '--params', def], io, registry)).toBe(2);
      expect(io.stderr()).toMatch(message);
    }
    const io = memoryIo();
    expect(await main(['run', 'workflow', '--in', 'x'], io, registry)).toBe(2);
    expect(io.stderr()).toMatch(/--params is required/);
    expect(started).toBe(before);
  });
});

/** Every record of the journal's workflow whose output goes to `out` (a torn last line is skipped). */
function journalRecords(dir: string, out: string): Array<Record<string, unknown>> {
  for (const wal of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.wal')) : []) {
    let text = '';
    try {
      text = readFileSync(join(dir, wal), 'utf8');
    } catch {
      continue; // compacted meanwhile
    }
    const records = text.split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    if ((records[0]?.['meta'] as { out?: string } | undefined)?.out === out) return records;
  }
  return [];
}

/** Starts the CLI as a process and waits until the journal shows `step` started; returns its killer. */
async function startUntil(
  args: string[],
  journal: string,
  out: string,
  step: number,
): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [CHILD, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (!journalRecords(journal, out).some((r) => r['type'] === 'start' && r['step'] === step)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the child never reached step ${step}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return async () => {
    child.kill('SIGKILL');
    await exited;
  };
}

describe('crash recovery', () => {
  const crashing = (dir: string, recovery: 'resume' | 'rollback') => ({
    steps: [
      { name: 'compress', library: 'storage', method: 'compress', params: { quality: 5 } },
      { name: 'put', library: 'storage', method: 'put' },
      {
        name: 'note',
        library: 'wftest',
        method: 'append',
        params: { file: join(dir, `${recovery}-effects.txt`), line: 'ran' },
        input: 'none',
      },
      {
        name: 'gate',
        library: 'wftest',
        method: 'waitFor',
        params: { file: join(dir, 'gate') },
        input: 'steps.compress',
      },
      {
        name: 'get',
        library: 'storage',
        method: 'get',
        params: { address: '${steps.put.hex}' },
        input: 'none',
      },
      { name: 'decompress', library: 'storage', method: 'decompress' },
    ],
    onError: 'rollback',
    recovery,
  });

  it('two CLI processes killed with SIGKILL inside a step: one restart resumes one workflow and rolls back the other, nothing doubled', async () => {
    const dir = mkdtempSync(join(work, 'crash-'));
    const journal = join(dir, 'journal');
    const store = join(dir, 'store');
    const common = [
      '--store',
      store,
      '--journal',
      journal,
      '--metrics',
      join(dir, 'm.json'),
      '--workers',
      '1',
    ];
    const input = { resume: text(50_000), rollback: text(40_000) };
    const out = (k: string) => join(dir, `${k}.out`);
    // One after the other: each process holds the chunk store's index in memory (one writer at a time
    // per directory), so the second opens it only after the first has stored its blob. Both are alive
    // (the second's own recovery leaves the first's workflow alone) when both are killed.
    const kills: Array<() => Promise<void>> = [];
    for (const k of ['resume', 'rollback'] as const) {
      writeFileSync(join(dir, `${k}.in`), input[k]);
      writeFileSync(join(dir, `${k}.json`), JSON.stringify(crashing(dir, k)));
      const args = [
        'run',
        'workflow',
        '--params',
        `@${join(dir, `${k}.json`)}`,
        '--in',
        join(dir, `${k}.in`),
      ];
      kills.push(await startUntil([...args, '--out', out(k), ...common], journal, out(k), 3));
    }
    await Promise.all(kills.map((kill) => kill()));
    const address = (k: string) =>
      journalRecords(journal, out(k)).find((r) => r['type'] === 'done' && r['step'] === 1)![
        'output'
      ] as string;
    const addresses = { resume: address('resume'), rollback: address('rollback') };
    for (const k of ['resume', 'rollback']) {
      expect(readFileSync(join(dir, `${k}-effects.txt`), 'utf8')).toBe('ran\n');
      expect(existsSync(out(k))).toBe(false);
    }

    writeFileSync(join(dir, 'gate'), ''); // the step both processes died in can now finish
    const r = spawnSync(process.execPath, [CHILD, 'run', 'workflow', '--recover', ...common], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(r.stderr).toMatch(
      /recovered: .*committed; steps: compress ok, put reused, note reused, gate ok, get ok, decompress ok/,
    );
    // The step it died in (gate, pure) is not run again to roll back: the journal holds every output
    // the compensations need.
    expect(r.stderr).toMatch(
      /recovered: .*rolledBack \(rolled back on recovery: its recovery policy is rollback\); steps: compress ok, put compensated, note compensated, gate not-run/,
    );
    expect(r.status).toBe(0);
    expect(readdirSync(journal)).toEqual([]); // compacted

    const chunks = await openDirChunkStore({ dir: store, quotaBytes: 1 << 30 });
    // Resumed: the output is the input, the once-only step ran once, the blob is stored.
    expect(Buffer.from(readFileSync(out('resume'))).equals(Buffer.from(input.resume))).toBe(true);
    expect(readFileSync(join(dir, 'resume-effects.txt'), 'utf8')).toBe('ran\n');
    expect(await chunks.hasBlob(addresses.resume)).toBe(true);
    // Rolled back: no output, the once-only step undone, the stored blob gone.
    expect(existsSync(out('rollback'))).toBe(false);
    expect(readFileSync(join(dir, 'rollback-effects.txt'), 'utf8')).toBe('');
    expect(await chunks.hasBlob(addresses.rollback)).toBe(false);
  }, 180_000);
});
