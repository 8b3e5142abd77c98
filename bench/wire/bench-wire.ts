/**
 * Encode+decode cost of a typical JobRequest: our Cap'n Proto codec vs JSON.stringify/parse of the
 * same content, with capnp-es's generated classes as a third reference.
 * Run: npx tsx bench/wire/bench-wire.ts [--out <file>]  -> prints tables, writes bench/results/wire.json.
 *
 * Two JSON rows, because JSON cannot carry bigint or bytes: "JSON (plain)" times stringify+parse of
 * an already JSON-shaped object (a lower bound); "JSON (typed)" also converts bigint <-> string and
 * bytes <-> base64, so it starts and ends with the same JobRequestData as our codec.
 * Two workloads: 256 input bytes inline in the frame, and an ArenaRef (input stays in the SAB).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Message } from 'capnp-es';
import { JobRequest } from '../../schemas/gen/capsule.ts';
import { decodeJobRequest, encodeJobRequest, type JobRequestData } from '../../src/wire/index.ts';

const ROUNDS = 21;
const TARGET_MS_PER_ROUND = 40;

const BASE: Omit<JobRequestData, 'input'> = {
  id: '7f1c2e9a-3b4d-4c5e-8f60-718293a4b5c6',
  library: 'hash',
  method: 'sha256',
  params: JSON.stringify({
    rounds: 2,
    encoding: 'hex',
    note: 'héllo 世界 🚀',
    chunk: 65536,
    salt: 'a1b2c3d4e5f60718',
  }),
  budget: 1_500_000n,
  deadlineMs: 1_735_689_600_000n,
};
const WORKLOADS: Array<{ name: string; request: JobRequestData }> = [
  {
    name: 'inline input, 256 B',
    request: {
      ...BASE,
      input: { kind: 'inline', bytes: new Uint8Array(256).map((_, i) => (i * 37) & 0xff) },
    },
  },
  {
    name: 'arena input (ArenaRef)',
    request: { ...BASE, input: { kind: 'arena', offset: 1_048_576n, length: 262_144n } },
  },
];

interface JsonShape {
  id: string;
  library: string;
  method: string;
  params: string;
  budget: string;
  deadlineMs: string;
  input: { inline: string } | { arena: { offset: string; length: string } };
}
function toJsonShape(r: JobRequestData): JsonShape {
  const input =
    r.input.kind === 'inline'
      ? {
          inline: Buffer.from(
            r.input.bytes.buffer,
            r.input.bytes.byteOffset,
            r.input.bytes.byteLength,
          ).toString('base64'),
        }
      : { arena: { offset: r.input.offset.toString(), length: r.input.length.toString() } };
  return { ...r, budget: r.budget.toString(), deadlineMs: r.deadlineMs.toString(), input };
}
function fromJsonShape(j: JsonShape): JobRequestData {
  const input: JobRequestData['input'] =
    'inline' in j.input
      ? { kind: 'inline', bytes: new Uint8Array(Buffer.from(j.input.inline, 'base64')) }
      : { kind: 'arena', offset: BigInt(j.input.arena.offset), length: BigInt(j.input.arena.length) };
  return { ...j, budget: BigInt(j.budget), deadlineMs: BigInt(j.deadlineMs), input };
}

function capnpEsEncode(r: JobRequestData): Uint8Array {
  const m = new Message();
  const root = m.initRoot(JobRequest);
  root.id = r.id;
  root.library = r.library;
  root.method = r.method;
  root.params = r.params;
  root.budget = r.budget;
  root.deadlineMs = r.deadlineMs;
  if (r.input.kind === 'inline') root.input._initInline(r.input.bytes.length).copyBuffer(r.input.bytes);
  else {
    const ref = root.input._initArena();
    ref.offset = r.input.offset;
    ref.length = r.input.length;
  }
  return new Uint8Array(m.toArrayBuffer());
}
function capnpEsDecode(frame: Uint8Array): JobRequestData {
  const root = new Message(frame, false).getRoot(JobRequest);
  const input: JobRequestData['input'] = root.input._isInline
    ? { kind: 'inline', bytes: new Uint8Array(root.input.inline.toUint8Array()) }
    : { kind: 'arena', offset: root.input.arena.offset, length: root.input.arena.length };
  return {
    id: root.id,
    library: root.library,
    method: root.method,
    params: root.params,
    budget: root.budget,
    deadlineMs: root.deadlineMs,
    input,
  };
}

let sink = 0;

/** Iterations that take about TARGET_MS_PER_ROUND (also warms the JIT up). */
function calibrate(op: () => number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink ^= op();
    const ms = performance.now() - t0;
    if (ms > TARGET_MS_PER_ROUND / 4) return Math.max(1, Math.round((n * TARGET_MS_PER_ROUND) / ms));
    n *= 2;
  }
}
function timeRound(op: () => number, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink ^= op();
  return ((performance.now() - t0) * 1000) / n;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function codecs(request: JobRequestData) {
  const frame = encodeJobRequest(request);
  const esFrame = capnpEsEncode(request);
  const plain = toJsonShape(request);
  const text = JSON.stringify(plain);
  // Correctness before speed: every path must reproduce the request.
  for (const [name, back] of [
    ['inos', decodeJobRequest(frame)],
    ['json', fromJsonShape(JSON.parse(JSON.stringify(toJsonShape(request))) as JsonShape)],
    ['capnp-es', capnpEsDecode(esFrame)],
  ] as const) {
    if (JSON.stringify(toJsonShape(back)) !== text)
      throw new Error(`${name} does not round-trip the request`);
  }
  return [
    {
      name: "inos wire (Cap'n Proto)",
      bytes: frame.length,
      encode: () => encodeJobRequest(request).length,
      decode: () => decodeJobRequest(frame).id.length,
    },
    {
      name: 'JSON (typed)',
      bytes: Buffer.byteLength(text),
      encode: () => JSON.stringify(toJsonShape(request)).length,
      decode: () => fromJsonShape(JSON.parse(text) as JsonShape).id.length,
    },
    {
      name: 'JSON (plain)',
      bytes: Buffer.byteLength(text),
      encode: () => JSON.stringify(plain).length,
      decode: () => (JSON.parse(text) as JsonShape).id.length,
    },
    {
      name: 'capnp-es 0.0.16 classes',
      bytes: esFrame.length,
      encode: () => capnpEsEncode(request).length,
      decode: () => capnpEsDecode(esFrame).id.length,
    },
  ];
}

type Op = 'encode' | 'decode' | 'roundTrip';
const OPS: Op[] = ['encode', 'decode', 'roundTrip'];

const report = WORKLOADS.map(({ name, request }) => {
  const rows = codecs(request);
  const opFn = (r: (typeof rows)[number], op: Op): (() => number) =>
    op === 'encode' ? r.encode : op === 'decode' ? r.decode : () => r.encode() + r.decode();
  const plan = rows.flatMap((r) =>
    OPS.map((op) => ({ r, op, fn: opFn(r, op), n: calibrate(opFn(r, op)), times: [] as number[] })),
  );
  // Rounds are interleaved across codecs so that machine noise (other processes, frequency changes)
  // hits all of them alike; each figure is the median over ROUNDS.
  for (let round = 0; round < ROUNDS; round++) for (const p of plan) p.times.push(timeRound(p.fn, p.n));
  const results = rows.map((r) => {
    const t = (op: Op): number[] => plan.find((p) => p.r === r && p.op === op)?.times ?? [];
    return {
      name: r.name,
      bytes: r.bytes,
      encodeUs: median(t('encode')),
      decodeUs: median(t('decode')),
      roundTripUs: median(t('roundTrip')),
      roundTripMinUs: Math.min(...t('roundTrip')),
      roundTripMaxUs: Math.max(...t('roundTrip')),
    };
  });
  const base = results[0]?.roundTripUs ?? NaN;
  const fmt = (x: number): string => x.toFixed(2).padStart(8);
  console.log(
    `\nJobRequest, ${name} (${request.params.length}-char params); µs/op, median of ${ROUNDS} rounds`,
  );
  console.log(
    `${'codec'.padEnd(26)} ${'bytes'.padStart(6)} ${'encode'.padStart(8)} ${'decode'.padStart(8)} ${'enc+dec'.padStart(8)} ${'vs inos'.padStart(8)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(26)} ${String(r.bytes).padStart(6)} ${fmt(r.encodeUs)} ${fmt(r.decodeUs)} ${fmt(r.roundTripUs)} ${(r.roundTripUs / base).toFixed(2).padStart(7)}x`,
    );
  }
  const ratio = (i: number): number => (results[i]?.roundTripUs ?? NaN) / base;
  return {
    workload: name,
    results,
    ratios: { jsonTypedOverInos: ratio(1), jsonPlainOverInos: ratio(2), capnpEsOverInos: ratio(3) },
  };
});

const outArg = process.argv.indexOf('--out');
const out =
  (outArg > 0 ? process.argv[outArg + 1] : undefined) ??
  join(dirname(fileURLToPath(import.meta.url)), '../results/wire.json');
mkdirSync(dirname(out), { recursive: true });
const env = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage1m: loadavg()[0],
};
const method = `median of ${ROUNDS} interleaved rounds of ~${TARGET_MS_PER_ROUND} ms per codec and operation`;
writeFileSync(
  out,
  `${JSON.stringify({ bench: 'bench/wire/bench-wire.ts', ...env, method, report, sink }, null, 2)}\n`,
);
console.log(
  `\nwrote ${out} (load average ${env.loadAverage1m?.toFixed(1)} on ${env.cores} cores: compare ratios, not absolute times)`,
);
