import { describe, expect, it } from 'vitest';
import { emptyFields, fieldChanges, normalTags, normalText, type AssetFields } from './asset-fields.js';

const fields = ['name', 'serial', 'tags', 'custom', 'rack_unit'] as const;

describe('fieldChanges', () => {
  it('names only the fields that differ, with old and new values', () => {
    const a = { ...emptyFields('server', 'db01'), serial: 'S1', tags: ['a'], custom: { x: 1, y: 2 }, rack_unit: 4 };
    const b: AssetFields = { ...a, name: 'db02', custom: { y: 2, x: 1 }, rack_unit: 5 };
    expect(fieldChanges(a, b, [...fields])).toEqual([
      { field: 'name', old: 'db01', new: 'db02' },
      { field: 'rack_unit', old: 4, new: 5 },
    ]);
  });

  it('a create lists the values set, a delete every value held', () => {
    const a = { ...emptyFields('server', 'db01'), serial: 'S1' };
    expect(fieldChanges(null, a, [...fields])).toEqual([
      { field: 'name', old: null, new: 'db01' },
      { field: 'serial', old: null, new: 'S1' },
    ]);
    expect(fieldChanges(a, null, [...fields])).toEqual([
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
