/**
 * What makes a series identity acceptable, and its canonical key. The same rules as the wire protocol's
 * (protocol/validate.ts), applied where series are created so every writer is held to them.
 *
 * The key is `host/name{k=v,k=v}` with labels sorted. Every part is escaped, so the key is unambiguous
 * (`{a:"1,b=2"}` and `{a:"1",b:"2"}` are two series) and parses back to what it was made of:
 * `\` `/` `{` `}` `,` `=` are written `\` + the character; control characters and lone UTF-16 surrogate
 * halves as `\uHHHH`. What remains is valid UTF-8 without NUL, CR or LF, which line protocol (QuestDB)
 * takes as a symbol and returns unchanged.
 */
import type { Labels } from '../../../protocol/messages.js';
import { checkLabels, METRIC_NAME, PayloadError } from '../../../protocol/validate.js';

/** Why (name, labels) cannot name a series, or undefined when it can. */
export function checkSeriesIdentity(name: unknown, labels: unknown): string | undefined {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) return 'metric name must match [a-zA-Z_][a-zA-Z0-9_.:-]{0,199}';
  try {
    checkLabels(labels, 'labels');
  } catch (err) {
    if (err instanceof PayloadError) return err.message;
    throw err;
  }
  return undefined;
}

/** Anything escapeKeyPart changes; most parts hold none of it and are used as they are. */
const NEEDS_ESCAPE = /[\\/{},=\u0000-\u001f\u007f\ud800-\udfff]/;
const SEPARATOR = /[\\/{},=]/;

function escapeKeyPart(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (SEPARATOR.test(ch)) out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += unicodeEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) out += ch + text[++i];
    else if (c >= 0xd800 && c <= 0xdfff) out += unicodeEscape(c);
    else out += ch;
  }
  return out;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function unicodeEscape(c: number): string {
  return '\\u' + c.toString(16).padStart(4, '0');
}

/** Canonical key: labels sorted so {a,b} and {b,a} are one series. */
export function seriesKey(hostId: string, name: string, labels: Labels | undefined): string {
  return `${escapeKeyPart(hostId)}/${escapeKeyPart(name)}{${labelsKey(labels)}}`;
}

/**
 * One host's key of a series, for its in-memory index: the escaped name alone when there are no labels
 * (the name itself, no new string: it runs per point), else `name{k=v,...}`. Unambiguous, as an escaped
 * name never holds a bare `{`.
 */
export function hostSeriesKey(name: string, labels: Labels | undefined): string {
  const ls = labelsKey(labels);
  return ls ? `${escapeKeyPart(name)}{${ls}}` : escapeKeyPart(name);
}

/** `k=v,k=v`, sorted by label name, escaped; '' without labels. */
function labelsKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let out = '';
  for (let i = 0; i < keys.length; i++) out += `${i ? ',' : ''}${escapeKeyPart(keys[i])}=${escapeKeyPart(labels[keys[i]])}`;
  return out;
}

/** The host, name and labels a key was made from (the inverse of seriesKey). */
export function parseSeriesKey(key: string): { hostId: string; name: string; labels: Labels } {
  let i = 0;
  const part = (ends: string): string => {
    let out = '';
    for (; i < key.length && !ends.includes(key[i]); i++) {
      if (key[i] !== '\\') {
        out += key[i];
      } else if (key[i + 1] === 'u') {
        out += String.fromCharCode(parseInt(key.slice(i + 2, i + 6), 16));
        i += 5;
      } else {
        out += key[++i];
      }
    }
    if (i >= key.length) throw new Error(`not a series key: ${JSON.stringify(key)}`);
    return out;
  };
  const hostId = part('/');
  i++;
  const name = part('{');
  i++;
  const labels: Labels = {};
  while (key[i] !== '}') {
    const k = part('=');
    i++;
    labels[k] = part(',}');
    if (key[i] === ',') i++;
  }
  if (i !== key.length - 1) throw new Error(`not a series key: ${JSON.stringify(key)}`);
  return { hostId, name, labels };
}
