import { describe, expect, it } from 'vitest';
import { HostSeries } from './series-windows.js';
import { evaluate, functionValue, nextState } from './trigger-evaluate.js';
import { ExpressionError, parseTriggerExpression, selectorsOf } from './trigger-expression.js';

const T0 = 1_800_000_000_000;

function hostWith(points: Array<[string, number, number, Record<string, string>?]>, windowMs = 3_600_000) {
  const h = new HostSeries();
  for (const [name] of points) h.want(name, windowMs);
  for (const [name, dt, v, labels] of points) h.add({ name, t: T0 + dt * 1000, v, labels });
  return h;
}

const at = (s: number) => T0 + s * 1000;

describe('trigger expressions', () => {
  it('parses functions, selectors with labels, windows, comparisons and boolean structure', () => {
    expect(parseTriggerExpression('last(tcp_ssh.status) >= 2')).toEqual({
      kind: 'cmp',
      fn: 'last',
      sel: { metric: 'tcp_ssh.status' },
      windowMs: 0,
      op: '>=',
      threshold: 2,
    });
    const e = parseTriggerExpression('avg(cpu.usage_pct{cpu="total"}, 5m) > 90 and (nodata(x, 30s) or min(y,1h) = -1.5e3)');
    expect(e.kind).toBe('and');
    expect(selectorsOf(e).map((s) => [s.sel.metric, s.windowMs])).toEqual([
      ['cpu.usage_pct', 300_000],
      ['x', 30_000],
      ['y', 3_600_000],
    ]);
    expect((e as any).args[0].sel.labels).toEqual({ cpu: 'total' });
    expect((e as any).args[1].args[1]).toMatchObject({ op: '==', threshold: -1500 });
  });

  it.each([
    ['', 'empty'],
    ['last(x)', 'comparison'],
    ['avg(x) > 1', 'needs a window'],
    ['avg(x, 0s) > 1', 'between'],
    ['median(x, 5m) > 1', 'expected a function'],
    ['last(x) > 1 and', 'ends too early'],
    ['last(x{a=1}) > 1', 'quoted label value'],
    ['last(x) > 1 extra', 'unexpected'],
    ['last(x) > 5m', 'expected a number'],
    ['last(x) > 1 ; drop', 'unexpected'],
  ])('refuses %j with a message saying where', (src, message) => {
    expect(() => parseTriggerExpression(src)).toThrow(ExpressionError);
    expect(() => parseTriggerExpression(src)).toThrow(message);
  });
});

describe('trigger evaluation', () => {
  const h = hostWith([
    ['m', 0, 10],
    ['m', 10, 20],
    ['m', 20, 60],
    ['m', 30, 30],
    ['d', 0, 50, { mount: '/' }],
    ['d', 30, 70, { mount: '/' }],
    ['d', 30, 5, { mount: '/boot' }],
  ]);
  const now = at(31);

  it('computes last, avg, min, max, count and change over the window', () => {
    const f = (fn: any, w: number, sel: any = { metric: 'm' }) => functionValue(fn, sel, w * 1000, h, now);
    expect(f('last', 0)).toBe(30);
    expect(f('avg', 60)).toBe(30);
    expect(f('avg', 15)).toBe(45); // points at 20 and 30 s
    expect(f('min', 60)).toBe(10);
    expect(f('max', 15)).toBe(60);
    expect(f('count', 15)).toBe(2);
    expect(f('count', 0.5)).toBe(0);
    expect(f('change', 0)).toBe(-30); // last minus the one before
    expect(f('change', 60)).toBe(20); // last minus the first in the window
    expect(f('avg', 0.5)).toBeUndefined(); // nothing in the window: unknown, not 0
    expect(f('last', 0, { metric: 'absent' })).toBeUndefined();
  });

  it('filters series by labels, and reads the newest across several', () => {
    expect(evaluate(parseTriggerExpression('last(d{mount="/"}) > 60'), h, now)).toBe(true);
    expect(evaluate(parseTriggerExpression('last(d{mount="/boot"}) > 60'), h, now)).toBe(false);
    expect(evaluate(parseTriggerExpression('max(d, 1m) = 70'), h, now)).toBe(true);
    expect(evaluate(parseTriggerExpression('count(d, 1m) = 3'), h, now)).toBe(true);
  });

  it('nodata is true only when the window holds no matching point', () => {
    expect(evaluate(parseTriggerExpression('nodata(m, 5s)'), h, now)).toBe(false);
    expect(evaluate(parseTriggerExpression('nodata(m, 5s)'), h, at(40))).toBe(true);
    expect(evaluate(parseTriggerExpression('nodata(d{mount="/x"}, 1h)'), h, now)).toBe(true);
    expect(evaluate(parseTriggerExpression('nodata(never, 1h)'), h, now)).toBe(true);
  });

  it('uses three-valued logic: unknown parts decide nothing unless they must', () => {
    const e = (s: string) => evaluate(parseTriggerExpression(s), h, now);
    expect(e('last(absent) > 1')).toBeUndefined();
    expect(e('last(absent) > 1 and last(m) > 100')).toBe(false);
    expect(e('last(absent) > 1 and last(m) > 1')).toBeUndefined();
    expect(e('last(absent) > 1 or last(m) > 1')).toBe(true);
    expect(e('last(absent) > 1 or last(m) > 100')).toBeUndefined();
  });

  it('moves state with hysteresis: problem above 90, recovered only below 80', () => {
    const problem = parseTriggerExpression('last(cpu) > 90');
    const recovery = parseTriggerExpression('last(cpu) < 80');
    const cpu = new HostSeries();
    cpu.want('cpu', 60_000);
    let state: 'ok' | 'problem' = 'ok';
    const seen: string[] = [];
    [50, 95, 85, 92, 79, 85].forEach((v, i) => {
      cpu.add({ name: 'cpu', t: at(i), v });
      state = nextState(state, evaluate(problem, cpu, at(i)), evaluate(recovery, cpu, at(i)));
      seen.push(state);
    });
    expect(seen).toEqual(['ok', 'problem', 'problem', 'problem', 'ok', 'ok']);
  });

  it('without a recovery expression recovers when the problem expression turns false, never on unknown', () => {
    expect(nextState('problem', false, null)).toBe('ok');
    expect(nextState('problem', undefined, null)).toBe('problem');
    expect(nextState('ok', undefined, null)).toBe('ok');
    expect(nextState('problem', true, false)).toBe('problem');
  });
});

describe('series windows', () => {
  it('keeps only wanted metrics, orders late points, and trims to the window', () => {
    const h = new HostSeries();
    h.want('a', 10_000);
    expect(h.add({ name: 'b', t: T0, v: 1 })).toBe(false);
    h.add({ name: 'a', t: at(5), v: 5 });
    h.add({ name: 'a', t: at(1), v: 1 });
    h.add({ name: 'a', t: at(5), v: 6 }); // same time: replaced
    expect(h.series('a')![0].ts.map((t) => (t - T0) / 1000)).toEqual([1, 5]);
    expect(h.series('a')![0].vs).toEqual([1, 6]);
    for (let s = 6; s < 200; s++) h.add({ name: 'a', t: at(s), v: s });
    expect(h.series('a')![0].ts.length).toBeLessThan(50);
    expect(functionValue('count', { metric: 'a' }, 10_000, h, at(199))).toBe(10);
  });
});
