/**
 * Collection conventions, the same on every collection of the API (docs/api.md repeats them):
 *
 *   ?limit=N         page size, 1..1000 (100 unless the route says otherwise)
 *   ?cursor=C        where to go on: meta.next_cursor of the page before; opaque to callers
 *   ?sort=f | -f     one of the sort fields the route lists, '-' for descending; ties are broken by
 *                    id in the same direction, so the order is total and pages never overlap
 *   ?<field>=v       exact-match filters, one query field per filterable column, ANDed
 *   ?since= &until=  a time range on the collection's time field: ISO 8601 or ms since the epoch,
 *                    since inclusive, until exclusive
 *
 * The answer's `data` is the page, an array; `meta` is { limit, sort, next_cursor, total? }:
 * next_cursor null means the last page; total (rows matching the filters, ignoring the cursor) is
 * there where counting is cheap.
 *
 * Pagination is by keyset: a cursor holds the sort it was made for and the last row's (sort value,
 * id), so a page costs the same wherever it is and rows added meanwhile neither repeat nor vanish.
 * A cursor used with another sort, or one not made here, is a 400 BAD_CURSOR. Sort columns must be
 * NOT NULL; timestamp sort columns must be timestamptz(3) so a JS Date holds them exactly.
 *
 * In a route:
 *   const users = collection({ sorts: { username: text('u.username') }, defaultSort: 'username', id: uuid('u.id') });
 *   query: Type.Object({ ...users.query, role: Type.Optional(Role) })
 *   const page = users.read(ctx.query);
 *   const params: unknown[] = [role]; const ks = keyset(page, params);
 *   SELECT ... WHERE ($1::text IS NULL OR role = $1) AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}
 *   return finishPage(ctx, rows, page, (r) => [r.username, r.id], total);
 */
import { Type, type TInteger, type TLiteral, type TOptional, type TString, type TUnion } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import type { RequestContext } from './route.js';

export type KeyType = 'text' | 'uuid' | 'int' | 'timestamp';

export interface KeyColumn {
  /** SQL expression, e.g. `u.created_at`. */
  column: string;
  type: KeyType;
}

export const text = (column: string): KeyColumn => ({ column, type: 'text' });
export const uuid = (column: string): KeyColumn => ({ column, type: 'uuid' });
export const int = (column: string): KeyColumn => ({ column, type: 'int' });
export const timestamp = (column: string): KeyColumn => ({ column, type: 'timestamp' });

export interface CollectionSpec<F extends string> {
  sorts: Record<F, KeyColumn>;
  defaultSort: NoInfer<F> | `-${NoInfer<F>}`;
  /** The unique column that breaks ties. */
  id: KeyColumn;
  defaultLimit?: number;
  maxLimit?: number;
}

export interface Page {
  limit: number;
  /** As asked, e.g. '-created_at'. */
  sort: string;
  key: KeyColumn;
  id: KeyColumn;
  desc: boolean;
  /** (sort value, id) of the last row of the page before. */
  after?: [unknown, unknown];
}

export interface PageQueryValues {
  limit?: number;
  cursor?: string;
  sort?: string;
}

export interface Collection {
  /** Schema properties for the route's query: limit, cursor, sort. */
  query: { limit: TOptional<TInteger>; cursor: TOptional<TString>; sort: TOptional<TUnion<TLiteral<string>[]>> };
  read(query: PageQueryValues): Page;
}

export const MAX_LIMIT = 1000;
const CURSOR_MAX = 512;

export function collection<F extends string>(spec: CollectionSpec<F>): Collection {
  const fields = Object.keys(spec.sorts) as F[];
  const maxLimit = spec.maxLimit ?? MAX_LIMIT;
  const defaultLimit = spec.defaultLimit ?? Math.min(100, maxLimit);
  const sortValues = fields.flatMap((f) => [f, `-${f}`]);
  return {
    query: {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit, description: 'page size' })),
      cursor: Type.Optional(Type.String({ maxLength: CURSOR_MAX, description: 'meta.next_cursor of the page before' })),
      sort: Type.Optional(
        Type.Union(sortValues.map((v) => Type.Literal(v)), { description: `one of ${sortValues.join(', ')}; default ${spec.defaultSort}` }),
      ),
    },
    read(query) {
      const sort = query.sort ?? spec.defaultSort;
      const desc = sort.startsWith('-');
      const field = (desc ? sort.slice(1) : sort) as F;
      const key = spec.sorts[field];
      if (!key) throw new AppError('VALIDATION_FAILED', 'invalid', `query.sort must be one of ${sortValues.join(', ')}`, { field: 'query.sort' });
      const page: Page = { limit: query.limit ?? defaultLimit, sort, key, id: spec.id, desc };
      if (query.cursor) page.after = decodeCursor(query.cursor, [key.type, spec.id.type], sort) as [unknown, unknown];
      return page;
    },
  };
}

const CAST: Record<KeyType, string> = { text: 'text', uuid: 'uuid', int: 'bigint', timestamp: 'timestamptz' };

/**
 * The keyset part of a page query. Appends its parameters to `params` and returns the SQL pieces:
 * `where` (true on the first page), `orderBy` and `limit` (one more row than the page, to know
 * whether there is a next one).
 */
export function keyset(page: Page, params: unknown[]): { where: string; orderBy: string; limit: string } {
  const dir = page.desc ? 'DESC' : 'ASC';
  const orderBy = `${page.key.column} ${dir}, ${page.id.column} ${dir}`;
  const limit = String(page.limit + 1);
  if (!page.after) return { where: 'true', orderBy, limit };
  params.push(page.after[0], page.after[1]);
  const a = params.length - 1;
  const b = params.length;
  const where = `(${page.key.column}, ${page.id.column}) ${page.desc ? '<' : '>'} ($${a}::${CAST[page.key.type]}, $${b}::${CAST[page.id.type]})`;
  return { where, orderBy, limit };
}

/**
 * Trims the extra row, sets meta { limit, sort, next_cursor, total? } on the answer and returns
 * the page. `keyOf` gives a row's (sort value, id).
 */
export function finishPage<T>(
  ctx: Pick<RequestContext, 'setMeta'>,
  rows: T[],
  page: Page,
  keyOf: (row: T) => [unknown, unknown],
  total?: number,
): T[] {
  const more = rows.length > page.limit;
  const out = more ? rows.slice(0, page.limit) : rows;
  const next = more ? encodeCursor(keyOf(out[out.length - 1]), page.sort) : null;
  ctx.setMeta({ limit: page.limit, sort: page.sort, next_cursor: next, ...(total === undefined ? {} : { total }) });
  return out;
}

/** Cursors are opaque to callers: base64url of JSON { s: sort, k: key values }. */
export function encodeCursor(key: unknown[], sort = ''): string {
  const values = key.map((v) => (v instanceof Date ? v.toISOString() : v));
  return Buffer.from(JSON.stringify({ s: sort, k: values })).toString('base64url');
}

/** Decodes a cursor this API gave out, checking each value against its type; 400 BAD_CURSOR otherwise. */
export function decodeCursor(cursor: string, types: KeyType[], sort = ''): unknown[] {
  const bad = (why: string) => new AppError('BAD_CURSOR', 'invalid', `cursor is not one this API gave out for this query (${why}); start again without it`, { field: 'query.cursor' });
  if (cursor.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not readable');
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { k?: unknown }).k)) throw bad('not readable');
  const { s, k } = parsed as { s?: unknown; k: unknown[] };
  if ((s ?? '') !== sort) throw bad(`made for sort "${String(s)}"`);
  if (k.length !== types.length || !k.every((v, i) => fitsType(v, types[i]))) throw bad('values do not fit');
  return k;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function fitsType(v: unknown, type: KeyType): boolean {
  switch (type) {
    case 'text':
      return typeof v === 'string' && v.length <= 1024 && !v.includes('\u0000');
    case 'uuid':
      return typeof v === 'string' && UUID.test(v);
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'timestamp':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
  }
}

/** `since` / `until` query fields: ISO 8601 or ms since the epoch. */
export const TimeRangeQuery = {
  since: Type.Optional(Type.String({ maxLength: 40, description: 'from this time on (inclusive): ISO 8601 or ms since the epoch' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'before this time (exclusive): ISO 8601 or ms since the epoch' })),
};

/** Reads one end of a time range; 400 naming the field when it is neither ISO 8601 nor ms. */
export function parseInstant(value: string | undefined, field: string): Date | null {
  if (value === undefined || value === '') return null;
  const t = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) {
    throw new AppError('VALIDATION_FAILED', 'invalid', `query.${field} must be ISO 8601 or ms since the epoch`, { field: `query.${field}` });
  }
  return d;
}
