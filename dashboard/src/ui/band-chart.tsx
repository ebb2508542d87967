/**
 * A metric over time with uPlot: the mean as the line and the min–max of each bucket as a shaded
 * band behind it, so a spike averaged away in a long range still shows. Redrawn on resize and when
 * the theme changes (colours come from CSS variables).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface BandPoint {
  t: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** uPlot's columnar data: seconds, then min, max, mean. */
export function toColumns(points: BandPoint[]): [number[], number[], number[], number[]] {
  const t: number[] = [], lo: number[] = [], hi: number[] = [], mean: number[] = [];
  for (const p of points) {
    t.push(p.t / 1000);
    lo.push(p.min);
    hi.push(p.max);
    mean.push(p.avg);
  }
  return [t, lo, hi, mean];
}

/** Axis numbers short enough for a phone: 1.2k, 3.4M. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toFixed(1))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toFixed(1))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
  return `${Number(v.toFixed(2))}`;
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function BandChart({ points, unit, title, from, to, height = 180 }: { points: BandPoint[]; unit?: string; title: string; from: number; to: number; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = document.documentElement.dataset.theme;

  useEffect(() => {
    const el = box.current!;
    const line = css('--accent') || '#2563eb';
    const band = css('--band') || 'rgba(37,99,235,.18)';
    const axis = css('--muted') || '#666';
    const grid = css('--grid') || 'rgba(0,0,0,.08)';
    const fmt = (v: number | null) => (v === null || v === undefined ? '–' : `${compact(v)}${unit ? ` ${unit}` : ''}`);
    const opts: uPlot.Options = {
      width: el.clientWidth || 300,
      height,
      scales: { x: { time: true, range: () => [from / 1000, to / 1000] } },
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        {},
        { label: 'min', stroke: 'transparent', value: (_u, v) => fmt(v), points: { show: false } },
        { label: 'max', stroke: 'transparent', value: (_u, v) => fmt(v), points: { show: false } },
        { label: 'mean', stroke: line, width: 1.5, value: (_u, v) => fmt(v), points: { show: false } },
      ],
      bands: [{ series: [2, 1], fill: band }],
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 48, values: (_u, vals) => vals.map(compact) },
      ],
    };
    const plot = new uPlot(opts, toColumns(points) as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, unit, from, to, height, theme]);

  return (
    <figure class="chart" data-points={points.length} aria-label={`${title}: ${points.length} points`}>
      <figcaption>{title}{unit ? <span class="muted"> ({unit})</span> : null}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
