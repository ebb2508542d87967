/**
 * Bar charts for service management (uPlot): one bar series or more over labelled categories (days,
 * months), and an optional target line (the SLA). The figure carries its values as data attributes
 * so a reader (or a test) can check what is drawn.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { compact } from '../ui/band-chart';

export interface BarSeries {
  label: string;
  values: Array<number | null>;
  /** A CSS variable name (--ok, --bad…) or a colour. */
  color: string;
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const colour = (c: string) => (c.startsWith('--') ? css(c) || '#2563eb' : c);

export function BarChart({
  title,
  labels,
  series,
  target,
  unit,
  yRange,
  height = 200,
  testId,
}: {
  title: string;
  labels: string[];
  series: BarSeries[];
  /** A horizontal line, e.g. the SLA target. */
  target?: { label: string; value: number };
  unit?: string;
  yRange?: [number, number];
  height?: number;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const theme = document.documentElement.dataset.theme;

  useEffect(() => {
    const el = box.current!;
    const axis = css('--muted') || '#666';
    const grid = css('--grid') || 'rgba(0,0,0,.08)';
    const fmt = (v: number | null) => (v === null || v === undefined ? '–' : `${compact(v)}${unit ?? ''}`);
    const x = labels.map((_, i) => i);
    const bars = uPlot.paths.bars!({ size: [0.7 / Math.max(1, series.length), 40], gap: 2 });
    const opts: uPlot.Options = {
      width: el.clientWidth || 300,
      height,
      scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, ...(yRange ? { y: { range: () => yRange } } : {}) },
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: '', value: (_u, v) => labels[v] ?? '' },
        ...series.map((s) => ({
          label: s.label,
          fill: colour(s.color),
          stroke: colour(s.color),
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
        ...(target
          ? [
              {
                label: target.label,
                stroke: css('--bad') || '#c00',
                dash: [6, 4],
                width: 1.5,
                points: { show: false },
                value: (_u: uPlot, v: number | null) => fmt(v),
              },
            ]
          : []),
      ],
      axes: [
        { stroke: axis, grid: { show: false }, ticks: { stroke: grid }, splits: () => x, values: (_u, vals) => vals.map((v) => labels[v] ?? '') },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 52,
          values: (_u, vals) => vals.map((v) => `${compact(v)}${unit ?? ''}`),
        },
      ],
    };
    const data = [x, ...series.map((s) => s.values), ...(target ? [labels.map(() => target.value)] : [])] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [labels, series, target, unit, yRange, height, theme]);

  return (
    <figure class="chart" data-testid={testId} data-bars={labels.length} data-values={JSON.stringify(series.map((s) => s.values))} data-target={target?.value}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
