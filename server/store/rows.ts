/**
 * Rows as records: a query's snake_case columns under the camelCase names code uses. Shallow on
 * purpose: a JSON column's contents (labels, custom fields, specs) are kept as stored.
 */
import { camelName, type Camel } from '../names.js';

/** The record a row of this shape becomes. */
export type RecordOf<Row> = { [K in keyof Row as K extends string ? Camel<K> : K]: Row[K] };

export function recordOf<Row extends object>(row: Row): RecordOf<Row> {
  const out: Record<string, unknown> = {};
  for (const key in row) out[camelName(key)] = row[key];
  return out as RecordOf<Row>;
}

export const recordsOf = <Row extends object>(rows: readonly Row[]): RecordOf<Row>[] => rows.map(recordOf);
