/**
 * Trigger expressions: a small language over recent data of one host, parsed once when a template
 * is saved. Examples:
 *   last(tcp_ssh.status) >= 2
 *   avg(cpu.usage_pct{cpu="total"}, 5m) > 90 and min(mem.available_bytes, 5m) < 1e9
 *   nodata(app.requests, 2m)
 *   change(disk.used_pct{mount="/"}, 1h) > 10
 * Functions: last, avg, min, max, count, change (over a window), nodata (true when the window holds no point).
 * Comparisons: > >= < <= = == != <>. Combined with and / or / parentheses.
 */
import type { Labels } from '../../protocol/messages.js';

export type TriggerFn = 'last' | 'avg' | 'min' | 'max' | 'count' | 'change' | 'nodata';
export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

export interface Selector {
  metric: string;
  labels?: Labels;
}

export type TriggerExpr =
  | { kind: 'cmp'; fn: Exclude<TriggerFn, 'nodata'>; sel: Selector; windowMs: number; op: CompareOp; threshold: number }
  | { kind: 'nodata'; sel: Selector; windowMs: number }
  | { kind: 'and' | 'or'; args: TriggerExpr[] };

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'ExpressionError';
  }
}

const FNS = new Set<TriggerFn>(['last', 'avg', 'min', 'max', 'count', 'change', 'nodata']);
/** Functions that need a window; last and change work on the latest points without one. */
const NEEDS_WINDOW = new Set<TriggerFn>(['avg', 'min', 'max', 'count', 'nodata']);
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WINDOW_MS = 7 * 86_400_000;
const MAX_LENGTH = 2000;

type Token = { type: 'ident' | 'num' | 'str' | 'op' | 'punct'; text: string; pos: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:([a-zA-Z_][a-zA-Z0-9_.:-]*)|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[smhd]?)|("(?:[^"\\]|\\.)*")|(>=|<=|==|!=|<>|[<>=])|([(),{}]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new ExpressionError(`unexpected "${src.slice(i).trim()[0]}"`, i);
    const pos = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]).length;
    if (m[1] !== undefined) out.push({ type: 'ident', text: m[1], pos });
    else if (m[2] !== undefined) out.push({ type: 'num', text: m[2], pos });
    else if (m[3] !== undefined) out.push({ type: 'str', text: JSON.parse(m[3]) as string, pos });
    else if (m[4] !== undefined) out.push({ type: 'op', text: m[4], pos });
    else out.push({ type: 'punct', text: m[5], pos });
    i = re.lastIndex;
  }
  return out;
}

export function parseTriggerExpression(src: string): TriggerExpr {
  if (typeof src !== 'string' || !src.trim()) throw new ExpressionError('expression is empty', 0);
  if (src.length > MAX_LENGTH) throw new ExpressionError(`expression longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const tokens = tokenize(src);
  let k = 0;
  const peek = () => tokens[k];
  const endPos = src.length;
  const expect = (text: string): Token => {
    const t = tokens[k];
    if (!t || t.text !== text) throw new ExpressionError(`expected "${text}"`, t?.pos ?? endPos);
    k++;
    return t;
  };

  const duration = (): number => {
    const t = tokens[k];
    const m = t && t.type === 'num' ? /^(\d+)([smhd]?)$/.exec(t.text) : null;
    if (!m) throw new ExpressionError('expected a window like 30s, 5m, 1h', t?.pos ?? endPos);
    k++;
    const ms = Number(m[1]) * UNIT_MS[m[2] || 's'];
    if (ms <= 0 || ms > MAX_WINDOW_MS) throw new ExpressionError('window must be between 1s and 7d', t.pos);
    return ms;
  };

  const selector = (): Selector => {
    const t = tokens[k];
    if (t?.type !== 'ident') throw new ExpressionError('expected a metric name', t?.pos ?? endPos);
    k++;
    const sel: Selector = { metric: t.text };
    if (peek()?.text === '{') {
      k++;
      const labels: Labels = {};
      while (peek()?.text !== '}') {
        const key = tokens[k];
        if (key?.type !== 'ident' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key.text)) throw new ExpressionError('expected a label name', key?.pos ?? endPos);
        k++;
        expect('=');
        const val = tokens[k];
        if (val?.type !== 'str') throw new ExpressionError('expected a quoted label value', val?.pos ?? endPos);
        k++;
        labels[key.text] = val.text;
        if (peek()?.text === ',') k++;
        else break;
      }
      expect('}');
      sel.labels = labels;
    }
    return sel;
  };

  const primary = (): TriggerExpr => {
    const t = tokens[k];
    if (!t) throw new ExpressionError('expression ends too early', endPos);
    if (t.text === '(') {
      k++;
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (t.type !== 'ident' || !FNS.has(t.text as TriggerFn)) throw new ExpressionError(`expected a function (${[...FNS].join(', ')})`, t.pos);
    const fn = t.text as TriggerFn;
    k++;
    expect('(');
    const sel = selector();
    let windowMs = 0;
    if (peek()?.text === ',') {
      k++;
      windowMs = duration();
    } else if (NEEDS_WINDOW.has(fn)) {
      throw new ExpressionError(`${fn}() needs a window, e.g. ${fn}(${sel.metric}, 5m)`, peek()?.pos ?? endPos);
    }
    expect(')');
    if (fn === 'nodata') return { kind: 'nodata', sel, windowMs };
    const opTok = tokens[k];
    if (opTok?.type !== 'op') throw new ExpressionError('expected a comparison (> >= < <= = !=)', opTok?.pos ?? endPos);
    k++;
    const num = tokens[k];
    if (num?.type !== 'num' || /[smhd]$/.test(num.text)) throw new ExpressionError('expected a number', num?.pos ?? endPos);
    k++;
    const op = ({ '=': '==', '<>': '!=' } as Record<string, CompareOp>)[opTok.text] ?? (opTok.text as CompareOp);
    return { kind: 'cmp', fn, sel, windowMs, op, threshold: Number(num.text) };
  };

  const andExpr = (): TriggerExpr => {
    const args = [primary()];
    while (peek()?.type === 'ident' && peek().text === 'and') {
      k++;
      args.push(primary());
    }
    return args.length === 1 ? args[0] : { kind: 'and', args };
  };

  function orExpr(): TriggerExpr {
    const args = [andExpr()];
    while (peek()?.type === 'ident' && peek().text === 'or') {
      k++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0] : { kind: 'or', args };
  }

  const expr = orExpr();
  if (k < tokens.length) throw new ExpressionError(`unexpected "${tokens[k].text}"`, tokens[k].pos);
  return expr;
}

/** Every selector an expression reads: what the server keeps recent points of. */
export function selectorsOf(expr: TriggerExpr, out: Array<{ sel: Selector; windowMs: number }> = []) {
  if ('args' in expr) {
    for (const a of expr.args) selectorsOf(a, out);
  } else {
    out.push({ sel: expr.sel, windowMs: expr.windowMs });
  }
  return out;
}

export const usesNodata = (expr: TriggerExpr): boolean => expr.kind === 'nodata' || ((expr.kind === 'and' || expr.kind === 'or') && expr.args.some(usesNodata));
