/**
 * Metrics over time with uPlot. One series: the mean as the line and the min–max of each bucket as a
 * shaded band behind it, so a spike averaged away in a long range still shows. Several series (the
 * metric browser, network in and out): one line each. Under the chart, each series' min, max and
 * mean over the whole range, in its unit, always shown (not only while hovering). Redrawn on resize
 * and when the theme changes (colours come from CSS variables).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { inUnit } from './format';

export interface BandPoint {
  t: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

export interface ChartSeries {
  label: string;
  points: BandPoint[];
}

/** uPlot's columnar data: seconds, then min, max, mean. */
export function toColumns(points: BandPoint[]): [number[], number[], number[], number[]] {
  const t: number[] = [],
    lo: number[] = [],
    hi: number[] = [],
    mean: number[] = [];
  for (const p of points) {
    t.push(p.t / 1000);
    lo.push(p.min);
    hi.push(p.max);
    mean.push(p.avg);
  }
  return [t, lo, hi, mean];
}

/** Several series on one time axis: the union of their times, a gap where one has no bucket. */
export function alignSeries(series: ChartSeries[]): (number | null)[][] {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const cols = series.map((s) => {
    const col: (number | null)[] = new Array(times.length).fill(null);
    for (const p of s.points) col[at.get(p.t)!] = p.avg;
    return col;
  });
  return [times.map((t) => t / 1000), ...cols];
}

/** Min, max and count-weighted mean of a range of buckets. */
export function rangeStats(points: BandPoint[]): { min: number; max: number; mean: number } | null {
  if (!points.length) return null;
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    n = 0;
  for (const p of points) {
    min = Math.min(min, p.min);
    max = Math.max(max, p.max);
    const w = p.count || 1;
    sum += p.avg * w;
    n += w;
  }
  return { min, max, mean: sum / n };
}

/** Axis numbers short enough for a phone: 1.2k, 3.4M. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toFixed(1))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toFixed(1))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
  return `${Number(v.toFixed(2))}`;
}

/** uPlot's default axis font, named so the y axis can be sized to it. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif';
const measure = document.createElement('canvas').getContext('2d')!;
/**
 * The y axis as wide as its widest label, measured in the axis font, plus the tick (10 px) and gaps:
 * uPlot's fixed default cut "293 KiB/s" to "3 KiB/s".
 */
function axisWidth(_u: uPlot, labels: string[] | null): number {
  measure.font = AXIS_FONT;
  return 20 + Math.max(24, ...(labels ?? []).map((l) => measure.measureText(l).width));
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const PALETTE = ['--accent', '#e8590c', '#2f9e44', '#9c36b5', '#1098ad', '#f08c00'];
const colour = (i: number) => (i === 0 ? css('--accent') || '#2563eb' : PALETTE[i % PALETTE.length]);

export function BandChart({
  points,
  unit,
  title,
  from,
  to,
  height = 180,
}: {
  points: BandPoint[];
  unit?: string;
  title: string;
  from: number;
  to: number;
  height?: number;
}) {
  return <Chart series={[{ label: title, points }]} unit={unit} title={title} from={from} to={to} height={height} />;
}

export function Chart({
  series,
  unit,
  title,
  from,
  to,
  height = 180,
}: {
  series: ChartSeries[];
  unit?: string;
  title: string;
  from: number;
  to: number;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const theme = document.documentElement.dataset.theme;
  const band = series.length === 1;

  useEffect(() => {
    const el = box.current!;
    const axis = css('--muted') || '#666';
    const grid = css('--grid') || 'rgba(0,0,0,.08)';
    const axes: uPlot.Axis[] = [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        font: AXIS_FONT,
        size: axisWidth,
        values: (_u, vals) => vals.map((v) => (unit ? inUnit(v, unit) : compact(v))),
      },
    ];
    const opts: uPlot.Options = band
      ? {
          width: el.clientWidth || 300,
          height,
          scales: { x: { time: true, range: () => [from / 1000, to / 1000] } },
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          series: [
            {},
            { stroke: 'transparent', points: { show: false } },
            { stroke: 'transparent', points: { show: false } },
            { stroke: colour(0), width: 1.5, points: { show: false } },
          ],
          bands: [{ series: [2, 1], fill: css('--band') || 'rgba(37,99,235,.18)' }],
          axes,
        }
      : {
          width: el.clientWidth || 300,
          height,
          scales: { x: { time: true, range: () => [from / 1000, to / 1000] } },
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colour(i), width: 1.5, spanGaps: true, points: { show: false } }))],
          axes,
        };
    const data = band ? toColumns(series[0].points) : alignSeries(series);
    const plot = new uPlot(opts, data as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, unit, from, to, height, theme]);

  const points = series.reduce((n, s) => n + s.points.length, 0);
  return (
    <figure class="chart" data-points={points} aria-label={`${title}: ${points} points`}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
      {series.map((s, i) => {
        const st = rangeStats(s.points);
        return (
          <div class="legend-stats" data-testid="legend" data-series={s.label}>
            {series.length > 1 ? (
              <span>
                <span class="swatch" style={`background:${colour(i)}`} />
                {s.label}
              </span>
            ) : null}
            <span>
              min <b>{st ? inUnit(st.min, unit) : '–'}</b>
            </span>
            <span>
              max <b>{st ? inUnit(st.max, unit) : '–'}</b>
            </span>
            <span>
              mean <b>{st ? inUnit(st.mean, unit) : '–'}</b>
            </span>
          </div>
        );
      })}
    </figure>
  );
}
