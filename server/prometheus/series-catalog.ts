/**
 * The series a PromQL selector names: stored metric names mapped to Prometheus names (names.ts),
 * their series listed from the store, hostnames from the hosts table, and every matcher applied to
 * the Prometheus labels, so `{host="web-01"}` and `{host_id=~"…"}` filter like any other label.
 */
import type { Queryable } from '../store/db.js';
import type { MetricReader } from '../ingest/metric-reader.js';
import type { SeriesIdentity } from '../store/metric-store.js';
import type { Labels } from '../../protocol/messages.js';
import { badData, fullRegex, type Matcher } from './promql-parse.js';
import { promLabels, promMetricName } from './names.js';

/** A selector matching more series than this is refused: a graph of them would be unreadable anyway. */
export const MAX_SELECTED_SERIES = 5000;

export interface CatalogSeries extends SeriesIdentity {
  /** Labels as Prometheus clients see them, `__name__` included. */
  prom: Labels;
}

/** A test for one label value; an absent label is the empty string, as in Prometheus. */
export function matcherTest(m: Matcher): (value: string) => boolean {
  switch (m.op) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = fullRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = fullRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

export class SeriesCatalog {
  constructor(
    private readonly store: MetricReader,
    private readonly db: Queryable,
  ) {}

  /** Series matching every matcher (no matchers: every series), in a stable order. */
  async select(matchers: readonly Matcher[]): Promise<CatalogSeries[]> {
    if (!this.store.listSeries) throw new Error('this metric store cannot list series, which the Prometheus API needs');
    const tests = matchers.map((m) => ({ label: m.label, test: matcherTest(m) }));
    const byPromName = new Map<string, string[]>();
    for (const name of await this.store.names()) {
      const p = promMetricName(name);
      byPromName.set(p, [...(byPromName.get(p) ?? []), name]);
    }
    const nameTests = tests.filter((t) => t.label === '__name__');
    const stored = [...byPromName].filter(([p]) => nameTests.every((t) => t.test(p))).flatMap(([, names]) => names);
    if (!stored.length) return [];
    const identities = await this.store.listSeries(stored);
    const hostnames = await this.hostnames([...new Set(identities.map((s) => s.hostId))]);
    const out: CatalogSeries[] = [];
    for (const s of identities) {
      const prom = promLabels({ ...s, hostname: hostnames.get(s.hostId), nameShared: byPromName.get(promMetricName(s.name))!.length > 1 });
      if (!tests.every((t) => t.test(prom[t.label] ?? ''))) continue;
      if (out.length === MAX_SELECTED_SERIES) throw badData(`the selector matches more than ${MAX_SELECTED_SERIES} series; narrow it with more label matchers`);
      out.push({ ...s, prom });
    }
    return out.sort((a, b) => compareLabels(a.prom, b.prom));
  }

  private async hostnames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const { rows } = await this.db.query<{ id: string; hostname: string }>('SELECT id, hostname FROM hosts WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.map((r) => [r.id, r.hostname]));
  }
}

/** Label sets ordered as Prometheus orders series: by sorted label names, then values. */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    if (a[ka[i]] !== b[kb[i]]) return a[ka[i]] < b[kb[i]] ? -1 : 1;
  }
  return ka.length - kb.length;
}
