/**
 * Live metrics of jobs and workflows, measured against the design's SLOs (p95 latency < 100 ms,
 * success > 99.9 %, arena efficiency > 80 %, zero copies of bulk bytes):
 *
 * - per `library.method`: a latency histogram (log buckets, 2^(1/8) apart: a percentile is the upper
 *   edge of its bucket, at most 9 % above the true value), p50/p95/p99, count, success rate, SLO
 *   violations (jobs over 100 ms), credits used against budgets, bytes copied (engine-measured);
 * - workflows: count by outcome, steps, credits used against budgets;
 * - the arena's efficiency (requested / reserved bytes), sampled by the host.
 *
 * Mergeable and JSON-serialisable: the CLI keeps one snapshot in a file across runs (`inos metrics`).
 */
export const SLO_P95_MS = 100;
export const SLO_SUCCESS_RATE = 0.999;
export const SLO_ARENA_EFFICIENCY = 0.8;

const BUCKETS_PER_DOUBLING = 8;
const MIN_MS = 0.01;
/** Bucket i covers (MIN_MS·2^((i-1)/8), MIN_MS·2^(i/8)]; 200 buckets reach ~340 s. */
const BUCKETS = 200;

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log2(ms / MIN_MS) * BUCKETS_PER_DOUBLING));
}

function upperEdge(i: number): number {
  return MIN_MS * 2 ** (i / BUCKETS_PER_DOUBLING);
}

export interface MethodMetrics {
  count: number;
  ok: number;
  failed: Record<string, number>;
  sloViolations: number;
  maxMs: number;
  sumMs: number;
  costUsed: number;
  budget: number;
  bytesCopied: number;
  bytesIn: number;
  /** Sparse histogram: bucket index → count. */
  buckets: Record<string, number>;
}

export interface WorkflowMetrics {
  count: number;
  byOutcome: Record<string, number>;
  steps: number;
  costUsed: number;
  budget: number;
  bytesCopied: number;
}

export interface MetricsSnapshot {
  version: 1;
  since: number;
  methods: Record<string, MethodMetrics>;
  workflows: WorkflowMetrics;
  arena: { samples: number; lastEfficiency: number; minEfficiency: number };
}

export type MetricsExport = MetricsSnapshot & { summary: MethodSummary[] };

/** Upper edges (ms) of a method's non-empty histogram buckets with their counts, lowest first. */
export function histogram(m: MethodMetrics): { ms: number; count: number }[] {
  return Object.keys(m.buckets)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => ({ ms: upperEdge(k), count: m.buckets[String(k)]! }));
}

export interface JobObservation {
  library: string;
  method: string;
  ms: number;
  status: string;
  costUsed: number;
  budget: number;
  bytesCopied: number;
  bytesIn: number;
}

export interface MethodSummary {
  key: string;
  count: number;
  successRate: number;
  p50: number;
  p95: number;
  p99: number;
  maxMs: number;
  sloViolations: number;
  /** p95 over the SLO or success rate under it. */
  sloMet: boolean;
  costUsed: number;
  budget: number;
  budgetUse: number;
  bytesCopied: number;
  bytesCopiedPerJob: number;
}

function emptyMethod(): MethodMetrics {
  return {
    count: 0,
    ok: 0,
    failed: {},
    sloViolations: 0,
    maxMs: 0,
    sumMs: 0,
    costUsed: 0,
    budget: 0,
    bytesCopied: 0,
    bytesIn: 0,
    buckets: {},
  };
}

export class Metrics {
  private s: MetricsSnapshot;

  constructor(snapshot?: MetricsSnapshot, now: number = Date.now()) {
    this.s = snapshot ? structuredClone(snapshot) : Metrics.empty(now);
  }

  static empty(now: number = Date.now()): MetricsSnapshot {
    return {
      version: 1,
      since: now,
      methods: {},
      workflows: { count: 0, byOutcome: {}, steps: 0, costUsed: 0, budget: 0, bytesCopied: 0 },
      arena: { samples: 0, lastEfficiency: 1, minEfficiency: 1 },
    };
  }

  /** Reads a snapshot written by `toJSON`; anything else gets a fresh one (with the reason). */
  static parse(text: string): { metrics: Metrics; problem: string } {
    try {
      const s = JSON.parse(text) as MetricsSnapshot;
      if (s?.version !== 1 || typeof s.methods !== 'object' || typeof s.workflows !== 'object')
        return { metrics: new Metrics(), problem: 'not a metrics snapshot (version 1)' };
      return { metrics: new Metrics(s), problem: '' };
    } catch (err) {
      return { metrics: new Metrics(), problem: `unreadable: ${(err as Error).message}` };
    }
  }

  observeJob(o: JobObservation): void {
    const key = `${o.library}.${o.method}`;
    const m = (this.s.methods[key] ??= emptyMethod());
    m.count++;
    if (o.status === 'ok') m.ok++;
    else m.failed[o.status] = (m.failed[o.status] ?? 0) + 1;
    if (o.ms > SLO_P95_MS) m.sloViolations++;
    m.maxMs = Math.max(m.maxMs, o.ms);
    m.sumMs += o.ms;
    m.costUsed += o.costUsed;
    m.budget += o.budget;
    m.bytesCopied += o.bytesCopied;
    m.bytesIn += o.bytesIn;
    const b = String(bucketOf(o.ms));
    m.buckets[b] = (m.buckets[b] ?? 0) + 1;
  }

  observeWorkflow(o: {
    outcome: string;
    steps: number;
    costUsed: number;
    budget: number;
    bytesCopied: number;
  }): void {
    const w = this.s.workflows;
    w.count++;
    w.byOutcome[o.outcome] = (w.byOutcome[o.outcome] ?? 0) + 1;
    w.steps += o.steps;
    w.costUsed += o.costUsed;
    w.budget += o.budget;
    w.bytesCopied += o.bytesCopied;
  }

  observeArena(efficiency: number): void {
    const a = this.s.arena;
    a.samples++;
    a.lastEfficiency = efficiency;
    a.minEfficiency = Math.min(a.minEfficiency, efficiency);
  }

  merge(other: MetricsSnapshot): void {
    for (const [key, o] of Object.entries(other.methods)) {
      const m = (this.s.methods[key] ??= emptyMethod());
      m.count += o.count;
      m.ok += o.ok;
      for (const [k, v] of Object.entries(o.failed)) m.failed[k] = (m.failed[k] ?? 0) + v;
      m.sloViolations += o.sloViolations;
      m.maxMs = Math.max(m.maxMs, o.maxMs);
      m.sumMs += o.sumMs;
      m.costUsed += o.costUsed;
      m.budget += o.budget;
      m.bytesCopied += o.bytesCopied;
      m.bytesIn += o.bytesIn;
      for (const [k, v] of Object.entries(o.buckets)) m.buckets[k] = (m.buckets[k] ?? 0) + v;
    }
    const w = this.s.workflows;
    w.count += other.workflows.count;
    for (const [k, v] of Object.entries(other.workflows.byOutcome))
      w.byOutcome[k] = (w.byOutcome[k] ?? 0) + v;
    w.steps += other.workflows.steps;
    w.costUsed += other.workflows.costUsed;
    w.budget += other.workflows.budget;
    w.bytesCopied += other.workflows.bytesCopied;
    if (other.arena.samples) {
      this.s.arena.samples += other.arena.samples;
      this.s.arena.lastEfficiency = other.arena.lastEfficiency;
      this.s.arena.minEfficiency = Math.min(this.s.arena.minEfficiency, other.arena.minEfficiency);
    }
  }

  toJSON(): MetricsSnapshot {
    return structuredClone(this.s);
  }

  /** The export both `inos metrics --json` and the extension's Metrics view give: snapshot + summary. */
  exportJson(): MetricsExport {
    return { ...this.toJSON(), summary: this.summary() };
  }

  summary(): MethodSummary[] {
    return Object.entries(this.s.methods)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, m]) => {
        const p = (q: number) => percentile(m, q);
        const successRate = m.count ? m.ok / m.count : 1;
        const p95 = p(0.95);
        return {
          key,
          count: m.count,
          successRate,
          p50: p(0.5),
          p95,
          p99: p(0.99),
          maxMs: m.maxMs,
          sloViolations: m.sloViolations,
          sloMet: p95 < SLO_P95_MS && successRate >= SLO_SUCCESS_RATE,
          costUsed: m.costUsed,
          budget: m.budget,
          budgetUse: m.budget ? m.costUsed / m.budget : 0,
          bytesCopied: m.bytesCopied,
          bytesCopiedPerJob: m.count ? m.bytesCopied / m.count : 0,
        };
      });
  }

  /** The text `inos metrics` prints. */
  table(): string {
    const rows = this.summary();
    const head = [
      'library.method',
      'jobs',
      'ok %',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'SLO >100ms',
      'credits/budget',
      'copied B/job',
    ];
    const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
    const body = rows.map((r) => [
      r.key,
      String(r.count),
      (r.successRate * 100).toFixed(1),
      fmt(r.p50),
      fmt(r.p95) + (r.p95 >= SLO_P95_MS ? '!' : ''),
      fmt(r.p99),
      String(r.sloViolations),
      `${r.costUsed}/${r.budget}`,
      fmt(r.bytesCopiedPerJob),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (c: string[]) =>
      c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
    const w = this.s.workflows;
    const a = this.s.arena;
    const outcomes =
      Object.entries(w.byOutcome)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || 'none';
    return [
      `since ${new Date(this.s.since).toISOString()}; SLO: p95 < ${SLO_P95_MS} ms, success ≥ ${SLO_SUCCESS_RATE * 100} %, arena efficiency ≥ ${SLO_ARENA_EFFICIENCY * 100} %, 0 bulk copies (! marks a p95 over the SLO)`,
      '',
      line(head),
      ...body.map(line),
      ...(rows.length ? [] : ['(no jobs yet)']),
      '',
      `workflows: ${w.count} (${outcomes}), ${w.steps} steps, ${w.costUsed}/${w.budget} credits, ${w.bytesCopied} bytes copied`,
      `arena efficiency: last ${(a.lastEfficiency * 100).toFixed(1)} %, min ${(a.minEfficiency * 100).toFixed(1)} % (${a.samples} samples)`,
    ].join('\n');
  }
}

/** The upper edge of the bucket holding the q-th observation (exact max for the last one). */
export function percentile(m: MethodMetrics, q: number): number {
  if (m.count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * m.count));
  let seen = 0;
  const keys = Object.keys(m.buckets)
    .map(Number)
    .sort((a, b) => a - b);
  for (const k of keys) {
    seen += m.buckets[String(k)]!;
    if (seen >= rank) return Math.min(upperEdge(k), m.maxMs);
  }
  return m.maxMs;
}
