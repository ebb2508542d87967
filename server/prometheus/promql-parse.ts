/**
 * PromQL text to a small expression tree, through the Prometheus project's own grammar
 * (@prometheus-io/lezer-promql). Only the subset AutoWatch evaluates is accepted; anything else is
 * refused with PROMQL_BAD_DATA naming the construct, so a query never silently means something else.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { AppError } from '../errors.js';

/** @lezer/common's SyntaxNode, named through the parser (that package is only @lezer/lr's dependency). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

export const RANGE_FUNCTIONS = [
  'rate',
  'irate',
  'increase',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
] as const;
export type RangeFunction = (typeof RANGE_FUNCTIONS)[number];

export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'topk', 'bottomk'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const ARITHMETIC = ['+', '-', '*', '/', '%', '^'] as const;
export const COMPARISONS = ['==', '!=', '>', '<', '>=', '<='] as const;
export type BinaryOp = (typeof ARITHMETIC)[number] | (typeof COMPARISONS)[number];

export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'selector'; matchers: Matcher[] }
  | { kind: 'call'; fn: RangeFunction; matchers: Matcher[]; rangeMs: number }
  | { kind: 'aggregate'; op: Aggregation; grouping?: { without: boolean; labels: string[] }; param?: Expr; expr: Expr }
  | { kind: 'binary'; op: BinaryOp; bool: boolean; lhs: Expr; rhs: Expr }
  | { kind: 'negate'; expr: Expr };

export const badData = (message: string) => new AppError('PROMQL_BAD_DATA', 'invalid', message);
const unsupported = (what: string) => badData(`unsupported PromQL: ${what} (see docs/prometheus.md for the supported subset)`);

/** Node names of the grammar turned into what a person reading the error recognises. */
const CONSTRUCT: Record<string, string> = {
  OffsetExpr: 'the offset modifier',
  StepInvariantExpr: 'the @ modifier',
  SubqueryExpr: 'subqueries',
  StringLiteral: 'string expressions',
  MatrixSelector: 'a range vector outside a range function (e.g. rate(x[5m]))',
  MatchingModifierClause: 'on()/ignoring()/group_left/group_right vector matching',
  And: 'the and operator',
  Or: 'the or operator',
  Unless: 'the unless operator',
  Atan2: 'the atan2 operator',
};

export function parsePromQL(text: string): Expr {
  if (!text.trim()) throw badData('query is empty');
  const tree = parser.parse(text);
  let error: SyntaxNode | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && !error) error = n.node;
      return !error;
    },
  });
  if (error) throw badData(`parse error at character ${error.from + 1} of ${JSON.stringify(text)}`);
  const top = tree.topNode.firstChild;
  if (!top) throw badData('query is empty');
  return new Reader(text).expr(top);
}

class Reader {
  constructor(private readonly text: string) {}

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'ParenExpr':
        return this.expr(n.firstChild!);
      case 'NumberDurationLiteral':
        return { kind: 'number', value: parseNumber(this.src(n)) };
      case 'VectorSelector':
        return { kind: 'selector', matchers: this.selector(n) };
      case 'UnaryExpr': {
        const inner = this.expr(n.lastChild!);
        return this.src(n.firstChild!) === '-' ? { kind: 'negate', expr: inner } : inner;
      }
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        throw unsupported(CONSTRUCT[n.name] ?? `${n.name} "${this.src(n)}"`);
    }
  }

  private selector(n: SyntaxNode): Matcher[] {
    const matchers: Matcher[] = [];
    const name = n.getChild('Identifier');
    if (name) matchers.push({ label: '__name__', op: '=', value: this.src(name) });
    for (const m of n.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      matchers.push({
        label: this.src(m.getChild('LabelName')!),
        op: this.src(m.getChild('MatchOp')!) as MatchOp,
        value: this.string(m.getChild('StringLiteral')!),
      });
    }
    const quoted = n.getChild('LabelMatchers')?.getChild('QuotedLabelName') ?? n.getChild('LabelMatchers')?.getChild('QuotedLabelMatcher');
    if (quoted) throw unsupported('quoted (UTF-8) label or metric names');
    for (const m of matchers) if (m.op === '=~' || m.op === '!~') fullRegex(m.value);
    if (!matchers.some((m) => (m.op === '=' || m.op === '=~' ? !matchesEmpty(m) : false))) {
      throw badData(`vector selector ${this.src(n)} must contain at least one matcher that does not match the empty string`);
    }
    return matchers;
  }

  private string(n: SyntaxNode): string {
    const raw = this.src(n);
    if (raw.startsWith('`')) return raw.slice(1, -1);
    if (raw.startsWith("'")) return JSON.parse(`"${raw.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
    return JSON.parse(raw) as string;
  }

  private call(n: SyntaxNode): Expr {
    const fn = this.src(n.getChild('FunctionIdentifier')!);
    if (!(RANGE_FUNCTIONS as readonly string[]).includes(fn)) throw unsupported(`the function ${fn}()`);
    const args = argsOf(n.getChild('FunctionCallBody')!);
    if (args.length !== 1) throw badData(`${fn}() takes one range vector argument, got ${args.length}`);
    const arg = args[0].name === 'ParenExpr' ? args[0].firstChild! : args[0];
    if (arg.name === 'SubqueryExpr' || arg.name === 'OffsetExpr' || arg.name === 'StepInvariantExpr') throw unsupported(CONSTRUCT[arg.name]);
    if (arg.name !== 'MatrixSelector') throw badData(`${fn}() needs a range vector like ${fn}(metric[5m])`);
    const sel = arg.getChild('VectorSelector');
    if (!sel) throw unsupported(CONSTRUCT[arg.firstChild!.name] ?? this.src(arg));
    return { kind: 'call', fn: fn as RangeFunction, matchers: this.selector(sel), rangeMs: parseDurationText(this.src(arg.getChild('DurationExpr')!)) };
  }

  private aggregate(n: SyntaxNode): Expr {
    const op = this.src(n.getChild('AggregateOp')!);
    if (!(AGGREGATIONS as readonly string[]).includes(op)) throw unsupported(`the aggregation ${op}`);
    const mod = n.getChild('AggregateModifier');
    const grouping = mod
      ? { without: mod.getChild('Without') !== null, labels: (mod.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((l) => this.src(l)) }
      : undefined;
    const args = argsOf(n.getChild('FunctionCallBody')!);
    const takesParam = op === 'topk' || op === 'bottomk';
    if (args.length !== (takesParam ? 2 : 1)) throw badData(`${op} takes ${takesParam ? 'a number and a vector' : 'one vector'}, got ${args.length} arguments`);
    return {
      kind: 'aggregate',
      op: op as Aggregation,
      grouping,
      param: takesParam ? this.expr(args[0]) : undefined,
      expr: this.expr(args[args.length - 1]),
    };
  }

  private binary(n: SyntaxNode): Expr {
    const parts: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) parts.push(c);
    const [lhs, opNode, ...rest] = parts;
    const op = this.src(opNode);
    if (CONSTRUCT[opNode.name]) throw unsupported(CONSTRUCT[opNode.name]);
    if (![...ARITHMETIC, ...COMPARISONS].includes(op as BinaryOp)) throw unsupported(`the operator ${op}`);
    let bool = false;
    for (const m of rest.slice(0, -1)) {
      if (m.name === 'BoolModifier') bool = true;
      else throw unsupported(CONSTRUCT[m.name] ?? this.src(m));
    }
    if (bool && !(COMPARISONS as readonly string[]).includes(op)) throw badData('bool modifier can only be used on comparison operators');
    return { kind: 'binary', op: op as BinaryOp, bool, lhs: this.expr(lhs), rhs: this.expr(rest[rest.length - 1]) };
  }
}

/** The arguments of a call body `(a, b)`: its child expressions, commas and brackets skipped. */
function argsOf(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = body.firstChild; c; c = c.nextSibling) if (c.name !== '(' && c.name !== ')' && c.name !== ',') out.push(c);
  return out;
}

function matchesEmpty(m: Matcher): boolean {
  return m.op === '=' ? m.value === '' : fullRegex(m.value).test('');
}

/** Prometheus regex matchers are anchored at both ends. */
export function fullRegex(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw badData(`invalid regular expression ${JSON.stringify(source)}`);
  }
}

function parseNumber(text: string): number {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan') return NaN;
  const n = /^0x[0-9a-f]+$/.test(t) ? parseInt(t, 16) : Number(t);
  if (Number.isNaN(n)) {
    if (/^[0-9]+[a-z]/.test(t)) return parseDurationText(text) / 1000;
    throw badData(`"${text}" is not a number`);
  }
  return n;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };

/** A PromQL duration like 5m, 1h30m, 90s (ms); also a plain number of seconds. */
export function parseDurationText(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    at = re.lastIndex;
  }
  if (at !== text.length || total <= 0) throw badData(`"${text}" is not a duration like 5m or 1h30m`);
  return total;
}
