import { describe, expect, it } from 'vitest';
import type { Labels } from '../../../protocol/messages.js';
import { parseSeriesKey, seriesKey } from './series-rules.js';

const HOST = '5f0c8a4e-2b7d-4c1e-9a3f-0d6b7e8f9a10';

/** Label values line protocol and a naive `k=v,` join get wrong. */
const AWKWARD_LABELS: Labels[] = [
  { a: '1,b=2' },
  { a: '1', b: '2' },
  { a: 'x y', b: 'say "hi"' },
  { path: 'C:\\temp\\new', b: 'line1\nline2\r\n' },
  { a: '}{/\\=,', b: '' },
  { a: 'nul\u0000tab\tdel\u007f', b: 'emoji 😀, half \ud83d only' },
  { a: '\\u0041' },
];

describe('seriesKey', () => {
  it('is unambiguous: a label value holding separators is not another set of labels', () => {
    expect(seriesKey(HOST, 'm', { a: '1,b=2' })).not.toBe(seriesKey(HOST, 'm', { a: '1', b: '2' }));
    expect(seriesKey(HOST, 'm', { a: '1}' })).not.toBe(seriesKey(HOST, 'm{a=1', {}));
    expect(seriesKey(HOST, 'm', { a: '\\u0041' })).not.toBe(seriesKey(HOST, 'm', { a: 'A' }));
    const keys = AWKWARD_LABELS.map((l) => seriesKey(HOST, 'm', l));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sorts labels, so their order does not make another series', () => {
    expect(seriesKey(HOST, 'm', { b: '2', a: '1' })).toBe(seriesKey(HOST, 'm', { a: '1', b: '2' }));
    expect(seriesKey(HOST, 'm', { a: '1', b: '2' })).toBe(`${HOST}/m{a=1,b=2}`);
    expect(seriesKey(HOST, 'm', undefined)).toBe(seriesKey(HOST, 'm', {}));
  });

  it('parses back to exactly the host, name and labels it was made of', () => {
    for (const labels of AWKWARD_LABELS) {
      expect(parseSeriesKey(seriesKey(HOST, 'net.rx:total', labels))).toEqual({ hostId: HOST, name: 'net.rx:total', labels });
    }
    expect(parseSeriesKey(seriesKey('h/o{s}t', 'm', {}))).toEqual({ hostId: 'h/o{s}t', name: 'm', labels: {} });
    expect(() => parseSeriesKey('no-separators')).toThrow(/not a series key/);
  });

  it('is safe for line protocol: valid UTF-8 without NUL, CR or LF', () => {
    for (const labels of AWKWARD_LABELS) {
      const key = seriesKey(HOST, 'm', labels);
      expect(key).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(Buffer.from(key, 'utf8').toString('utf8')).toBe(key);
    }
  });
});
