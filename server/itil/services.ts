/**
 * Services and their availability (docs/itil.md): a service is every listed check on every listed
 * host; its availability per day, week or month is tallied from the checks' `<key>.status` history in
 * the metric store (rules in availability.ts), against its SLA target, with the incidents on its hosts
 * that overlap the time it was down.
 */
import { randomUUID } from 'node:crypto';
import { countHosts } from '../cmdb/hosts.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Queryable } from '../store/db.js';
import type { MetricStore } from '../store/metric-store.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { bucketsTouched } from '../store/series/tiers.js';
import { SLOT_MS, availabilityPct, foldInto, overlapMs, periodsBetween, tallyPeriod, type Period, type SlotStats, type UpWhen } from './availability.js';

interface ServiceRow {
  id: string;
  name: string;
  description: string;
  host_ids: string[];
  check_keys: string[];
  up_when: UpWhen;
  sla_target: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  version: number;
}
export type Service = RecordOf<ServiceRow>;
export type ServiceFields = Pick<Service, 'name' | 'description' | 'hostIds' | 'checkKeys' | 'upWhen' | 'slaTarget'>;

interface IncidentRow {
  id: string;
  title: string;
  host_id: string;
  priority: string | null;
  state: string;
  opened_at: Date;
  resolved_at: Date | null;
}

export interface CostlyIncident extends RecordOf<IncidentRow> {
  /** Time the incident was open while the service was down, in this period. */
  downOverlapS: number;
}

export interface PeriodAvailability {
  start: Date;
  end: Date;
  upS: number;
  downS: number;
  unknownS: number;
  availabilityPct: number | null;
  /** null while nothing of the period is known. */
  met: boolean | null;
  /** Slot width the history was judged by (60 s from the 1 min tier; wider for older history). */
  resolutionS: number;
  down: Array<{ start: Date; end: Date }>;
  incidents: CostlyIncident[];
}

/** Members (host x check) a service may have: each is one metric query per period. */
export const MAX_MEMBERS = 200;
/** Periods one availability answer may span. */
export const MAX_PERIODS = 400;

const COLUMNS = 'id, name, description, host_ids, check_keys, up_when, sla_target::float8 AS sla_target, created_at, created_by, updated_at, version';
const serviceNotFound = () => notFound('service', 'SERVICE_NOT_FOUND');

export class Services {
  constructor(
    private readonly db: Db,
    private readonly metrics: MetricStore,
  ) {}

  async list(): Promise<Service[]> {
    return recordsOf((await this.db.query<ServiceRow>(`SELECT ${COLUMNS} FROM itil_services ORDER BY name LIMIT 5000`)).rows);
  }

  async get(id: string, q: Queryable = this.db): Promise<Service> {
    const s = (await q.query<ServiceRow>(`SELECT ${COLUMNS} FROM itil_services WHERE id = $1`, [id])).rows[0];
    if (!s) throw serviceNotFound();
    return recordOf(s);
  }

  async create(f: ServiceFields, by: string): Promise<Service> {
    return this.db.tx(async (q) => {
      await checkFields(q, f);
      const { rows } = await q.query<ServiceRow>(
        `INSERT INTO itil_services (id, name, description, host_ids, check_keys, up_when, sla_target, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [randomUUID(), f.name, f.description, f.hostIds, f.checkKeys, f.upWhen, f.slaTarget, by],
      );
      return recordOf(rows[0]);
    });
  }

  /** Replaces the service's fields when `version` is still current (ETag/If-Match). */
  async update(id: string, f: ServiceFields, version: number | undefined): Promise<Service> {
    return this.db.tx(async (q) => {
      const cur = (await q.query<{ version: number }>('SELECT version FROM itil_services WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!cur) throw serviceNotFound();
      if (version !== undefined && cur.version !== version)
        throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the service changed since you read it');
      await checkFields(q, f, id);
      const { rows } = await q.query<ServiceRow>(
        `UPDATE itil_services SET name = $2, description = $3, host_ids = $4, check_keys = $5, up_when = $6, sla_target = $7,
                updated_at = now(), version = version + 1 WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, f.name, f.description, f.hostIds, f.checkKeys, f.upWhen, f.slaTarget],
      );
      return recordOf(rows[0]);
    });
  }

  async remove(id: string): Promise<void> {
    const r = await this.db.query('DELETE FROM itil_services WHERE id = $1', [id]);
    if (!r.rowCount) throw serviceNotFound();
  }

  /** Availability per period touching [from, to), up to now; the periods are whole UTC days, ISO weeks or months. */
  async availability(s: Service, period: Period, from: number, to: number, now = Date.now()): Promise<PeriodAvailability[]> {
    const periods = periodsBetween(period, from, to).filter(([start]) => start < now);
    if (periods.length > MAX_PERIODS) {
      throw new AppError('VALIDATION_FAILED', 'invalid', `the range spans ${periods.length} ${period}s; at most ${MAX_PERIODS}`, { field: 'query.from' });
    }
    const members = s.hostIds.flatMap((hostId) => s.checkKeys.map((key) => ({ hostId, name: `${key}.status` })));
    const out: PeriodAvailability[] = [];
    for (const [start, periodEnd] of periods) {
      const end = Math.min(periodEnd, now);
      const answers = await Promise.all(
        members.map((m) =>
          this.metrics.query({
            hostId: m.hostId,
            name: m.name,
            from: start,
            to: end - 1,
            maxPoints: bucketsTouched(start, end - 1, SLOT_MS),
          }),
        ),
      );
      // Raw points are judged by the minute, as their 1 min rollup would be; older history by its coarser bucket.
      const width = Math.max(SLOT_MS, ...answers.flatMap((series) => series.map((r) => r.stepMs)));
      const slots = answers.map((series) => {
        const m = new Map<number, SlotStats>();
        for (const r of series) for (const p of r.points) foldInto(m, p.t, width, p);
        return m;
      });
      const t = tallyPeriod(slots, s.upWhen, start, end, width);
      const pct = availabilityPct(t);
      out.push({
        start: new Date(start),
        end: new Date(periodEnd),
        upS: t.upMs / 1000,
        downS: t.downMs / 1000,
        unknownS: t.unknownMs / 1000,
        availabilityPct: pct,
        met: pct === null ? null : pct >= s.slaTarget,
        resolutionS: width / 1000,
        down: t.down.map(([a, b]) => ({ start: new Date(a), end: new Date(b) })),
        incidents: await this.costlyIncidents(s, t.down),
      });
    }
    return out;
  }

  /** Incidents on the service's hosts open during any of the down runs, with how long they overlapped them. */
  private async costlyIncidents(s: Service, down: Array<[number, number]>): Promise<CostlyIncident[]> {
    if (!down.length) return [];
    const { rows } = await this.db.query<IncidentRow>(
      `SELECT id, title, host_id, priority, state, opened_at, resolved_at FROM monitor_incidents
        WHERE host_id = ANY($1::uuid[]) AND opened_at < $3 AND coalesce(resolved_at, closed_at, 'infinity') > $2
        ORDER BY opened_at, id LIMIT 1000`,
      [s.hostIds, new Date(down[0][0]), new Date(down[down.length - 1][1])],
    );
    return recordsOf(rows)
      .map((i) => {
        const open = new Date(i.openedAt).getTime();
        const close = i.resolvedAt ? new Date(i.resolvedAt).getTime() : Infinity;
        const ms = down.reduce((sum, [a, b]) => sum + overlapMs(open, close, a, b), 0);
        return { ...i, downOverlapS: ms / 1000 };
      })
      .filter((i) => i.downOverlapS > 0);
  }
}

async function checkFields(q: Queryable, f: ServiceFields, id?: string): Promise<void> {
  const members = new Set(f.hostIds).size * new Set(f.checkKeys).size;
  if (members > MAX_MEMBERS) {
    throw new AppError('VALIDATION_FAILED', 'invalid', `${members} checks (hosts x check keys); a service has at most ${MAX_MEMBERS}`, {
      field: 'body.check_keys',
    });
  }
  if ((await countHosts(q, f.hostIds)) !== new Set(f.hostIds).size)
    throw new AppError('HOST_NOT_FOUND', 'invalid', 'body.host_ids names a host that does not exist', { field: 'body.host_ids' });
  const taken = await q.query('SELECT 1 FROM itil_services WHERE name = $1 AND id IS DISTINCT FROM $2', [f.name, id ?? null]);
  if (taken.rowCount) throw new AppError('SERVICE_EXISTS', 'conflict', `a service named "${f.name}" exists already`);
}
