/** Maintenance windows: while one covers a host (directly or through a host group), its problems are recorded but nobody is notified. */
import { randomUUID } from 'node:crypto';
import { notFound } from '../errors.js';
import { keyOrder, keyset, timestamp, uuid, type Page } from '../keyset.js';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db } from '../store/db.js';
import type { GroupsOfHost } from './template-store.js';

/** The orders maintenance windows can be listed in (keyset pages). */
export const MAINTENANCE_ORDER = keyOrder({ sorts: { starts_at: timestamp('starts_at') }, defaultSort: '-starts_at', id: uuid('id') });

export interface MaintenanceRecord {
  id: string;
  name: string;
  host_id: string | null;
  host_group_id: string | null;
  starts_at: Date;
  ends_at: Date;
  created_at: Date;
  created_by: string;
}

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
    return (
      await this.db.query<MaintenanceRecord>(
        `SELECT * FROM monitor_maintenance WHERE ${current ? 'ends_at > now()' : 'true'} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
        params,
      )
    ).rows;
  }

  async create(
    w: { name: string; hostId?: string; hostGroupId?: string; startsAt: Date; endsAt: Date },
    createdBy: string,
    actor: ChangeActor,
  ): Promise<MaintenanceRecord> {
    return this.db.tx(async (q) => {
      const r = await q.query<MaintenanceRecord>(
        'INSERT INTO monitor_maintenance (id, name, host_id, host_group_id, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
        [randomUUID(), w.name, w.hostId ?? null, w.hostGroupId ?? null, w.startsAt, w.endsAt, createdBy],
      );
      await recordObjectChanges(q, actor, [changeOf('maintenance_window', r.rows[0].id, null, r.rows[0])]);
      return r.rows[0];
    });
  }

  async remove(id: string, actor: ChangeActor): Promise<MaintenanceRecord> {
    return this.db.tx(async (q) => {
      const r = await q.query<MaintenanceRecord>('DELETE FROM monitor_maintenance WHERE id = $1 RETURNING *', [id]);
      if (!r.rows[0]) throw notFound('maintenance window', 'MAINTENANCE_NOT_FOUND');
      await recordObjectChanges(q, actor, [changeOf('maintenance_window', id, r.rows[0], null)]);
      return r.rows[0];
    });
  }
}
