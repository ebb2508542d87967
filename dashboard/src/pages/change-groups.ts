/**
 * The asset timeline reads one entry per change, not per field: the API answers a record per changed
 * field, and the records one request made (a create writes a dozen) share its request id. Pure, so
 * it is tested without a browser (test/dashboard/change-groups.test.ts).
 */
export interface ChangeRecordView {
  id: number;
  action: string;
  field: string;
  old_value: unknown;
  new_value: unknown;
  actor_kind: string;
  actor_id: string;
  source: string;
  reason: string | null;
  request_id: string | null;
  component_id?: string | null;
  at: string;
}

export interface ChangeGroup {
  /** The first record's id: stable across reloads, a key for the list. */
  id: number;
  action: string;
  at: string;
  actor_kind: string;
  source: string;
  reason: string | null;
  fields: Array<{ field: string; old_value: unknown; new_value: unknown }>;
}

/** Records of one request, action and component; without a request id, those of one moment and actor. */
const groupKey = (c: ChangeRecordView) => [c.request_id ?? `${c.at}|${c.actor_kind}|${c.actor_id}`, c.action, c.component_id ?? ''].join('|');

/** Groups neighbouring records (the list's order is kept: newest or oldest first as the API answered). */
export function groupChanges(records: readonly ChangeRecordView[]): ChangeGroup[] {
  const groups: ChangeGroup[] = [];
  let lastKey: string | undefined;
  for (const c of records) {
    const key = groupKey(c);
    const field = { field: c.field, old_value: c.old_value, new_value: c.new_value };
    if (key === lastKey) groups[groups.length - 1].fields.push(field);
    else groups.push({ id: c.id, action: c.action, at: c.at, actor_kind: c.actor_kind, source: c.source, reason: c.reason, fields: [field] });
    lastKey = key;
  }
  // Newest-first pages list a change's fields backwards: show them in the order they were written.
  for (const g of groups) if (g.fields.length > 1 && records.length > 1 && records[0].id > records[records.length - 1].id) g.fields.reverse();
  return groups;
}
