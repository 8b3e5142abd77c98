import type { DayCredits } from '../ledger/summary';
import { barLabel, creditsText, dayLabel } from './format';

export interface ChartDay extends DayCredits {
  /** True while the ledger has not answered: the bar is a placeholder, labelled "no data". */
  unknown?: boolean;
}

/** Percent of the chart's height for `v` of `max`; a non-zero amount always shows as a sliver. */
const pct = (v: number, max: number) => (v <= 0 || max <= 0 ? 0 : Math.max(3, (v / max) * 100));

/**
 * The last 7 days as CSS bars (no chart library): settled credits solid, pending (estimated +
 * verified) lighter on top. Each bar is an image with its own label for screen readers.
 */
export function WeekChart({ days }: { days: readonly ChartDay[] }) {
  const max = Math.max(0, ...days.map((d) => d.credits + d.pending));
  const total = days.reduce((a, d) => a + d.credits, 0);
  const known = days.every((d) => !d.unknown);
  return (
    <figure class="chart" aria-labelledby="chart-title">
      <figcaption class="chart-head">
        <span id="chart-title">Last 7 days</span>
        <span class="chart-total">{known ? creditsText(total) : '—'}</span>
      </figcaption>
      <ol class="bars" data-testid="chart-7d">
        {days.map((d, i) => {
          const label = d.unknown ? `${dayLabel(d.day)}: no data` : barLabel(d.day, d.credits, d.pending);
          const today = i === days.length - 1;
          return (
            <li key={d.day} class={`bar-slot${today ? ' today' : ''}`}>
              <div
                class={`bar${d.unknown ? ' unknown' : ''}`}
                role="img"
                aria-label={label}
                title={label}
                data-testid="chart-bar"
              >
                <span class="bar-pending" style={{ height: `${pct(d.pending, max)}%` }} />
                <span class="bar-settled" style={{ height: `${pct(d.credits, max)}%` }} />
              </div>
              <span class="bar-day" aria-hidden="true">
                {today ? 'Today' : dayLabel(d.day).slice(0, 3)}
              </span>
            </li>
          );
        })}
      </ol>
      <p class="legend" aria-hidden="true">
        <span class="swatch settled" /> settled <span class="swatch pending" /> pending
      </p>
    </figure>
  );
}
