/**
 * Text Postgres cannot store: U+0000 (text and jsonb refuse it) and half of a UTF-16 surrogate pair
 * (jsonb refuses its \u escape; text would silently get U+FFFD). One rule for the two ways the server
 * meets such text: the API refuses it at the door, the audit trail (which records refused requests
 * too) replaces it.
 */
export type Unstorable = 'nul' | 'lone_surrogate';

const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE);
const EVERY_UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE}`, 'g');

/** Why Postgres cannot store this text; null when it can. */
export function unstorable(text: string): Unstorable | null {
  if (text.includes('\u0000')) return 'nul';
  return HAS_LONE_SURROGATE.test(text) ? 'lone_surrogate' : null;
}

/** The value with every unstorable character, in strings and keys at any depth, replaced by U+FFFD. */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(EVERY_UNSTORABLE, '\ufffd') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}
