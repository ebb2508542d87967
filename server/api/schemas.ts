/** Schema pieces shared by routes: ids, timestamps (an answer's times are written by http/wire.ts), empty bodies. */
import { Type, type TSchema } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const Timestamp = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Empty = Type.Object({}, { additionalProperties: false });
