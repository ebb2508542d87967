/**
 * InfluxDB line protocol, as Telegraf's influxdb and http outputs send it:
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 * Each numeric or boolean field becomes a point named `<measurement>.<field>` labelled with the
 * tags; string fields are skipped (metrics here are numbers). Escapes (\, \space \=) follow the
 * InfluxDB reference. Pure: the route decides hosts and writes.
 */
import type { Labels } from '../../protocol/messages.js';
import { MAX_LABEL_VALUE, MAX_LABELS, METRIC_NAME } from '../../protocol/validate.js';

export interface LinePoint {
  name: string;
  labels: Labels;
  t: number;
  v: number;
}

export class LineProtocolError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'LineProtocolError';
  }
}

export type Precision = 'ns' | 'us' | 'ms' | 's';

/** Splits on `sep` outside quotes and not escaped with a backslash. */
function splitUnescaped(s: string, sep: string, max = Infinity): string[] {
  const out: string[] = [];
  let cur = 0;
  let quoted = false;
  for (let i = 0; i < s.length && out.length < max - 1; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      out.push(s.slice(cur, i));
      cur = i + 1;
    }
  }
  out.push(s.slice(cur));
  return out;
}

const unescapeText = (s: string) => s.replace(/\\([,= \\"])/g, '$1');
const namePart = (s: string) => s.replace(/[^a-zA-Z0-9_.:-]/g, '_');
const labelKey = (s: string) => {
  const k = s.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(k) ? k : `_${k}`;
};

const TRUE = new Set(['t', 'T', 'true', 'tRUE', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'fALSE', 'False', 'FALSE']);
const INTEGER = /^(-?\d+)[iu]$/;

function fieldValue(raw: string): number | undefined {
  const c = raw.charCodeAt(0);
  if (c === 34) return undefined; // string field
  // Most values are plain numbers: test the cheap cases before the rare ones.
  if (c !== 116 && c !== 84 && c !== 102 && c !== 70) {
    const last = raw.charCodeAt(raw.length - 1);
    const int = last === 105 || last === 117 ? INTEGER.exec(raw) : null;
    const n = Number(int ? int[1] : raw);
    if (raw === '' || !Number.isFinite(n)) return NaN;
    return n;
  }
  if (TRUE.has(raw)) return 1;
  if (FALSE.has(raw)) return 0;
  return NaN;
}

/** A line's measurement and tags, parsed once per body: a Telegraf batch repeats each many times. */
interface SeriesPart {
  measurement: string;
  /** Shared by every point of this series in the body: readers must not change it. */
  labels: Labels;
  /** Field key as written -> metric name. */
  names: Map<string, string>;
}

function parseSeries(series: string, line: number): SeriesPart {
  const [measurementRaw, ...tagParts] = splitUnescaped(series, ',');
  const measurement = namePart(unescapeText(measurementRaw));
  if (!measurement) throw new LineProtocolError(line, 'measurement is empty');
  const labels: Labels = {};
  for (const tp of tagParts) {
    const [k, v] = splitUnescaped(tp, '=', 2);
    if (!k || v === undefined || v === '') throw new LineProtocolError(line, `bad tag "${tp}"`);
    labels[labelKey(unescapeText(k))] = unescapeText(v).slice(0, MAX_LABEL_VALUE);
  }
  if (Object.keys(labels).length > MAX_LABELS + 1) throw new LineProtocolError(line, `more than ${MAX_LABELS} tags`);
  return { measurement, labels, names: new Map() };
}

function metricName(s: SeriesPart, key: string, line: number): string {
  let name = s.names.get(key);
  if (name === undefined) {
    name = `${s.measurement}.${namePart(unescapeText(key))}`.slice(0, 200);
    if (!METRIC_NAME.test(name)) throw new LineProtocolError(line, `cannot make a metric name of ${name}`);
    s.names.set(key, name);
  }
  return name;
}

const TIMESTAMP = /^-?\d+$/;

const TO_MS: Record<Precision, (t: number) => number> = {
  ns: (t) => Math.floor(t / 1e6),
  us: (t) => Math.floor(t / 1e3),
  ms: (t) => Math.floor(t),
  s: (t) => Math.floor(t * 1000),
};

/**
 * Parses a whole body; throws on the first bad line (the caller writes nothing then). Points of one
 * series share one labels object.
 */
export function parseLineProtocol(body: string, now: number, precision: Precision = 'ns'): LinePoint[] {
  const out: LinePoint[] = [];
  const seen = new Map<string, SeriesPart>();
  const toMs = TO_MS[precision];
  for (let from = 0, n = 1; from <= body.length; n++) {
    let to = body.indexOf('\n', from);
    if (to < 0) to = body.length;
    const line = body.slice(from, to).trim();
    from = to + 1;
    if (!line || line.charCodeAt(0) === 35) continue;
    // Without a backslash or a quote, splitting on escapes and quotes is plain splitting (native, faster).
    const plain = line.indexOf('\\') < 0 && line.indexOf('"') < 0;
    const parts = plain ? line.split(' ') : splitUnescaped(line, ' ');
    const [series, fields, ts, ...extra] = parts.includes('') ? parts.filter((p) => p !== '') : parts;
    if (!series || !fields || extra.length) throw new LineProtocolError(n, 'expected: measurement[,tags] fields [timestamp]');
    let s = seen.get(series);
    if (!s) seen.set(series, (s = parseSeries(series, n)));
    let t = now;
    if (ts !== undefined) {
      if (!TIMESTAMP.test(ts)) throw new LineProtocolError(n, `bad timestamp "${ts}"`);
      t = toMs(Number(ts));
      if (!Number.isSafeInteger(t) || t < 0) throw new LineProtocolError(n, `timestamp out of range "${ts}"`);
    }
    for (const fp of plain ? fields.split(',') : splitUnescaped(fields, ',')) {
      let k: string;
      let raw: string | undefined;
      if (plain) {
        const eq = fp.indexOf('=');
        k = eq < 0 ? fp : fp.slice(0, eq);
        raw = eq < 0 ? undefined : fp.slice(eq + 1);
      } else [k, raw] = splitUnescaped(fp, '=', 2);
      if (!k || raw === undefined) throw new LineProtocolError(n, `bad field "${fp}"`);
      const v = fieldValue(raw);
      if (v === undefined) continue;
      if (Number.isNaN(v)) throw new LineProtocolError(n, `field ${unescapeText(k)} has a bad value "${raw}"`);
      out.push({ name: metricName(s, k, n), labels: s.labels, t, v });
    }
  }
  return out;
}
