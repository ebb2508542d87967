/**
 * The two spellings of a field: snake_case where data leaves the process (SQL columns, API JSON),
 * camelCase in code. Converted only at those two edges (store/rows.ts, http/wire.ts).
 */

/** `host_ids` -> `hostIds` at the type level. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

const camelCache = new Map<string, string>();

export function camelName(snake: string): string {
  let name = camelCache.get(snake);
  if (name === undefined) {
    name = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (camelCache.size < 10_000) camelCache.set(snake, name);
  }
  return name;
}

export const snakeName = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
