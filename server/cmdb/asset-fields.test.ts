import { describe, expect, it } from 'vitest';
import { assetFieldChanges, emptyFields, normalTags, normalText, type AssetFields } from './asset-fields.js';

describe('assetFieldChanges', () => {
  it('names only the fields that differ, by column, with old and new values', () => {
    const a = { ...emptyFields('server', 'db01'), serial: 'S1', tags: ['a'], custom: { x: 1, y: 2 }, rackUnit: 4 };
    const b: AssetFields = { ...a, name: 'db02', custom: { y: 2, x: 1 }, rackUnit: 5 };
    expect(assetFieldChanges(a, b)).toEqual([
      { field: 'name', old: 'db01', new: 'db02' },
      { field: 'rack_unit', old: 4, new: 5 },
    ]);
  });

  it('a create lists the values set, a delete every value held', () => {
    const a = { ...emptyFields('server', 'db01'), serial: 'S1' };
    expect(assetFieldChanges(null, a)).toEqual([
      { field: 'type', old: null, new: 'server' },
      { field: 'name', old: null, new: 'db01' },
      { field: 'serial', old: null, new: 'S1' },
    ]);
    expect(assetFieldChanges(a, null)).toEqual([
      { field: 'type', old: 'server', new: null },
      { field: 'name', old: 'db01', new: null },
      { field: 'serial', old: 'S1', new: null },
    ]);
  });

  it('normalises tags and blank text', () => {
    expect(normalTags([' b', 'a', 'b', ''])).toEqual(['a', 'b']);
    expect(normalText('  ')).toBeNull();
    expect(normalText(' x ')).toBe('x');
  });
});
