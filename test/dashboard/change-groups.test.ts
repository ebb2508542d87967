import { describe, expect, it } from 'vitest';
import { groupChanges, type ChangeRecordView } from '../../dashboard/src/pages/change-groups.js';

let next = 1;
const rec = (over: Partial<ChangeRecordView>): ChangeRecordView => ({
  id: next++,
  action: 'update',
  field: 'name',
  old_value: null,
  new_value: null,
  actor_kind: 'user',
  actor_id: 'u1',
  source: 'manual',
  reason: null,
  request_id: 'r1',
  at: '2026-12-07T00:00:00.000Z',
  ...over,
});

describe('asset timeline groups', () => {
  it('one create is one entry listing its fields, in the order written, whatever the page order', () => {
    const created = ['tag', 'state', 'type', 'name', 'serial'].map((field) =>
      rec({ action: 'create', field, new_value: `v-${field}`, request_id: 'create-req' }),
    );
    const edit = [
      rec({ field: 'owner', old_value: null, new_value: 'network team', request_id: 'edit-req' }),
      rec({ field: 'idc', old_value: 'bj1', new_value: 'bj2', request_id: 'edit-req' }),
    ];
    const asc = groupChanges([...created, ...edit]);
    expect(asc.map((g) => [g.action, g.fields.map((f) => f.field)])).toEqual([
      ['create', ['tag', 'state', 'type', 'name', 'serial']],
      ['update', ['owner', 'idc']],
    ]);
    const desc = groupChanges([...created, ...edit].reverse());
    expect(desc.map((g) => [g.action, g.fields.map((f) => f.field)])).toEqual([
      ['update', ['owner', 'idc']],
      ['create', ['tag', 'state', 'type', 'name', 'serial']],
    ]);
    expect(desc[1].fields[3]).toEqual({ field: 'name', old_value: null, new_value: 'v-name' });
  });

  it('keeps apart what other requests, actions or components did; without a request id, one moment and actor make a change', () => {
    const groups = groupChanges([
      rec({ request_id: 'a', field: 'name' }),
      rec({ request_id: 'a', action: 'transition', field: 'state' }),
      rec({ request_id: 'b', field: 'name' }),
      rec({ request_id: 'b', field: 'notes', component_id: 'c1' }),
      rec({ request_id: null, field: 'name', at: 't1' }),
      rec({ request_id: null, field: 'idc', at: 't1' }),
      rec({ request_id: null, field: 'idc', at: 't1', actor_id: 'u2' }),
    ]);
    expect(groups.map((g) => g.fields.length)).toEqual([1, 1, 1, 1, 2, 1]);
  });
});
