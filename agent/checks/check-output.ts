/**
 * What a check says, and how plugin output becomes that. Two output forms:
 * - the Nagios plugin protocol: exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN, a first line of text,
 *   `|` then performance data `'label'=value[UOM];warn;crit;min;max`, possibly more perfdata after a
 *   `|` on later lines (Nagios 3 long output);
 * - JSON: {"status": 0-3, "message": "...", "metrics": {"name": 1.5} or [{"name", "value", "labels"}]}.
 * Pure: no processes here.
 */
import type { Labels, MetricPoint } from '../../protocol/messages.js';
import type { RefusalReason } from './plugin-policy.js';

export type CheckStatus = 0 | 1 | 2 | 3;
export const STATUS_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export interface CheckMetric {
  name: string;
  value: number;
  labels?: Labels;
}

export interface CheckResult {
  status: CheckStatus;
  message: string;
  metrics: CheckMetric[];
  /** Set when the agent's policy refused to run the plugin. */
  refused?: RefusalReason;
}

export interface PerfDatum {
  label: string;
  value: number;
  uom: string;
  warn?: string;
  crit?: string;
  min?: number;
  max?: number;
}

/** UOMs turned into base units so a metric means the same whatever the plugin chose. */
const SCALE: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/** Splits perfdata on spaces, keeping quoted labels ('free space'=...) whole; '' inside quotes is a quote. */
export function parsePerfData(text: string): PerfDatum[] {
  const out: PerfDatum[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n') i++;
    if (i >= text.length) break;
    let label = '';
    if (text[i] === "'") {
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") {
          label += "'";
          i += 2;
        } else if (text[i] === "'") {
          i++;
          break;
        } else label += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== '=' && text[i] !== ' ') label += text[i++];
    }
    if (text[i] !== '=') {
      // Not perfdata (a stray word): skip to the next space.
      while (i < text.length && text[i] !== ' ') i++;
      continue;
    }
    i++;
    let rest = '';
    while (i < text.length && text[i] !== ' ' && text[i] !== '\n') rest += text[i++];
    const [raw, warn, crit, min, max] = rest.split(';');
    const m = /^(-?[0-9.]+(?:[eE][-+]?\d+)?)([a-zA-Z%]*)$/.exec(raw ?? '');
    if (!m || !label) continue; // 'U' (unknown value) and garbage are dropped, not guessed
    const value = Number(m[1]);
    if (!Number.isFinite(value)) continue;
    out.push({ label, value, uom: m[2], warn: warn || undefined, crit: crit || undefined, min: num(min), max: num(max) });
  }
  return out;
}

/** A perfdata label as a metric name part: what the protocol allows, the rest as underscores. */
export const metricPart = (label: string): string => {
  const s = label.replace(/[^a-zA-Z0-9_.:-]/g, '_').replace(/^[^a-zA-Z_]/, '_$&');
  return s.slice(0, 100) || '_';
};

export function perfMetrics(perf: PerfDatum[]): CheckMetric[] {
  return perf.map((p) => ({ name: metricPart(p.label), value: p.value * (SCALE[p.uom] ?? 1) }));
}

export function parseNagiosOutput(stdout: string, exitCode: number | null): CheckResult {
  const status: CheckStatus = exitCode === 0 || exitCode === 1 || exitCode === 2 ? exitCode : 3;
  const lines = stdout.replace(/\r/g, '').split('\n');
  const [firstText, firstPerf = ''] = splitOnce(lines[0] ?? '', '|');
  let perfText = firstPerf;
  const longText: string[] = [];
  let inPerf = false;
  for (const line of lines.slice(1)) {
    if (inPerf) {
      perfText += ` ${line}`;
      continue;
    }
    const [text, perf] = splitOnce(line, '|');
    if (text.trim()) longText.push(text.trim());
    if (perf !== undefined) {
      inPerf = true;
      perfText += ` ${perf}`;
    }
  }
  const message = [firstText.trim(), ...longText].filter(Boolean).join('\n').slice(0, 4096);
  return { status, message: message || `${STATUS_NAMES[status]} (no output)`, metrics: perfMetrics(parsePerfData(perfText)) };
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

export function parseJsonOutput(stdout: string, exitCode: number | null): CheckResult {
  let v: any;
  try {
    v = JSON.parse(stdout);
  } catch {
    return { status: 3, message: `plugin printed invalid JSON: ${stdout.slice(0, 200)}`, metrics: [] };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { status: 3, message: 'plugin JSON must be an object', metrics: [] };
  const s = v.status ?? exitCode;
  const status: CheckStatus = s === 0 || s === 1 || s === 2 ? s : 3;
  const metrics: CheckMetric[] = [];
  if (Array.isArray(v.metrics)) {
    for (const m of v.metrics) {
      if (m && typeof m.name === 'string' && typeof m.value === 'number' && Number.isFinite(m.value)) {
        const labels =
          m.labels && typeof m.labels === 'object'
            ? (Object.fromEntries(Object.entries(m.labels).filter(([, x]) => typeof x === 'string')) as Labels)
            : undefined;
        metrics.push(labels ? { name: metricPart(m.name), value: m.value, labels } : { name: metricPart(m.name), value: m.value });
      }
    }
  } else if (v.metrics && typeof v.metrics === 'object') {
    for (const [name, value] of Object.entries(v.metrics))
      if (typeof value === 'number' && Number.isFinite(value)) metrics.push({ name: metricPart(name), value });
  }
  return { status, message: typeof v.message === 'string' ? v.message.slice(0, 4096) : STATUS_NAMES[status], metrics };
}

/**
 * A result as the points the agent sends: `<key>.status`, `<key>.duration_ms`, `<key>.<metric>`, and
 * `<key>.refused{reason}` = 1 when the agent's policy refused the plugin (so the server sees why).
 */
export function resultPoints(key: string, r: CheckResult, durationMs: number, t: number): MetricPoint[] {
  const points: MetricPoint[] = [
    { name: `${key}.status`, t, v: r.status },
    { name: `${key}.duration_ms`, t, v: Math.round(durationMs * 1000) / 1000 },
  ];
  if (r.refused) points.push({ name: `${key}.refused`, labels: { reason: r.refused }, t, v: 1 });
  for (const m of r.metrics)
    points.push(m.labels ? { name: `${key}.${m.name}`, labels: m.labels, t, v: m.value } : { name: `${key}.${m.name}`, t, v: m.value });
  return points;
}
