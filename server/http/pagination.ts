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
 * Pagination is by keyset (server/keyset.ts: the orders, the SQL and the cursors, which the domain
 * modules own). A cursor used with another sort, or one not made here, is a 400 BAD_CURSOR.
 *
 * In a route, with the order the domain module declares:
 *   const users = collection(USER_ORDER);
 *   query: Type.Object({ ...users.query, role: Type.Optional(Role) })
 *   const page = users.read(ctx.query);
 *   const { rows, total } = await directory.list(page, role);
 *   return finishPage(ctx, rows, page, (r) => [r.username, r.id], total);
 */
import { Type, type TInteger, type TLiteral, type TOptional, type TString, type TUnion } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { CURSOR_MAX, pageOf, trimPage, type KeyOrder, type Page } from '../keyset.js';
import type { RequestContext } from './route.js';

export interface CollectionSpec<F extends string> extends KeyOrder<F> {
  defaultLimit?: number;
  maxLimit?: number;
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

const MAX_LIMIT = 1000;

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
        Type.Union(
          sortValues.map((v) => Type.Literal(v)),
          { description: `one of ${sortValues.join(', ')}; default ${spec.defaultSort}` },
        ),
      ),
    },
    read(query) {
      if (query.sort !== undefined && !sortValues.includes(query.sort)) {
        throw new AppError('VALIDATION_FAILED', 'invalid', `query.sort must be one of ${sortValues.join(', ')}`, { field: 'query.sort' });
      }
      return pageOf(spec, { limit: query.limit ?? defaultLimit, sort: query.sort as F | undefined, cursor: query.cursor });
    },
  };
}

/**
 * Trims the extra row, sets meta { limit, sort, next_cursor, total? } on the answer and returns
 * the page. `keyOf` gives a row's (sort value, id).
 */
export function finishPage<T>(ctx: Pick<RequestContext, 'setMeta'>, rows: T[], page: Page, keyOf: (row: T) => [unknown, unknown], total?: number): T[] {
  const { rows: out, nextCursor } = trimPage(rows, page, keyOf);
  ctx.setMeta({ limit: page.limit, sort: page.sort, next_cursor: nextCursor, ...(total === undefined ? {} : { total }) });
  return out;
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
