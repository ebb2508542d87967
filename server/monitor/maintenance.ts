/** Maintenance windows: while one covers a host (directly or through a host group), its problems are recorded but nobody is notified. */
import { randomUUID } from 'node:crypto';
import { notFound } from '../errors.js';
import { keyOrder, keyset, timestamp, uuid, type Page } from '../keyset.js';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import type { GroupsOfHost } from './template-store.js';

/** The orders maintenance windows can be listed in (keyset pages). */
export const MAINTENANCE_ORDER = keyOrder({ sorts: { starts_at: timestamp('starts_at') }, defaultSort: '-starts_at', id: uuid('id') });

interface MaintenanceRow {
  id: string;
  name: string;
  host_id: string | null;
  host_group_id: string | null;
  starts_at: Date;
  ends_at: Date;
  created_at: Date;
  created_by: string;
}

export type MaintenanceRecord = RecordOf<MaintenanceRow>;

/** A window as its change rows hold it (stored JSON, in the API's spelling). */
const windowSnapshot = (w: MaintenanceRecord) => ({
  id: w.id,
  name: w.name,
  host_id: w.hostId,
  host_group_id: w.hostGroupId,
  starts_at: w.startsAt,
  ends_at: w.endsAt,
  created_at: w.createdAt,
  created_by: w.createdBy,
});

export class MaintenanceStore {
  constructor(
    private readonly db: Db,
    private readonly groupsOfHost: GroupsOfHost,
  ) {}

  async active(hostId: string, at = new Date()): Promise<boolean> {
    const groups = await this.groupsOfHost(hostId);
    const r = await this.db.query(
      'SELECT 1 FROM monitor_maintenance WHERE starts_at <= $2 AND ends_at > $2 AND (host_id = $1 OR host_group_id = ANY($3::uuid[])) LIMIT 1',
      [hostId, at, groups],
    );
    return r.rows.length > 0;
  }

  /** One page of windows (keyset on `page`, one row more than its limit); `current`: not over yet. */
  async list(page: Page, current?: boolean): Promise<MaintenanceRecord[]> {
    const params: unknown[] = [];
    const ks = keyset(page, params);
    const r = await this.db.query<MaintenanceRow>(
      `SELECT * FROM monitor_maintenance WHERE ${current ? 'ends_at > now()' : 'true'} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(r.rows);
  }

  async create(
    w: { name: string; hostId?: string; hostGroupId?: string; startsAt: Date; endsAt: Date },
    createdBy: string,
    actor: ChangeActor,
  ): Promise<MaintenanceRecord> {
    return this.db.tx(async (q) => {
      const r = await q.query<MaintenanceRow>(
        'INSERT INTO monitor_maintenance (id, name, host_id, host_group_id, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
        [randomUUID(), w.name, w.hostId ?? null, w.hostGroupId ?? null, w.startsAt, w.endsAt, createdBy],
      );
      const made = recordOf(r.rows[0]);
      await recordObjectChanges(q, actor, [changeOf('maintenance_window', made.id, null, windowSnapshot(made))]);
      return made;
    });
  }

  async remove(id: string, actor: ChangeActor): Promise<MaintenanceRecord> {
    return this.db.tx(async (q) => {
      const r = await q.query<MaintenanceRow>('DELETE FROM monitor_maintenance WHERE id = $1 RETURNING *', [id]);
      if (!r.rows[0]) throw notFound('maintenance window', 'MAINTENANCE_NOT_FOUND');
      const gone = recordOf(r.rows[0]);
      await recordObjectChanges(q, actor, [changeOf('maintenance_window', id, windowSnapshot(gone), null)]);
      return gone;
    });
  }
}
