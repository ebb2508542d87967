/** Schema pieces shared by routes: ids, pagination, timestamps, and the one way a time is written in an answer. */
import { Type, type TSchema } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Empty = Type.Object({}, { additionalProperties: false });

/**
 * A time as every API answer writes it: ISO 8601 in UTC with milliseconds (a `Timestamp`). Takes what
 * records hold: a Date, or an ISO string or epoch milliseconds (times read back from JSON columns).
 */
export function iso(t: Date | string | number): string;
export function iso(t: Date | string | number | null | undefined): string | null;
export function iso(t: Date | string | number | null | undefined): string | null {
  if (t === null || t === undefined) return null;
  return (t instanceof Date ? t : new Date(t)).toISOString();
}
