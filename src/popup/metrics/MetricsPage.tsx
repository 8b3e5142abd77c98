import { ask } from '../client';
import { usePoll } from '../use-poll';
import {
  SLO_ARENA_EFFICIENCY,
  SLO_P95_MS,
  SLO_SUCCESS_RATE,
  type MethodSummary,
  type MetricsExport,
} from '../../workflow/metrics';
import { downloadExport } from './export';
import { LatencyChart } from './LatencyChart';

const EVERY_MS = 2_000;

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function Row({ r }: { r: MethodSummary }) {
  return (
    <tr data-testid={`row-${r.key}`} class={r.sloMet ? '' : 'slo-missed'}>
      <th scope="row">{r.key}</th>
      <td data-testid="count">{r.count}</td>
      <td data-testid="success">{pct(r.successRate)}</td>
      <td data-testid="p50">{ms(r.p50)}</td>
      <td data-testid="p95" class={r.p95 >= SLO_P95_MS ? 'bad' : ''}>
        {ms(r.p95)}
      </td>
      <td data-testid="p99">{ms(r.p99)}</td>
      <td data-testid="slo-violations">{r.sloViolations}</td>
      <td data-testid="budget">
        {r.costUsed}/{r.budget} ({pct(r.budgetUse)})
      </td>
      <td data-testid="copied">{ms(r.bytesCopiedPerJob)}</td>
    </tr>
  );
}

/**
 * The extension's Metrics view (opened from the popup): the same model as `inos metrics`
 * (src/workflow/metrics.ts), fed by this extension's own jobs and workflow steps in the offscreen
 * document. Polls every 2 s; "Export JSON" downloads what `inos metrics --json` prints.
 */
export function MetricsPage() {
  const m = usePoll<MetricsExport>(() => ask('metrics/get'), EVERY_MS);
  const s = m.value;
  const outcomes = s
    ? Object.entries(s.workflows.byOutcome)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || 'none'
    : '';
  return (
    <main class="metrics">
      <header class="brand">
        <span class="logo" aria-hidden="true">
          ◆
        </span>
        <h1>INOS metrics</h1>
        <button
          type="button"
          class="button"
          data-testid="export-json"
          disabled={!s}
          onClick={() => s && downloadExport(s)}
        >
          Export JSON
        </button>
      </header>
      {m.error && (
        <p class="error" role="alert" data-testid="metrics-error">
          {m.error}
        </p>
      )}
      {!s && !m.error && <p>Loading…</p>}
      {s && (
        <>
          <p class="muted" data-testid="since">
            Since {new Date(s.since).toLocaleString()}. SLO: p95 under {SLO_P95_MS} ms, success at least{' '}
            {SLO_SUCCESS_RATE * 100} %, arena efficiency at least {SLO_ARENA_EFFICIENCY * 100} %, no bulk
            copies. Percentiles are histogram bucket edges (at most 9 % above the true value).
          </p>
          <table class="metrics-table" data-testid="methods">
            <thead>
              <tr>
                <th scope="col">library.method</th>
                <th scope="col">jobs</th>
                <th scope="col">success</th>
                <th scope="col">p50 ms</th>
                <th scope="col">p95 ms</th>
                <th scope="col">p99 ms</th>
                <th scope="col">over {SLO_P95_MS} ms</th>
                <th scope="col">credits / budget</th>
                <th scope="col">copied B/job</th>
              </tr>
            </thead>
            <tbody>
              {s.summary.map((r) => (
                <Row key={r.key} r={r} />
              ))}
            </tbody>
          </table>
          {s.summary.length === 0 && <p data-testid="no-jobs">No jobs yet.</p>}
          <p data-testid="workflows">
            Workflows: {s.workflows.count} ({outcomes}), {s.workflows.steps} steps, {s.workflows.costUsed}/
            {s.workflows.budget} credits, {s.workflows.bytesCopied} bytes copied
          </p>
          <p data-testid="arena">
            Arena efficiency: last {pct(s.arena.lastEfficiency)}, min {pct(s.arena.minEfficiency)} (
            {s.arena.samples} samples)
          </p>
          <section class="charts">
            {Object.entries(s.methods)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([key, mm]) => (
                <LatencyChart key={key} name={key} metrics={mm} />
              ))}
          </section>
        </>
      )}
    </main>
  );
}
