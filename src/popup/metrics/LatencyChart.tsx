import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { histogram, SLO_P95_MS, type MethodMetrics } from '../../workflow/metrics';

const WIDTH = 360;
const HEIGHT = 150;

/** x: the non-empty buckets in order; two bar series split at the SLO, so slow buckets show red. */
function series(m: MethodMetrics): { data: uPlot.AlignedData; edges: number[] } {
  const h = histogram(m);
  const xs = h.map((_, i) => i);
  const within = h.map((b) => (b.ms <= SLO_P95_MS ? b.count : null));
  const over = h.map((b) => (b.ms > SLO_P95_MS ? b.count : null));
  return { data: [xs, within, over], edges: h.map((b) => b.ms) };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** One method's latency histogram (uPlot bars; bucket upper edges on the x axis). */
export function LatencyChart({ name, metrics }: { name: string; metrics: MethodMetrics }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const edges = useRef<number[]>([]);

  useEffect(() => {
    if (!host.current) return;
    const bars = uPlot.paths.bars!({ size: [0.8, 48] });
    const s = series(metrics);
    edges.current = s.edges;
    plot.current = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        title: `${name}: latency (ms, bucket upper edge)`,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: (_u, lo, hi) => [lo - 0.6, hi + 0.6] },
          y: { range: (_u, _lo, hi) => [0, Math.max(1, hi)] },
        },
        axes: [
          {
            stroke: '#9aa3b2',
            grid: { show: false },
            splits: () => edges.current.map((_, i) => i),
            values: (_u, splits) =>
              splits.map((i) => (edges.current[i] === undefined ? '' : ms(edges.current[i]!))),
          },
          { stroke: '#9aa3b2', grid: { stroke: '#262b35' } },
        ],
        series: [
          {},
          {
            label: `≤ ${SLO_P95_MS} ms`,
            fill: '#4ade80',
            stroke: '#4ade80',
            paths: bars,
            points: { show: false },
          },
          {
            label: `> ${SLO_P95_MS} ms`,
            fill: '#f87171',
            stroke: '#f87171',
            paths: bars,
            points: { show: false },
          },
        ],
      },
      s.data,
      host.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // Built once per method; later snapshots go through setData below.
  }, [name]);

  useEffect(() => {
    if (!plot.current) return;
    const s = series(metrics);
    edges.current = s.edges;
    plot.current.setData(s.data);
  }, [metrics]);

  return <div class="chart" ref={host} data-testid={`chart-${name}`} />;
}
