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

function fieldValue(raw: string): number | undefined {
  if (raw.startsWith('"')) return undefined; // string field
  if (/^[tT](rue|RUE)?$/.test(raw)) return 1;
  if (/^[fF](alse|ALSE)?$/.test(raw)) return 0;
  const int = /^(-?\d+)[iu]$/.exec(raw);
  const n = Number(int ? int[1] : raw);
  if (raw === '' || !Number.isFinite(n)) return NaN;
  return n;
}

const TO_MS: Record<Precision, (t: number) => number> = {
  ns: (t) => Math.floor(t / 1e6),
  us: (t) => Math.floor(t / 1e3),
  ms: (t) => Math.floor(t),
  s: (t) => Math.floor(t * 1000),
};

/** Parses a whole body; throws on the first bad line (the caller writes nothing then). */
export function parseLineProtocol(body: string, now: number, precision: Precision = 'ns'): LinePoint[] {
  const out: LinePoint[] = [];
  const lines = body.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line || line.startsWith('#')) continue;
    const parts = splitUnescaped(line, ' ');
    const [series, fields, ts, ...extra] = parts.filter((p) => p !== '');
    if (!series || !fields || extra.length) throw new LineProtocolError(n + 1, 'expected: measurement[,tags] fields [timestamp]');
    const [measurementRaw, ...tagParts] = splitUnescaped(series, ',');
    const measurement = namePart(unescapeText(measurementRaw));
    if (!measurement) throw new LineProtocolError(n + 1, 'measurement is empty');
    const labels: Labels = {};
    for (const tp of tagParts) {
      const [k, v] = splitUnescaped(tp, '=', 2);
      if (!k || v === undefined || v === '') throw new LineProtocolError(n + 1, `bad tag "${tp}"`);
      labels[labelKey(unescapeText(k))] = unescapeText(v).slice(0, MAX_LABEL_VALUE);
    }
    if (Object.keys(labels).length > MAX_LABELS + 1) throw new LineProtocolError(n + 1, `more than ${MAX_LABELS} tags`);
    let t = now;
    if (ts !== undefined) {
      if (!/^-?\d+$/.test(ts)) throw new LineProtocolError(n + 1, `bad timestamp "${ts}"`);
      t = TO_MS[precision](Number(ts));
      if (!Number.isSafeInteger(t) || t < 0) throw new LineProtocolError(n + 1, `timestamp out of range "${ts}"`);
    }
    for (const fp of splitUnescaped(fields, ',')) {
      const [k, raw] = splitUnescaped(fp, '=', 2);
      if (!k || raw === undefined) throw new LineProtocolError(n + 1, `bad field "${fp}"`);
      const v = fieldValue(raw);
      if (v === undefined) continue;
      if (Number.isNaN(v)) throw new LineProtocolError(n + 1, `field ${unescapeText(k)} has a bad value "${raw}"`);
      const name = `${measurement}.${namePart(unescapeText(k))}`.slice(0, 200);
      if (!METRIC_NAME.test(name)) throw new LineProtocolError(n + 1, `cannot make a metric name of ${name}`);
      out.push({ name, labels, t, v });
    }
  }
  return out;
}
