import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { parseDurationText, parsePromQL } from './promql-parse.js';

const refusal = (query: string): string => {
  try {
    parsePromQL(query);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('PROMQL_BAD_DATA');
    return (err as AppError).message;
  }
  throw new Error(`${query} was accepted`);
};

describe('parsePromQL', () => {
  it('reads selectors with all four matchers, the name as a __name__ matcher', () => {
    expect(parsePromQL(`cpu_usage_pct{host="web-01",cpu!="0",mount=~"/v.*",dev!~'sd[a-z]'}`)).toEqual({
      kind: 'selector',
      matchers: [
        { label: '__name__', op: '=', value: 'cpu_usage_pct' },
        { label: 'host', op: '=', value: 'web-01' },
        { label: 'cpu', op: '!=', value: '0' },
        { label: 'mount', op: '=~', value: '/v.*' },
        { label: 'dev', op: '!~', value: 'sd[a-z]' },
      ],
    });
    expect(parsePromQL('{__name__=~"cpu.*"}')).toEqual({ kind: 'selector', matchers: [{ label: '__name__', op: '=~', value: 'cpu.*' }] });
  });

  it('reads range functions with their window, and aggregations with by / without and a parameter', () => {
    for (const fn of ['rate', 'irate', 'increase', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time']) {
      expect(parsePromQL(`${fn}(x[1h30m])`)).toEqual({ kind: 'call', fn, matchers: [{ label: '__name__', op: '=', value: 'x' }], rangeMs: 5_400_000 });
    }
    expect(parsePromQL('sum by (host) (x)')).toMatchObject({ kind: 'aggregate', op: 'sum', grouping: { without: false, labels: ['host'] } });
    expect(parsePromQL('avg(x) without (cpu, mount)')).toMatchObject({ kind: 'aggregate', op: 'avg', grouping: { without: true, labels: ['cpu', 'mount'] } });
    expect(parsePromQL('topk(3, x)')).toMatchObject({ kind: 'aggregate', op: 'topk', param: { kind: 'number', value: 3 } });
    for (const op of ['min', 'max', 'count', 'bottomk']) expect(parsePromQL(op.endsWith('k') ? `${op}(1, x)` : `${op}(x)`)).toMatchObject({ op });
  });

  it('keeps PromQL precedence for arithmetic and comparisons, with bool and unary minus', () => {
    expect(parsePromQL('-x + 2 * 3 > bool 1')).toEqual({
      kind: 'binary',
      op: '>',
      bool: true,
      lhs: {
        kind: 'binary',
        op: '+',
        bool: false,
        lhs: { kind: 'negate', expr: { kind: 'selector', matchers: [{ label: '__name__', op: '=', value: 'x' }] } },
        rhs: { kind: 'binary', op: '*', bool: false, lhs: { kind: 'number', value: 2 }, rhs: { kind: 'number', value: 3 } },
      },
      rhs: { kind: 'number', value: 1 },
    });
    expect(parsePromQL('(1 + 2) ^ 2')).toMatchObject({ op: '^', lhs: { op: '+' } });
  });

  it('refuses what it does not evaluate, naming the construct', () => {
    expect(refusal('x offset 5m')).toMatch(/offset modifier/);
    expect(refusal('x @ 100')).toMatch(/@ modifier/);
    expect(refusal('rate(x[5m:1m])')).toMatch(/subqueries/);
    expect(refusal('histogram_quantile(0.9, x)')).toMatch(/function histogram_quantile\(\)/);
    expect(refusal('stddev(x)')).toMatch(/aggregation stddev/);
    expect(refusal('x or y')).toMatch(/or operator/);
    expect(refusal('x / ignoring(cpu) y')).toMatch(/vector matching/);
    expect(refusal('"text"')).toMatch(/string/);
    expect(refusal('x[5m]')).toMatch(/range vector outside a range function/);
    expect(refusal('rate(x)')).toMatch(/needs a range vector/);
    expect(refusal('x + bool y')).toMatch(/bool modifier can only be used on comparison/);
    expect(refusal('{host=""}')).toMatch(/at least one matcher/);
    expect(refusal('sum(x')).toMatch(/parse error at character/);
    expect(refusal('x{a=~"("}')).toMatch(/invalid regular expression/);
    expect(refusal('  ')).toMatch(/empty/);
  });

  it('reads durations as Prometheus writes them', () => {
    expect(parseDurationText('90s')).toBe(90_000);
    expect(parseDurationText('1h30m')).toBe(5_400_000);
    expect(parseDurationText('15')).toBe(15_000);
    expect(() => parseDurationText('5x')).toThrow(/not a duration/);
  });
});
