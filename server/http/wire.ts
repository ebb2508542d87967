/**
 * The one serializer at the edge. Code speaks camelCase records holding Dates; the API speaks
 * snake_case JSON with ISO 8601 times. A route's answer schema says how its answer is written:
 * each declared property is read from the record by its camelCase name (or as spelled, for keys
 * without an underscore), times become ISO strings, and maps (`Type.Record`) and free values
 * (`Type.Unknown`) keep their keys, since those are the user's (labels, custom fields, settings).
 * A property the schema does not declare is written snake_cased where the schema leaves the
 * object open, and left out where it closes it.
 */
import { Kind, OptionalKind, Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { camelName, snakeName, type Camel } from '../names.js';

declare const storedBrand: unique symbol;
/** Marks a stored document's schema for the writer (a symbol: JSON Schema validators and the OpenAPI document never see it). */
const AS_STORED = Symbol('as stored');
/** The answer type of a stored JSON document (see AsStored). */
export interface Stored<T> {
  readonly [storedBrand]: T;
}

/**
 * Part of an answer that is a JSON document as stored (a template's items, a settings document): written
 * with its keys as they are, and typed so a handler returns it as read, not camelCased.
 */
export const AsStored = <T extends TSchema>(schema: T): TUnsafe<Stored<Static<T>>> => Type.Unsafe<Stored<Static<T>>>({ ...schema, [AS_STORED]: true });

/**
 * What a handler may return for an answer of type T: the same shape with camelCase keys and Dates
 * where the answer has strings. Maps keep their keys.
 */
export type Domain<T> =
  T extends Stored<infer D>
    ? D
    : T extends string
      ? T | Date
      : T extends readonly (infer E)[]
        ? Domain<E>[]
        : T extends object
          ? string extends keyof T
            ? T
            : { [K in keyof T as K extends string ? Camel<K> : K]: Domain<T[K]> }
          : T;

type Write = (value: unknown) => unknown;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);

/** A time in whatever form a record holds it (Date, epoch ms, a string read back from JSON) as the API writes it. */
function writeTime(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return new Date(v).toISOString();
  if (typeof v === 'string') {
    const t = new Date(v);
    return Number.isNaN(t.getTime()) ? v : t.toISOString();
  }
  return v;
}

/** A value no schema describes: its Dates become ISO strings, its keys stay as they are. */
function writeFree(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(writeFree);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = writeFree(x);
  return out;
}

/** A property no schema declares, in an open object: written snake_cased (it is a record's own field). */
function writeUndeclared(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(writeUndeclared);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[snakeName(k)] = writeUndeclared(x);
  return out;
}

function compileObject(schema: TSchema): Write {
  const props = Object.entries((schema.properties ?? {}) as Record<string, TSchema>).map(([wire, s]) => ({
    wire,
    camel: camelName(wire),
    write: compile(s),
    optional: s[OptionalKind] === 'Optional',
  }));
  const declared = new Set(props.flatMap((p) => [p.wire, p.camel]));
  const closed = schema.additionalProperties === false;
  return (v) => {
    if (!isPlainObject(v)) return writeFree(v);
    const out: Record<string, unknown> = {};
    for (const p of props) {
      const x = p.camel in v ? v[p.camel] : v[p.wire];
      if (x === undefined) continue;
      out[p.wire] = p.write(x);
    }
    if (!closed) {
      for (const [k, x] of Object.entries(v)) if (!declared.has(k) && x !== undefined) out[snakeName(k)] = writeUndeclared(x);
    }
    return out;
  };
}

/** Which of a union's object variants a record is: the one whose declared properties it holds most of. */
function compileUnion(schema: TSchema): Write {
  const variants = (schema.anyOf as TSchema[]).map((s) => ({ schema: s, write: compile(s) }));
  const objects = variants.filter((x) => x.schema[Kind] === 'Object');
  const arrays = variants.filter((x) => x.schema[Kind] === 'Array');
  const times = variants.some((x) => x.schema[Kind] === 'String' && x.schema.format === 'date-time');
  return (v) => {
    if (Array.isArray(v)) return arrays.length ? arrays[0].write(v) : writeFree(v);
    if (isPlainObject(v)) {
      if (!objects.length) return writeFree(v);
      let best = objects[0];
      let bestScore = -1;
      for (const o of objects) {
        const names = Object.keys((o.schema.properties ?? {}) as object);
        const score = names.filter((n) => camelName(n) in v || n in v).length - names.length / 1000;
        if (score > bestScore) [best, bestScore] = [o, score];
      }
      return best.write(v);
    }
    return times ? writeTime(v) : writeFree(v);
  };
}

const compiled = new WeakMap<TSchema, Write>();

/** The writer of answers of this schema (compiled once per schema). */
export function compile(schema: TSchema): Write {
  const known = compiled.get(schema);
  if (known) return known;
  let write: Write;
  switch ((schema as { [AS_STORED]?: true })[AS_STORED] ? 'Stored' : schema[Kind]) {
    case 'Object':
      write = compileObject(schema);
      break;
    case 'Array': {
      const item = schema.items as TSchema;
      const scalar = ['Number', 'Integer', 'Boolean', 'Literal', 'Null'].includes(item[Kind] as string);
      const each = compile(item);
      write = (v) => (!Array.isArray(v) ? writeFree(v) : scalar ? v : v.map(each));
      break;
    }
    case 'Union':
      write = compileUnion(schema);
      break;
    case 'String':
      write = schema.format === 'date-time' ? writeTime : writeFree;
      break;
    default:
      // Records (maps), Unknown, Any, numbers, literals: the value as it is, with its times written.
      write = writeFree;
  }
  compiled.set(schema, write);
  return write;
}
