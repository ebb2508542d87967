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
import { bucketsTouched } from '../store/series/tiers.js';
import { SLOT_MS, availabilityPct, foldInto, overlapMs, periodsBetween, tallyPeriod, type Period, type SlotStats, type UpWhen } from './availability.js';

export interface Service {
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
export type ServiceFields = Pick<Service, 'name' | 'description' | 'host_ids' | 'check_keys' | 'up_when' | 'sla_target'>;

export interface CostlyIncident {
  id: string;
  title: string;
  host_id: string;
  priority: string | null;
  state: string;
  opened_at: Date;
  resolved_at: Date | null;
  /** Time the incident was open while the service was down, in this period. */
  down_overlap_s: number;
}

export interface PeriodAvailability {
  start: Date;
  end: Date;
  up_s: number;
  down_s: number;
  unknown_s: number;
  availability_pct: number | null;
  /** null while nothing of the period is known. */
  met: boolean | null;
  /** Slot width the history was judged by (60 s from the 1 min tier; wider for older history). */
  resolution_s: number;
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
    return (await this.db.query<Service>(`SELECT ${COLUMNS} FROM itil_services ORDER BY name LIMIT 5000`)).rows;
  }

  async get(id: string, q: Queryable = this.db): Promise<Service> {
    const s = (await q.query<Service>(`SELECT ${COLUMNS} FROM itil_services WHERE id = $1`, [id])).rows[0];
    if (!s) throw serviceNotFound();
    return s;
  }

  async create(f: ServiceFields, by: string): Promise<Service> {
    return this.db.tx(async (q) => {
      await checkFields(q, f);
      return (
        await q.query<Service>(
          `INSERT INTO itil_services (id, name, description, host_ids, check_keys, up_when, sla_target, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
          [randomUUID(), f.name, f.description, f.host_ids, f.check_keys, f.up_when, f.sla_target, by],
        )
      ).rows[0];
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
      return (
        await q.query<Service>(
          `UPDATE itil_services SET name = $2, description = $3, host_ids = $4, check_keys = $5, up_when = $6, sla_target = $7,
                updated_at = now(), version = version + 1 WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, f.name, f.description, f.host_ids, f.check_keys, f.up_when, f.sla_target],
        )
      ).rows[0];
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
    const members = s.host_ids.flatMap((hostId) => s.check_keys.map((key) => ({ hostId, name: `${key}.status` })));
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
      const t = tallyPeriod(slots, s.up_when, start, end, width);
      const pct = availabilityPct(t);
      out.push({
        start: new Date(start),
        end: new Date(periodEnd),
        up_s: t.up_ms / 1000,
        down_s: t.down_ms / 1000,
        unknown_s: t.unknown_ms / 1000,
        availability_pct: pct,
        met: pct === null ? null : pct >= s.sla_target,
        resolution_s: width / 1000,
        down: t.down.map(([a, b]) => ({ start: new Date(a), end: new Date(b) })),
        incidents: await this.costlyIncidents(s, t.down),
      });
    }
    return out;
  }

  /** Incidents on the service's hosts open during any of the down runs, with how long they overlapped them. */
  private async costlyIncidents(s: Service, down: Array<[number, number]>): Promise<CostlyIncident[]> {
    if (!down.length) return [];
    const { rows } = await this.db.query<Omit<CostlyIncident, 'down_overlap_s'>>(
      `SELECT id, title, host_id, priority, state, opened_at, resolved_at FROM monitor_incidents
        WHERE host_id = ANY($1::uuid[]) AND opened_at < $3 AND coalesce(resolved_at, closed_at, 'infinity') > $2
        ORDER BY opened_at, id LIMIT 1000`,
      [s.host_ids, new Date(down[0][0]), new Date(down[down.length - 1][1])],
    );
    return rows
      .map((i) => {
        const open = new Date(i.opened_at).getTime();
        const close = i.resolved_at ? new Date(i.resolved_at).getTime() : Infinity;
        const ms = down.reduce((sum, [a, b]) => sum + overlapMs(open, close, a, b), 0);
        return { ...i, down_overlap_s: ms / 1000 };
      })
      .filter((i) => i.down_overlap_s > 0);
  }
}

async function checkFields(q: Queryable, f: ServiceFields, id?: string): Promise<void> {
  const members = new Set(f.host_ids).size * new Set(f.check_keys).size;
  if (members > MAX_MEMBERS) {
    throw new AppError('VALIDATION_FAILED', 'invalid', `${members} checks (hosts x check keys); a service has at most ${MAX_MEMBERS}`, {
      field: 'body.check_keys',
    });
  }
  if ((await countHosts(q, f.host_ids)) !== new Set(f.host_ids).size)
    throw new AppError('HOST_NOT_FOUND', 'invalid', 'body.host_ids names a host that does not exist', { field: 'body.host_ids' });
  const taken = await q.query('SELECT 1 FROM itil_services WHERE name = $1 AND id IS DISTINCT FROM $2', [f.name, id ?? null]);
  if (taken.rowCount) throw new AppError('SERVICE_EXISTS', 'conflict', `a service named "${f.name}" exists already`);
}
