/**
 * The audit trail: one append-only row per request that changes something, and per login. The
 * router tells it about every finished request; it keeps the ones that matter and writes them in
 * small batches (one insert for many rows), so a busy API costs the database little. Refusals
 * (401, 403, 429), reads included, are kept too, but counted rather than written one by one: the
 * first from an address (for one caller, route and code) is written at once, the ones that follow
 * within a minute become one row carrying their count, so a flood cannot fill the table.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Principal } from './principal.js';
import type { Db } from '../store/db.js';
import { storable } from '../../protocol/storable-text.js';
import { keyOrder, keyset, int, timestamp, type Page } from '../keyset.js';
import { snakeName } from '../names.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';

/** The orders audit records can be listed in (keyset pages). */
export const AUDIT_ORDER = keyOrder({ sorts: { at: timestamp('at') }, defaultSort: '-at', id: int('id') });

/** A row of audit_log. */
interface AuditLogRow {
  id: number;
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

export type AuditRecord = RecordOf<AuditLogRow>;

/** A record not yet written: the database numbers it. */
export type AuditEntry = Omit<AuditRecord, 'id'>;

/** What the trail keeps of a finished API request (the router's FinishedRequest is one). */
export interface AuditedRequest {
  requestId: string;
  method: string;
  path: string;
  /** The matched route's template, none when no route answered. */
  route: { path: string } | undefined;
  /** Params of the matched route (resource ids). */
  params: Record<string, string>;
  principal: Principal | null;
  remoteAddress: string;
  status: number;
  errorCode: string | null;
  durationMs: number;
  /** What the handler added with ctx.audit(). */
  detail: Record<string, unknown> | null;
}

/**
 * Which requests leave a record, and how: every request to a route that is not a read (POST, PUT,
 * PATCH, DELETE) one row each, whatever its outcome; refusals (401, 403, 429 — failed and throttled
 * logins, bad credentials, missing scopes, rate limits), reads included, counted per address
 * ('refusal'). Not kept: other reads, paths no route answers, and accepted metric intake.
 */
export function auditKind(done: Pick<AuditedRequest, 'method' | 'route' | 'status'>): 'each' | 'refusal' | null {
  if (done.route === undefined) return null;
  if (REFUSALS.has(done.status)) return 'refusal';
  // Metric intake (Telegraf every few seconds) is data, not a change: only its refusals are kept.
  if (done.route.path === METRIC_INTAKE_ROUTE && done.status < 400) return null;
  return done.method === 'GET' || done.method === 'HEAD' ? null : 'each';
}

const METRIC_INTAKE_ROUTE = '/api/v1/write';
const REFUSALS: ReadonlySet<number> = new Set([401, 403, 429]);
/** Refusals of one kind from one address within this long share a row after the first. */
const REFUSAL_WINDOW_MS = 60_000;
/** Open refusal counts kept at most; past it the oldest is written out early. */
const MAX_TALLIES = 10_000;

interface RefusalTally {
  first: AuditEntry;
  last: AuditEntry;
  repeated: number;
}

const tallyKey = (r: AuditEntry) => [r.remoteAddress, r.actorKind, r.actorId, r.method, r.route, r.status, r.errorCode].join('\0');

export function auditEntry(done: AuditedRequest, at = new Date()): AuditEntry {
  const p = done.principal;
  return {
    at,
    requestId: done.requestId,
    actorKind: p ? p.kind : 'anonymous',
    actorId: p ? p.id : null,
    actorName: p ? p.name : null,
    method: done.method,
    path: done.path.slice(0, 2048),
    route: done.route?.path ?? null,
    resource: done.params,
    detail: done.detail ?? {},
    status: done.status,
    errorCode: done.errorCode,
    remoteAddress: done.remoteAddress,
    durationMs: Math.round(done.durationMs * 100) / 100,
  };
}

/**
 * A change an agent made by what it sent (not through the API): recorded with the agent as actor and
 * `route` naming the event, so the trail answers "who changed this" for agent-side changes too.
 */
export function agentEventEntry(agent: { agentId: string; remote: string }, event: string, detail: Record<string, unknown>, at = new Date()): AuditEntry {
  return {
    at,
    requestId: randomBytes(9).toString('base64url'),
    actorKind: 'agent',
    actorId: agent.agentId,
    actorName: null,
    method: 'WS',
    path: '/agent',
    route: event,
    resource: { agent_id: agent.agentId },
    detail,
    status: 200,
    errorCode: null,
    remoteAddress: agent.remote,
    durationMs: 0,
  };
}

const FIELDS = [
  'at',
  'requestId',
  'actorKind',
  'actorId',
  'actorName',
  'method',
  'path',
  'route',
  'resource',
  'detail',
  'status',
  'errorCode',
  'remoteAddress',
  'durationMs',
] as const satisfies readonly (keyof AuditEntry)[];
const COLUMNS = FIELDS.map(snakeName).join(', ');

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
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly tallies = new Map<string, RefusalTally>();
  private tallyTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: { flushMs?: number; batchRows?: number; maxQueue?: number } = {},
  ) {}

  /** Give this to router.observe(). */
  readonly observe = (done: AuditedRequest): void => {
    const kind = auditKind(done);
    if (kind === 'each') this.append(auditEntry(done));
    else if (kind === 'refusal') this.refused(auditEntry(done));
  };

  private refused(row: AuditEntry): void {
    const key = tallyKey(row);
    const open = this.tallies.get(key);
    if (open && row.at.getTime() - open.first.at.getTime() < REFUSAL_WINDOW_MS) {
      open.repeated++;
      open.last = row;
      return;
    }
    if (open) this.closeTally(key, open);
    if (this.tallies.size >= MAX_TALLIES) {
      const [oldest, tally] = this.tallies.entries().next().value!;
      this.closeTally(oldest, tally);
    }
    this.tallies.set(key, { first: row, last: row, repeated: 0 });
    this.append(row);
    this.tallyTimer ??= setTimeout(() => this.closeTallies(Date.now() - REFUSAL_WINDOW_MS), REFUSAL_WINDOW_MS);
  }

  /** The repeats of a refusal as one row: the last one's request, with their count and when they began. */
  private closeTally(key: string, t: RefusalTally): void {
    this.tallies.delete(key);
    if (t.repeated) this.append({ ...t.last, detail: { ...t.last.detail, repeated: t.repeated, since: t.first.at.toISOString() } });
  }

  /** Writes out the counts of refusals whose window opened before `openedBefore` (all by default). */
  private closeTallies(openedBefore = Infinity): void {
    clearTimeout(this.tallyTimer);
    this.tallyTimer = undefined;
    for (const [key, t] of this.tallies) if (t.first.at.getTime() <= openedBefore) this.closeTally(key, t);
    if (this.tallies.size && !this.closed) this.tallyTimer = setTimeout(() => this.closeTallies(Date.now() - REFUSAL_WINDOW_MS), REFUSAL_WINDOW_MS / 4);
  }

  append(row: AuditEntry): void {
    const max = this.opts.maxQueue ?? 50_000;
    if (this.queue.length >= max) {
      // The database has been failing for a while: keep the record in the log rather than lose it.
      this.log.error({ audit: this.queue.shift() }, 'audit queue full: record written to the log only');
    }
    this.queue.push(row);
    if (this.queue.length >= (this.opts.batchRows ?? 200)) void this.writeQueued();
    else this.timer ??= setTimeout(() => void this.writeQueued(), this.opts.flushMs ?? 100);
  }

  /**
   * Writes what is known, refusals still being counted included (a reader of the trail sees them
   * now; a refusal after this opens a new count); resolves when it is stored (or logged as lost).
   */
  flush(): Promise<void> {
    this.closeTallies();
    return this.writeQueued();
  }

  /** Writes what is queued; resolves when every record queued before the call is stored (or logged as lost). */
  private writeQueued(): Promise<void> {
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

  private async write(rows: AuditEntry[]): Promise<void> {
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
  private async writeOneByOne(rows: AuditEntry[], batchErr: unknown): Promise<void> {
    const failed: AuditEntry[] = [];
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
      this.timer ??= setTimeout(() => void this.writeQueued(), 1000);
      return;
    }
    for (const audit of failed) this.log.error({ err: batchErr, audit }, 'audit write failed: record written to the log only');
  }

  private async insert(rows: AuditEntry[]): Promise<void> {
    const params: unknown[] = [];
    const tuples = rows.map((row) => {
      const slots = FIELDS.map((f) => {
        const v = row[f];
        params.push(f === 'resource' || f === 'detail' ? JSON.stringify(storable(v)) : storable(v));
        return `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    await this.db.query(`INSERT INTO audit_log (${COLUMNS}) VALUES ${tuples.join(', ')}`, params);
  }

  async get(id: number): Promise<AuditRecord | undefined> {
    const { rows } = await this.db.query<AuditLogRow>(`SELECT id, ${COLUMNS} FROM audit_log WHERE id = $1`, [id]);
    return rows[0] && recordOf(rows[0]);
  }

  async list(page: Page, f: AuditFilter): Promise<AuditRecord[]> {
    const params: unknown[] = [
      f.actorKind ?? null,
      f.actorId ?? null,
      f.method ?? null,
      f.route ?? null,
      f.status ?? null,
      f.errorCode ?? null,
      f.requestId ?? null,
      f.since ?? null,
      f.until ?? null,
    ];
    const ks = keyset(page, params);
    const { rows } = await this.db.query<AuditLogRow>(
      `SELECT id, ${COLUMNS}
         FROM audit_log
        WHERE ($1::text IS NULL OR actor_kind = $1) AND ($2::text IS NULL OR actor_id = $2) AND ($3::text IS NULL OR method = $3)
          AND ($4::text IS NULL OR route = $4) AND ($5::int IS NULL OR status = $5) AND ($6::text IS NULL OR error_code = $6)
          AND ($7::text IS NULL OR request_id = $7) AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
          AND ${ks.where}
        ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(rows);
  }
}
