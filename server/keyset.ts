/**
 * Keyset paging, the store's side: a collection's orders (sort fields to SQL columns, the column that
 * breaks ties), the page a caller asked for, the SQL that reads it and the cursor that goes on from it.
 * The query-string side (limit, cursor, sort parameters; the answer's meta) is http/pagination.ts.
 *
 * A cursor holds the sort it was made for and the last row's (sort value, id), so a page costs the same
 * wherever it is and rows added meanwhile neither repeat nor vanish. Sort columns must be NOT NULL;
 * timestamp sort columns must be timestamptz(3) so a JS Date holds them exactly.
 *
 * In a domain module:
 *   export const USER_ORDER = keyOrder({ sorts: { username: text('u.username') }, defaultSort: 'username', id: uuid('u.id') });
 *   const params: unknown[] = [role]; const ks = keyset(page, params);
 *   SELECT ... WHERE ($1::text IS NULL OR role = $1) AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}
 */
import { AppError } from './errors.js';

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

/** The orders a collection can be read in: its owner names the columns, callers only the fields. */
export interface KeyOrder<F extends string> {
  sorts: Record<F, KeyColumn>;
  defaultSort: NoInfer<F> | `-${NoInfer<F>}`;
  /** The unique column that breaks ties. */
  id: KeyColumn;
}

/** Declares a collection's orders (a function so the sort fields are inferred). */
export const keyOrder = <F extends string>(order: KeyOrder<F>): KeyOrder<F> => order;

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

/** The page of `order` sorted by `sort` (one of its fields, '-' for descending), going on from `cursor`. */
export function pageOf<F extends string>(order: KeyOrder<F>, want: { limit: number; sort?: F | `-${F}`; cursor?: string }): Page {
  const sort = want.sort ?? order.defaultSort;
  const desc = sort.startsWith('-');
  const key = order.sorts[(desc ? sort.slice(1) : sort) as F];
  const page: Page = { limit: want.limit, sort, key, id: order.id, desc };
  if (want.cursor) page.after = decodeCursor(want.cursor, [key.type, order.id.type], sort) as [unknown, unknown];
  return page;
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

/** Trims the extra row a keyset query reads; the cursor of the next page, null on the last. `keyOf` gives a row's (sort value, id). */
export function trimPage<T>(rows: T[], page: Page, keyOf: (row: T) => [unknown, unknown]): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= page.limit) return { rows, nextCursor: null };
  const out = rows.slice(0, page.limit);
  return { rows: out, nextCursor: encodeCursor(keyOf(out[out.length - 1]), page.sort) };
}

export const CURSOR_MAX = 512;

/** Cursors are opaque to callers: base64url of JSON { s: sort, k: key values }. */
export function encodeCursor(key: unknown[], sort = ''): string {
  const values = key.map((v) => (v instanceof Date ? v.toISOString() : v));
  return Buffer.from(JSON.stringify({ s: sort, k: values })).toString('base64url');
}

/**
 * Decodes a cursor given out here, checking each value against its type; invalid BAD_CURSOR otherwise.
 * A cursor only ever comes from a caller's query, so the details name that field.
 */
export function decodeCursor(cursor: string, types: KeyType[], sort = ''): unknown[] {
  const bad = (why: string) =>
    new AppError('BAD_CURSOR', 'invalid', `cursor is not one this API gave out for this query (${why}); start again without it`, { field: 'query.cursor' });
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
