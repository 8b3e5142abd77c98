/**
 * Workflows on the real engine (worker threads sharing one SharedArrayBuffer, the CLI's engine, a
 * chunk store in a temp directory): the design's examples, references and conditions, parallel
 * groups, retry, rollback, the shared budget, measured copies and the journal's write-ahead order.
 * Seed: SEED=<n> (printed).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../src/capsules/crypto/hex.ts';
import { CapsuleRegistry } from '../../../src/engine/registry.ts';
import type { NodeEngine } from '../../../src/cli/node-engine.ts';
import { FileJournal } from '../../../src/workflow/file-journal.ts';
import {
  decodeWorkflow,
  encodeWorkflow,
  Metrics,
  Orchestrator,
  parseWorkflowJson,
  workflowFromJson,
  WorkflowDefinitionError,
  type Journal,
  type JournalRecord,
  type WorkflowEngine,
} from '../../../src/workflow/index.ts';
import { prng, seedFromEnv } from '../_prng.ts';
import { startWfEngine, WF_CAPSULES } from './_engine.ts';

const SEED = seedFromEnv(0x3f10_2026);
console.log(`[workflow.test] seed ${SEED}`);
const rand = prng(SEED);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
/** Compressible: runs of random bytes. */
const text = (n: number) =>
  Uint8Array.from({ length: n }, (_, i) => 97 + ((i >> 5) % 7) + (rand() < 0.05 ? 1 : 0));

let work: string;
let e: NodeEngine;
let registry: CapsuleRegistry;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'inos-wf-'));
  e = await startWfEngine(join(work, 'store'));
  registry = new CapsuleRegistry(WF_CAPSULES);
}, 60_000);

afterAll(async () => {
  await e?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const orch = (extra: { journal?: Journal; metrics?: Metrics; engine?: WorkflowEngine } = {}) =>
  new Orchestrator(extra.engine ?? e.engine, registry, { ...extra, sleep: async () => {} });

const KEY = bytesToHex(bytes(32));
const NONCE = bytesToHex(bytes(12));

const roundTrip = {
  workflow: {
    name: 'store round trip',
    steps: [
      { name: 'compress', library: 'storage', method: 'compress', params: { quality: 5 } },
      {
        name: 'encrypt',
        library: 'crypto',
        method: 'chacha20poly1305_encrypt',
        params: { key: '${vars.key}', nonce: '${vars.nonce}' },
      },
      { name: 'put', library: 'storage', method: 'put' },
      {
        name: 'get',
        library: 'storage',
        method: 'get',
        params: { address: '${steps.put.hex}' },
        input: 'none',
      },
      {
        name: 'decrypt',
        library: 'crypto',
        method: 'chacha20poly1305_decrypt',
        params: { key: '${vars.key}', nonce: '${vars.nonce}' },
      },
      { name: 'decompress', library: 'storage', method: 'decompress' },
    ],
    onError: 'rollback',
    vars: { key: KEY, nonce: NONCE },
  },
};

/** Asks the store directly (a job of its own), outside any workflow. */
async function stored(address: string): Promise<boolean> {
  const o = await e.engine.submit({ library: 'storage', method: 'has', params: JSON.stringify({ address }) });
  expect(o.status).toBe('ok');
  return o.output[0] === 1;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

describe("the design's examples", () => {
  it('compress → encrypt → put → get → decrypt → decompress returns the input', async () => {
    const input = text(300_000);
    const metrics = new Metrics();
    const r = await orch({ metrics }).run(parseWorkflowJson(JSON.stringify(roundTrip)), { input });
    expect(r.error).toBe('');
    expect(r.status).toBe('committed');
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(Buffer.from(r.output).equals(Buffer.from(input))).toBe(true);
    expect(r.costUsed).toBeLessThanOrEqual(r.budget);
    // Engine-measured copies: the input in, the output out, and each capsule that returns a fresh array
    // (brotli, AEAD decrypt of a fresh buffer) copied once into its block by the worker. No step's
    // output is copied to become the next step's input.
    const perStep = r.steps.map((s) => `${s.name} ${s.bytesCopied}`).join(', ');
    console.log(`[workflow.test] round trip of ${input.length} B: ${r.bytesCopied} B copied (${perStep})`);
    const handedOn = r.steps.slice(0, -1).reduce((n, s) => n + s.bytesCopied, 0);
    expect(r.steps.find((s) => s.name === 'put')!.bytesCopied).toBe(32);
    expect(handedOn).toBeLessThan(4 * input.length);
    expect(metrics.summary().map((m) => m.key)).toContain('crypto.chacha20poly1305_encrypt');
  });

  it('a conditional step is skipped when its condition is false and taken when it is true', async () => {
    const wf = workflowFromJson({
      steps: [
        {
          name: 'maybeCompress',
          library: 'storage',
          method: 'compress',
          conditional: { field: 'previous.length', operator: '>', value: 4096 },
        },
        { name: 'hash', library: 'crypto', method: 'sha256' },
      ],
    });
    const small = text(1000);
    const skipped = await orch().run(wf, { input: small });
    expect(skipped.status).toBe('committed');
    expect(skipped.steps[0]!.status).toBe('skipped');
    const direct = await e.engine.submit({ library: 'crypto', method: 'sha256', input: small });
    expect(bytesToHex(skipped.output)).toBe(bytesToHex(direct.output)); // the input passed through

    const big = text(100_000);
    const taken = await orch().run(wf, { input: big });
    expect(taken.steps.map((s) => s.status)).toEqual(['ok', 'ok']);
    const c = await e.engine.submit({ library: 'storage', method: 'compress', input: big });
    const h = await e.engine.submit({ library: 'crypto', method: 'sha256', input: c.output });
    expect(bytesToHex(taken.output)).toBe(bytesToHex(h.output));
  });

  it('conditions read JSON fields of an earlier output', async () => {
    const wf = (limit: number) =>
      workflowFromJson({
        steps: [
          {
            name: 'energy',
            library: 'wftest',
            method: 'emit',
            params: { value: { final_energy: -60000 } },
            input: 'none',
          },
          {
            name: 'equilibrate',
            library: 'wftest',
            method: 'emit',
            params: { value: { from: '${steps.energy.final_energy}' } },
            conditional: { field: 'previous.final_energy', operator: '<', value: limit },
          },
        ],
      });
    const taken = await orch().run(wf(-50000));
    expect(new TextDecoder().decode(taken.output)).toBe('{"from":-60000}');
    const skipped = await orch().run(wf(-70000));
    expect(skipped.steps[1]!.status).toBe('skipped');
    expect(new TextDecoder().decode(skipped.output)).toBe('{"final_energy":-60000}');
  });

  it('image resize ∥ grayscale → sha256', async () => {
    // The design's example, on a 4×4 RGB PNG made here (stored zlib blocks: no encoder involved).
    const png = tinyPng(4, 4, bytes(48));
    const ie = await startWfEngine(join(work, 'store-image'), 2, ['image']);
    try {
      const r = await orch({ engine: ie.engine }).run(
        workflowFromJson({
          steps: [
            {
              name: 'resize',
              library: 'image',
              method: 'resize',
              params: { width: 2, height: 2 },
              parallel: {},
            },
            { name: 'grayscale', library: 'image', method: 'grayscale', params: {}, parallel: {} },
            { name: 'hash', library: 'crypto', method: 'sha256', input: 'steps.grayscale' },
          ],
        }),
        { input: png },
      );
      expect(r.error).toBe('');
      expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
      expect(r.output.length).toBe(32);
    } finally {
      await ie.dispose();
    }
  });
});

describe('parallel groups', () => {
  it('run their steps concurrently on the pool (one step waits for a file the other creates)', async () => {
    const flag = join(work, `flag-${Math.floor(rand() * 1e9)}`);
    const r = await orch().run(
      workflowFromJson({
        steps: [
          { name: 'wait', library: 'wftest', method: 'waitFor', params: { file: flag }, parallel: {} },
          { name: 'make', library: 'wftest', method: 'touch', params: { file: flag }, parallel: {} },
          { name: 'hash', library: 'crypto', method: 'sha256', input: 'steps.wait' },
        ],
      }),
      { input: text(5000) },
    );
    expect(r.error).toBe('');
    expect(r.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('zero copy between steps', () => {
  it('a chain of in-place steps over an arena input copies 0 bytes; plain bytes in and out copy 2 × size', async () => {
    const size = 1 << 20;
    const wf = workflowFromJson({
      steps: Array.from({ length: 5 }, (_, i) => ({
        name: `s${i}`,
        library: 'wftest',
        method: 'work',
        params: { ms: 0 },
      })),
    });
    const data = bytes(size);
    const block = e.engine.allocInput(size);
    block.view.set(data);
    let seen = '';
    const zero = await orch().run(wf, {
      input: block,
      sink: (v) => void (seen = bytesToHex(v.subarray(0, 64))),
    });
    e.engine.release(block);
    expect(zero.status).toBe('committed');
    expect(seen).toBe(bytesToHex(data.subarray(0, 64)));
    expect(zero.bytesCopied).toBe(0);
    const copying = await orch().run(wf, { input: data });
    expect(copying.bytesCopied).toBe(2 * size);
    expect(Buffer.from(copying.output).equals(Buffer.from(data))).toBe(true);
  });
});

describe('errors', () => {
  it('retry: a step that fails twice succeeds on its third attempt', async () => {
    const counter = join(work, `count-${Math.floor(rand() * 1e9)}`);
    const r = await orch().run(
      workflowFromJson({
        steps: [{ name: 'flaky', library: 'wftest', method: 'flaky', params: { counter, failures: 2 } }],
        onError: 'retry',
        retry: { attempts: 3, backoffMs: 1 },
      }),
      { input: text(100) },
    );
    expect(r.status).toBe('committed');
    expect(r.steps[0]!.attempts).toBe(3);
    const gaveUp = await orch().run(
      workflowFromJson({
        steps: [
          {
            name: 'flaky',
            library: 'wftest',
            method: 'flaky',
            params: { counter: `${counter}b`, failures: 9 },
          },
        ],
        onError: 'retry',
        retry: { attempts: 2, backoffMs: 1 },
      }),
    );
    expect(gaveUp.status).toBe('aborted');
    expect(gaveUp.steps[0]!.attempts).toBe(3);
    expect(gaveUp.error).toMatch(/flaky failure 3 of 9/);
  });

  it('skip: a failed step passes its input through and the workflow goes on', async () => {
    const r = await orch().run(
      workflowFromJson({
        steps: [
          {
            name: 'broken',
            library: 'wftest',
            method: 'flaky',
            params: { counter: join(work, 'never'), failures: 99 },
          },
          { name: 'hash', library: 'crypto', method: 'sha256' },
        ],
        onError: 'skip',
      }),
      { input: text(10) },
    );
    expect(r.status).toBe('committed');
    expect(r.steps.map((s) => s.status)).toEqual(['skipped', 'ok']);
  });

  it('rollback: a failing third step undoes the first two (the stored chunks are gone)', async () => {
    const store = join(work, 'store');
    const before = files(store).length;
    const input = bytes(20_000);
    const records: JournalRecord[] = [];
    const journal = recording(records);
    const r = await orch({ journal }).run(
      workflowFromJson({
        steps: [
          { name: 'put1', library: 'storage', method: 'put' },
          { name: 'put2', library: 'storage', method: 'put', input: 'steps.put1' },
          {
            name: 'boom',
            library: 'wftest',
            method: 'flaky',
            params: { counter: join(work, 'x'), failures: 99 },
          },
        ],
        onError: 'rollback',
      }),
      { input },
    );
    expect(r.status).toBe('rolledBack');
    expect(r.steps.map((s) => s.status)).toEqual(['compensated', 'compensated', 'failed']);
    const done = records.filter((x) => x.type === 'done');
    const addresses = done.map((d) => (d as { output?: string }).output!);
    expect(addresses).toHaveLength(2);
    for (const a of addresses) expect(await stored(a)).toBe(false);
    expect(files(store).length).toBe(before);
    // Undone in reverse order.
    expect(records.filter((x) => x.type === 'comp-done').map((x) => (x as { step: number }).step)).toEqual([
      1, 0,
    ]);
  });

  it('the shared budget is never overspent, whatever it is', async () => {
    for (const budget of [1, 5, 17, 40, 90]) {
      const r = await orch().run(
        workflowFromJson({
          steps: [
            { name: 'a', library: 'wftest', method: 'work', params: { ms: 15 } },
            { name: 'b', library: 'wftest', method: 'work', params: { ms: 15 }, parallel: {} },
            { name: 'c', library: 'wftest', method: 'work', params: { ms: 15 }, parallel: {} },
            { name: 'd', library: 'wftest', method: 'work', params: { ms: 15 } },
          ],
          budget,
          onError: 'retry',
          retry: { attempts: 2, backoffMs: 0 },
        }),
        { input: text(1000) },
      );
      expect(r.costUsed).toBeLessThanOrEqual(budget);
      expect(r.steps.reduce((n, s) => n + s.costUsed, 0)).toBe(r.costUsed);
      if (budget < 20) expect(r.status).toBe('aborted');
    }
  });
});

describe('validation before anything runs', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    [
      'an unknown library',
      { steps: [{ library: 'nope', method: 'x' }] },
      /unknown library "nope"; available: .*crypto/,
    ],
    [
      'an unknown method',
      { steps: [{ library: 'crypto', method: 'md5' }] },
      /unknown method "md5" in library "crypto"; available: .*sha256/,
    ],
    [
      'a reference to a later step',
      {
        steps: [
          { name: 'a', library: 'crypto', method: 'sha256', input: 'steps.b' },
          { name: 'b', library: 'crypto', method: 'sha256' },
        ],
      },
      /refers to b, which comes after it/,
    ],
    [
      'a cycle',
      {
        steps: [
          { name: 'a', library: 'wftest', method: 'emit', params: { value: '${steps.b.x}' } },
          { name: 'b', library: 'wftest', method: 'emit', params: { value: '${steps.a.x}' } },
        ],
      },
      /cycle a → b → a/,
    ],
    [
      'a step reading itself',
      { steps: [{ name: 'a', library: 'crypto', method: 'sha256', input: 'steps.a' }] },
      /its own output \(a cycle\)/,
    ],
    [
      'a reference inside its parallel group',
      {
        steps: [
          { name: 'a', library: 'crypto', method: 'sha256', parallel: {} },
          { name: 'b', library: 'crypto', method: 'sha256', parallel: {}, input: 'steps.a' },
        ],
      },
      /runs in parallel with it/,
    ],
    [
      'a missing var',
      { steps: [{ library: 'wftest', method: 'emit', params: { value: '${vars.k}' } }] },
      /vars do not define/,
    ],
    [
      'bad params',
      { steps: [{ library: 'storage', method: 'compress', params: { quality: 99 } }] },
      /quality must be an integer 0-11/,
    ],
    [
      'an unknown policy',
      { steps: [{ library: 'crypto', method: 'sha256' }], onError: 'pray' },
      /onError must be one of abort, skip, retry, rollback/,
    ],
    [
      'a malformed reference',
      { steps: [{ library: 'wftest', method: 'emit', params: { value: '${previous}' } }] },
      /names no field/,
    ],
    ['no steps', { steps: [] }, /at least one step/],
  ];
  for (const [what, def, message] of bad)
    it(`refuses ${what} with a message, and runs nothing`, async () => {
      const metrics = new Metrics();
      const records: JournalRecord[] = [];
      let err: unknown;
      try {
        await orch({ metrics, journal: recording(records) }).run(workflowFromJson(def));
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(WorkflowDefinitionError);
      expect((err as Error).message).toMatch(message);
      expect(records).toHaveLength(0);
      expect(metrics.summary()).toHaveLength(0);
    });
});

describe('forms and journal', () => {
  it('the Cap’n Proto form round-trips the JSON form', () => {
    const wf = parseWorkflowJson(JSON.stringify(roundTrip));
    const frame = encodeWorkflow(wf);
    expect(decodeWorkflow(frame)).toEqual(wf);
    expect(() => decodeWorkflow(frame.subarray(0, 20))).toThrow(WorkflowDefinitionError);
  });

  it('writes each transition ahead of its effect and compacts after commit', async () => {
    const dir = join(work, 'journal');
    mkdirSync(dir, { recursive: true });
    const file = new FileJournal(dir);
    const order: string[] = [];
    const journal: Journal = {
      append: async (r) => {
        await file.append(r);
        order.push(r.type === 'start' ? `start:${r.step}` : r.type === 'done' ? `done:${r.step}` : r.type);
      },
      unfinished: () => file.unfinished(),
      compact: async (wf) => {
        order.push(`compact:${readFileSync(join(dir, `${wf}.wal`), 'utf8').split('\n').length - 1}`);
        await file.compact(wf);
      },
      close: () => file.close(),
    };
    const engine: WorkflowEngine = {
      submit: (sub) => {
        order.push(`submit:${sub.method}`);
        return e.engine.submit(sub);
      },
      release: (b) => e.engine.release(b),
      allocInput: (n) => e.engine.allocInput(n),
    };
    const r = await orch({ journal, engine }).run(
      workflowFromJson({
        steps: [
          { library: 'crypto', method: 'sha256' },
          { library: 'crypto', method: 'blake3' },
        ],
      }),
      { input: text(10) },
    );
    expect(r.status).toBe('committed');
    expect(order).toEqual([
      'begin',
      'start:0',
      'submit:sha256',
      'done:0',
      'start:1',
      'submit:blake3',
      'done:1',
      'end',
      'compact:6',
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** A journal that keeps records in memory (the orchestrator's transitions, in order). */
function recording(records: JournalRecord[]): Journal {
  return {
    append: async (r) => void records.push(r),
    unfinished: async () => [],
    compact: async () => {},
    close: async () => {},
  };
}

/** A minimal 8-bit RGB PNG: IHDR, one IDAT of filter-0 rows (zlib), IEND. */
function tinyPng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++)
    rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(
    Buffer.concat([
      sig,
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(rows)),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}
