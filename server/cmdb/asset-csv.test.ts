import { describe, expect, it } from 'vitest';
import { assetsToCsv, parseCsv, readImport } from './asset-csv.js';

describe('CSV', () => {
  it('parses quotes, escaped quotes, commas and newlines in cells, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,b\r\n"x,1","say ""hi""\nthere"\n')).toEqual([
      ['a', 'b'],
      ['x,1', 'say "hi"\nthere'],
    ]);
    expect(() => parseCsv('"open')).toThrow();
  });

  it('reads rows and reports every bad one with its line', () => {
    const { rows, errors } = readImport(
      'type,name,tags,memory_bytes,purchase_date,custom,state\n' +
        'server,db01,a;b,1024,2024-02-29,"{""k"":1}",in_stock\n' +
        'server,,,x,2024-02-30,{bad,online\n' +
        ',vm1,,,,,retired\n',
    );
    expect(rows).toEqual([
      {
        row: 2,
        id: null,
        state: 'in_stock',
        fields: { type: 'server', name: 'db01', tags: ['a', 'b'], memoryBytes: 1024, purchaseDate: '2024-02-29', custom: { k: 1 } },
      },
    ]);
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [3, 'custom'],
      [3, 'memory_bytes'],
      [3, 'purchase_date'],
      [3, 'name'],
      [4, 'type'],
      [4, 'state'],
    ]);
    expect(readImport('type,nam\n').errors[0]).toMatchObject({ row: 1, column: 'nam' });
  });

  it('exports what it imports and defuses formulas', () => {
    const csv = assetsToCsv([
      { id: 'i', tag: 'AW-000001', state: 'online', type: 'server', name: '=cmd|x', tags: ['a', 'b'], custom: { k: 'v,w' }, notes: '' } as any,
    ]);
    const [header, row] = parseCsv(csv);
    const cell = (c: string) => row[header.indexOf(c)];
    expect(cell('name')).toBe("'=cmd|x");
    expect(cell('tags')).toBe('a;b');
    expect(JSON.parse(cell('custom'))).toEqual({ k: 'v,w' });
  });
});
