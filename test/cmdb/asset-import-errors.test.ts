/**
 * A CSV import answers every row error at once: those the file itself shows (a date that is not one)
 * and those only the database knows (an unknown asset id, an unknown type), on the same row too.
 * Real server and database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

describe('asset CSV import errors', () => {
  let t: ApiServer;
  beforeAll(async () => {
    t = await startApiServer();
  });
  afterAll(() => t?.close());

  it('errors in rows 2, 5 and 9 of different kinds are reported together, and nothing is written', async () => {
    const count = async () => (await t.call('GET', '/api/v1/assets?limit=1', { headers: t.admin.auth })).body.meta.total;
    const before = await count();
    const csv = [
      'id,type,name,purchase_date,rack_unit',
      ',nosuchtype,imp-a,2024-02-30,', // line 2: a date that does not exist, and an unknown type
      ',server,imp-b,2024-02-28,',
      ',server,imp-c,,4',
      '00000000-0000-4000-8000-00000000abcd,,,,', // line 5: no asset has this id
      ',server,imp-d,,',
      ',vm,imp-e,,',
      ',server,imp-f,,',
      ',nope,imp-g,,7', // line 9: unknown type
      ',server,imp-h,,',
    ].join('\n');
    const r = await t.call('POST', '/api/v1/assets/import', { raw: csv, headers: { ...t.admin.auth, 'content-type': 'text/csv' } });
    expect(r.status).toBe(422);
    expect(r.body.error?.code).toBe('IMPORT_REJECTED');
    expect(r.body.error?.details?.errors.map((e: any) => [e.row, e.column])).toEqual([
      [2, 'purchase_date'],
      [2, 'type'],
      [5, 'id'],
      [9, 'type'],
    ]);
    expect(r.body.error?.message).toMatch(/^nothing was imported: 4 problem\(s\), first on line 2/);
    expect(await count()).toBe(before);
  });
});
