/**
 * The audit trail: one append-only row per request that changes something, and per login. The
 * router tells it about every finished request; it keeps the ones that matter and writes them in
 * small batches (one insert for many rows), so a busy API costs the database little.
 */
import { randomBytes } from 'node:crypto';
import type { FinishedRequest, RequestObserver } from '../http/router.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { storable } from '../store/storable-text.js';
import { keyset, type Page } from '../http/pagination.js';

export interface AuditRow {
  at: Date;
  request_id: string;
  actor_kind: 'user' | 'api_key' | 'agent' | 'anonymous' | 'system';
  actor_id: string | null;
  actor_name: string | null;
  method: string;
  path: string;
  route: string | null;
  resource: Record<string, string>;
  detail: Record<string, unknown>;
  status: number;
  error_code: string | null;
  remote_address: string;
  duration_ms: number;
}

export interface AuditRecord extends AuditRow {
  id: number;
}

/**
 * Which requests leave a record: every request to a route that is not a read (POST, PUT, PATCH,
 * DELETE), whatever its outcome: a refused attempt to change something is worth knowing about too.
 * Not kept: reads, paths no route answers (nothing could change) and requests refused by a rate
 * limit (a flood must not turn into a flood of rows), and accepted metric intake.
 */
export function shouldAudit(done: Pick<FinishedRequest, 'method' | 'route' | 'status'>): boolean {
  // Metric intake (Telegraf every few seconds) is data, not a change: only its refusals are kept.
  if (done.route?.path === METRIC_INTAKE_ROUTE && done.status < 400) return false;
  return done.method !== 'GET' && done.route !== undefined && done.status !== 429;
}

const METRIC_INTAKE_ROUTE = '/api/v1/write';

export function auditRow(done: FinishedRequest, at = new Date()): AuditRow {
  const p = done.principal;
  return {
    at,
    request_id: done.requestId,
    actor_kind: p ? p.kind : 'anonymous',
    actor_id: p ? p.id : null,
    actor_name: p ? p.name : null,
    method: done.method,
    path: done.path.slice(0, 2048),
    route: done.route?.path ?? null,
    resource: done.params,
    detail: done.detail ?? {},
    status: done.status,
    error_code: done.errorCode,
    remote_address: done.remoteAddress,
    duration_ms: Math.round(done.durationMs * 100) / 100,
  };
}

/**
 * A change an agent made by what it sent (not through the API): recorded with the agent as actor and
 * `route` naming the event, so the trail answers "who changed this" for agent-side changes too.
 */
export function agentEventRow(agent: { agentId: string; remote: string }, event: string, detail: Record<string, unknown>, at = new Date()): AuditRow {
  return {
    at, request_id: randomBytes(9).toString('base64url'), actor_kind: 'agent', actor_id: agent.agentId, actor_name: null, method: 'WS', path: '/agent', route: event,
    resource: { agent_id: agent.agentId }, detail, status: 200, error_code: null, remote_address: agent.remote, duration_ms: 0,
  };
}

const FIELDS = [
  'at', 'request_id', 'actor_kind', 'actor_id', 'actor_name', 'method', 'path', 'route', 'resource', 'detail',
  'status', 'error_code', 'remote_address', 'duration_ms',
] as const;

export interface AuditFilter {
  actorKind?: string;
  actorId?: string;
  method?: string;
  route?: string;
  status?: number;
  errorCode?: string;
  requestId?: string;
  since?: Date | null;
  until?: Date | null;
}

export class AuditTrail {
  private queue: AuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: { flushMs?: number; batchRows?: number; maxQueue?: number } = {},
  ) {}

  /** Give this to router.observe(). */
  readonly observe: RequestObserver = (done) => {
    if (shouldAudit(done)) this.append(auditRow(done));
  };

  append(row: AuditRow): void {
    const max = this.opts.maxQueue ?? 50_000;
    if (this.queue.length >= max) {
      // The database has been failing for a while: keep the record in the log rather than lose it.
      this.log.error({ audit: this.queue.shift() }, 'audit queue full: record written to the log only');
    }
    this.queue.push(row);
    if (this.queue.length >= (this.opts.batchRows ?? 200)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 100);
  }

  /** Writes what is queued; resolves when every record queued before the call is stored (or logged as lost). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.queue;
    this.queue = [];
    this.writing = this.writing.then(() => (rows.length ? this.write(rows) : undefined));
    return this.writing;
  }

  /** Writes what is queued; records that still cannot be stored go to the log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async write(rows: AuditRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      try {
        await this.insert(chunk);
      } catch (err) {
        await this.writeOneByOne(chunk, err);
      }
    }
  }

  /** A batch failed: one row the database refuses must not sink the others, and an outage must not lose them. */
  private async writeOneByOne(rows: AuditRow[], batchErr: unknown): Promise<void> {
    const failed: AuditRow[] = [];
    for (const row of rows) {
      try {
        await this.insert([row]);
      } catch {
        failed.push(row);
      }
    }
    if (!failed.length) return;
    const max = this.opts.maxQueue ?? 50_000;
    if (!this.closed && failed.length === rows.length && this.queue.length + failed.length <= max) {
      this.log.warn({ err: batchErr, rows: failed.length }, 'audit write failed; retrying in a second');
      this.queue.unshift(...failed);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
      return;
    }
    for (const audit of failed) this.log.error({ err: batchErr, audit }, 'audit write failed: record written to the log only');
  }

  private async insert(rows: AuditRow[]): Promise<void> {
    const params: unknown[] = [];
    const tuples = rows.map((row) => {
      const slots = FIELDS.map((f) => {
        const v = row[f];
        params.push(f === 'resource' || f === 'detail' ? JSON.stringify(storable(v)) : storable(v));
        return `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    await this.db.query(`INSERT INTO audit_log (${FIELDS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }

  async list(page: Page, f: AuditFilter): Promise<AuditRecord[]> {
    const params: unknown[] = [
      f.actorKind ?? null, f.actorId ?? null, f.method ?? null, f.route ?? null, f.status ?? null, f.errorCode ?? null,
      f.requestId ?? null, f.since ?? null, f.until ?? null,
    ];
    const ks = keyset(page, params);
    const { rows } = await this.db.query<AuditRecord>(
      `SELECT id, at, request_id, actor_kind, actor_id, actor_name, method, path, route, resource, detail, status, error_code,
              remote_address, duration_ms
         FROM audit_log
        WHERE ($1::text IS NULL OR actor_kind = $1) AND ($2::text IS NULL OR actor_id = $2) AND ($3::text IS NULL OR method = $3)
          AND ($4::text IS NULL OR route = $4) AND ($5::int IS NULL OR status = $5) AND ($6::text IS NULL OR error_code = $6)
          AND ($7::text IS NULL OR request_id = $7) AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
          AND ${ks.where}
        ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return rows;
  }
}
