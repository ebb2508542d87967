/**
 * Notifications: every problem, recovery and acknowledgement becomes one delivery row per channel
 * that wants its severity (the delivery log), and a worker sends due rows: webhooks as a JSON
 * POST signed with HMAC-SHA256, email over SMTP. A failed attempt is retried with exponential
 * backoff until `attempts` run out. Rows are claimed with SKIP LOCKED, so several server nodes
 * share the work without sending anything twice. Every connection goes through the egress policy
 * (no internal addresses unless allow-listed), and the delivery log records classified failures,
 * never what the remote end said.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { keyOrder, keyset, int, text, timestamp, uuid, type Page } from '../keyset.js';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { describeDeliveryFailure, describeHttpStatus } from './delivery-failure.js';
import { pinnedLookup, type EgressPolicy } from './egress-policy.js';
import { SEVERITIES, severityRank, type Severity } from './trigger-evaluate.js';

/** The orders channels can be listed in (keyset pages). */
export const CHANNEL_ORDER = keyOrder({ sorts: { name: text('name') }, defaultSort: 'name', id: uuid('id') });

/** The orders deliveries can be listed in (keyset pages). */
export const DELIVERY_ORDER = keyOrder({ sorts: { created_at: timestamp('created_at') }, defaultSort: '-created_at', id: int('id') });

/**
 * A channel as SELECT ${CHANNEL} returns it. Its secret (signing key or SMTP password) is not read:
 * it stays in the table, and only the sender reads it, with the delivery it sends.
 */
interface ChannelRow {
  id: string;
  name: string;
  kind: 'webhook' | 'email';
  settings: Record<string, unknown>;
  min_severity: Severity;
  enabled: boolean;
  created_at: Date;
  created_by: string;
  version: number;
}

export type ChannelRecord = RecordOf<ChannelRow>;

const CHANNEL = 'id, name, kind, settings, min_severity, enabled, created_at, created_by, version';

/** A channel as its change rows hold it (stored JSON, in the API's spelling), without its secret like every read. */
const channelSnapshot = (c: ChannelRecord) => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  settings: c.settings,
  min_severity: c.minSeverity,
  enabled: c.enabled,
  created_at: c.createdAt,
  created_by: c.createdBy,
  version: c.version,
});

/** A delivery as the log shows it (SELECT ${DELIVERY}): what was sent is left out. */
interface DeliveryRow {
  id: number;
  channel_id: string;
  problem_id: string | null;
  event: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export type DeliveryRecord = RecordOf<DeliveryRow>;

const DELIVERY = 'id, channel_id, problem_id, event, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at';

/** A delivery claimed for sending: its body, and its channel with the secret (the channel row as JSON). */
interface DueDeliveryRow extends DeliveryRow {
  body: Record<string, unknown>;
  channel: { name: string; kind: 'webhook' | 'email'; settings: Record<string, unknown>; secret: string };
}

type DueDelivery = RecordOf<DueDeliveryRow>;

export interface NotifierOptions {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** Which addresses webhooks and SMTP servers may have. */
  egress: EgressPolicy;
}

/** What a notification says: the event and the problem it is about. */
export interface NotificationEvent {
  event: 'problem' | 'recovery' | 'acknowledge';
  severity: Severity;
  problemId: string;
  body: Record<string, unknown>;
}

export const channelNotFound = () => notFound('notification channel', 'CHANNEL_NOT_FOUND');

/** `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the time is signed too, so a captured body cannot be replayed later. */
export function signWebhook(secret: string, body: string, unixS: number): string {
  return `t=${unixS},v1=${createHmac('sha256', secret).update(`${unixS}.${body}`).digest('hex')}`;
}

/** Delay before attempt n+1 after n failed ones: base·2^(n-1), at most an hour. */
export const retryDelayMs = (failedAttempts: number, baseMs: number): number => Math.min(3_600_000, baseMs * 2 ** Math.max(0, failedAttempts - 1));

const WORK_MS = 1000;

export class Notifier {
  private timer: NodeJS.Timeout | undefined;
  private working: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: NotifierOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), WORK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.working;
  }

  /** Queues the event for every enabled channel that wants its severity; returns how many deliveries. */
  async enqueue(e: NotificationEvent): Promise<number> {
    const r = await this.db.query(
      `INSERT INTO monitor_deliveries (channel_id, problem_id, event, body)
       SELECT id, $1, $2, $3 FROM monitor_channels WHERE enabled AND min_severity = ANY($4)`,
      [e.problemId, e.event, JSON.stringify(e.body), SEVERITIES.slice(0, severityRank(e.severity) + 1)],
    );
    if (r.rowCount) this.kick();
    return r.rowCount;
  }

  /** Queues one event for one named channel (an escalation), whatever its severity floor; false when it is disabled or gone. */
  async enqueueTo(channelId: string, event: string, body: Record<string, unknown>, q: Queryable = this.db): Promise<boolean> {
    const r = await q.query(`INSERT INTO monitor_deliveries (channel_id, event, body) SELECT id, $2, $3 FROM monitor_channels WHERE id = $1 AND enabled`, [
      channelId,
      event,
      JSON.stringify(body),
    ]);
    return r.rowCount > 0;
  }

  /**
   * Queues a test notification for one channel, enabled or not (so a channel can be tried before it
   * is switched on); the delivery log shows whether it arrived. The delivery's id, or null when the
   * channel is gone.
   */
  async enqueueTest(channelId: string, requestedBy: string): Promise<number | null> {
    const body = {
      test: true,
      requested_by: requestedBy,
      message: 'AutoWatch test notification: this channel works.',
      problem: { name: 'Test notification', severity: 'info' },
      host: { hostname: 'autowatch' },
    };
    const r = await this.db.query<{ id: string }>(
      `INSERT INTO monitor_deliveries (channel_id, event, body) SELECT id, 'test', $2 FROM monitor_channels WHERE id = $1 RETURNING id`,
      [channelId, JSON.stringify(body)],
    );
    if (!r.rows.length) return null;
    this.kick();
    return Number(r.rows[0].id);
  }

  /** Sends what is due now (and again if more became due meanwhile). */
  kick(): void {
    if (this.stopped) return;
    if (this.working) {
      this.again = true;
      return;
    }
    this.working = this.work()
      .catch((err) => this.log.warn({ err }, 'notification worker failed; retrying'))
      .finally(() => {
        this.working = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async work(): Promise<void> {
    for (;;) {
      // Claim a few due rows by pushing their next attempt out; a node that dies mid-send leaves them to be retried.
      const due = await this.db.query<DueDeliveryRow>(
        `WITH due AS (
           SELECT id FROM monitor_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED)
         UPDATE monitor_deliveries d SET next_attempt_at = now() + make_interval(secs => $1::double precision / 1000)
         FROM due WHERE d.id = due.id
         RETURNING d.*, (SELECT to_jsonb(c) FROM monitor_channels c WHERE c.id = d.channel_id) AS channel`,
        [this.opts.timeoutMs * 3],
      );
      if (!due.rows.length) return;
      await Promise.all(recordsOf(due.rows).map((d) => this.attempt(d)));
      if (this.stopped) return;
    }
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const attempts = d.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    let cause: unknown;
    try {
      status = d.channel.kind === 'webhook' ? await this.sendWebhook(d) : await this.sendEmail(d);
    } catch (err: any) {
      error = describeDeliveryFailure(err);
      cause = err;
    }
    const ok = error === null && status !== null && status >= 200 && status < 300;
    if (!ok && error === null) error = describeHttpStatus(status!);
    if (ok) {
      await this.db.query(
        `UPDATE monitor_deliveries SET state = 'delivered', attempts = $2, last_status = $3, last_error = NULL, delivered_at = now() WHERE id = $1`,
        [d.id, attempts, status],
      );
      return;
    }
    const give_up = attempts >= this.opts.attempts;
    // The server log (admins only) keeps the remote's own words; the delivery log does not.
    this.log.warn(
      { delivery: d.id, channel: d.channel.name, attempts, error, cause: cause && String((cause as Error).message ?? cause).slice(0, 500) },
      give_up ? 'notification failed for good' : 'notification failed; will retry',
    );
    await this.db.query(
      `UPDATE monitor_deliveries SET state = $2, attempts = $3, last_status = $4, last_error = $5,
         next_attempt_at = now() + make_interval(secs => $6::double precision / 1000) WHERE id = $1`,
      [d.id, give_up ? 'failed' : 'pending', attempts, status, error, retryDelayMs(attempts, this.opts.backoffMs)],
    );
  }

  /** One POST to a checked address; a redirect is an answer like any other, never followed. */
  private async sendWebhook(d: DueDelivery): Promise<number> {
    const url = new URL(String(d.channel.settings.url));
    const addresses = await this.opts.egress.resolve(url.hostname);
    const body = JSON.stringify({ delivery_id: d.id, event: d.event, ...d.body });
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'AutoWatch-Webhook/1',
            'x-autowatch-event': d.event,
            'x-autowatch-delivery': String(d.id),
            'x-autowatch-signature': signWebhook(d.channel.secret, body, Math.floor(Date.now() / 1000)),
          },
          // A socket of its own, connected through the pinned lookup: no pooled socket skips the check.
          agent: false,
          lookup: pinnedLookup(addresses),
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        },
        (res) => {
          res.on('error', reject);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.resume();
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private async sendEmail(d: DueDelivery): Promise<number> {
    const s = d.channel.settings as { smtp_host: string; smtp_port: number; secure?: boolean; username?: string; from: string; to: string[] };
    const [checked] = await this.opts.egress.resolve(s.smtp_host);
    const transport = nodemailer.createTransport({
      // The checked address, so nodemailer resolves nothing itself; certificates are still checked against the name.
      host: checked.address,
      tls: isIP(s.smtp_host) ? undefined : { servername: s.smtp_host },
      port: s.smtp_port,
      secure: !!s.secure,
      auth: s.username ? { user: s.username, pass: d.channel.secret } : undefined,
      connectionTimeout: this.opts.timeoutMs,
      socketTimeout: this.opts.timeoutMs,
    });
    const b = d.body as { problem?: { name?: string; severity?: string }; host?: { hostname?: string } };
    const subject = `[AutoWatch ${d.event.toUpperCase()}] ${b.problem?.severity ?? ''} ${b.problem?.name ?? ''} on ${b.host?.hostname ?? '?'}`.replace(
      /\s+/g,
      ' ',
    );
    try {
      await transport.sendMail({ from: s.from, to: s.to, subject, text: JSON.stringify({ event: d.event, ...d.body }, null, 2) });
    } finally {
      transport.close();
    }
    return 250; // SMTP "accepted"; counted as success like a 2xx
  }

  // --- channels and the delivery log -----------------------------------------------------------

  /** One page of channels (keyset on `page`, one row more than its limit). */
  async listChannels(page: Page): Promise<ChannelRecord[]> {
    const params: unknown[] = [];
    const ks = keyset(page, params);
    const r = await this.db.query<ChannelRow>(`SELECT ${CHANNEL} FROM monitor_channels WHERE ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`, params);
    return recordsOf(r.rows);
  }

  async getChannel(id: string): Promise<ChannelRecord> {
    const r = await this.db.query<ChannelRow>(`SELECT ${CHANNEL} FROM monitor_channels WHERE id = $1`, [id]);
    if (!r.rows[0]) throw channelNotFound();
    return recordOf(r.rows[0]);
  }

  /** Early word for the operator: a target the egress policy refuses whatever DNS says (deliveries check again as they connect). */
  checkTarget(settings: Record<string, unknown>): void {
    const field = 'url' in settings ? 'body.settings.url' : 'body.settings.smtp_host';
    let host = String(settings.smtp_host);
    if ('url' in settings) {
      try {
        host = new URL(String(settings.url)).hostname;
      } catch {
        throw new AppError('VALIDATION_FAILED', 'invalid', 'body.settings.url is not a URL', { field });
      }
    }
    if (this.opts.egress.refusesOutright(host)) {
      throw new AppError(
        'CHANNEL_TARGET_FORBIDDEN',
        'invalid',
        `${host} is an internal address; notifications may not reach it unless an admin allow-lists its network (AW_NOTIFY_ALLOW_NETWORKS)`,
        { field },
      );
    }
  }

  async createChannel(
    c: { name: string; kind: 'webhook' | 'email'; settings: Record<string, unknown>; secret: string; minSeverity: Severity; enabled: boolean },
    createdBy: string,
    actor: ChangeActor,
  ): Promise<ChannelRecord> {
    this.checkTarget(c.settings);
    return this.db.tx(async (q) => {
      const r = await q
        .query<ChannelRow>(
          `INSERT INTO monitor_channels (id, name, kind, settings, secret, min_severity, enabled, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CHANNEL}`,
          [randomUUID(), c.name, c.kind, JSON.stringify(c.settings), c.secret, c.minSeverity, c.enabled, createdBy],
        )
        .catch((err) => {
          if (err?.code === '23505') throw new AppError('CHANNEL_NAME_TAKEN', 'conflict', `a channel named ${c.name} exists`, { field: 'body.name' });
          throw err;
        });
      const made = recordOf(r.rows[0]);
      await recordObjectChanges(q, actor, [changeOf('notification_channel', made.id, null, channelSnapshot(made))]);
      return made;
    });
  }

  async updateChannel(
    id: string,
    version: number,
    c: { enabled?: boolean; minSeverity?: Severity; settings?: Record<string, unknown>; secret?: string },
    actor: ChangeActor,
  ): Promise<ChannelRecord> {
    if (c.settings) this.checkTarget(c.settings);
    return this.db.tx(async (q) => {
      const was = (await q.query<ChannelRow>(`SELECT ${CHANNEL} FROM monitor_channels WHERE id = $1 FOR UPDATE`, [id])).rows[0];
      if (!was) throw channelNotFound();
      const r = await q.query<ChannelRow>(
        `UPDATE monitor_channels SET enabled = COALESCE($3, enabled), min_severity = COALESCE($4, min_severity),
           settings = COALESCE($5, settings), secret = COALESCE($6, secret), version = version + 1
         WHERE id = $1 AND version = $2 RETURNING ${CHANNEL}`,
        [id, version, c.enabled ?? null, c.minSeverity ?? null, c.settings ? JSON.stringify(c.settings) : null, c.secret ?? null],
      );
      if (!r.rows[0]) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the channel changed since you read it');
      const updated = recordOf(r.rows[0]);
      await recordObjectChanges(q, actor, [changeOf('notification_channel', id, channelSnapshot(recordOf(was)), channelSnapshot(updated))]);
      return updated;
    });
  }

  async deleteChannel(id: string, actor: ChangeActor): Promise<void> {
    await this.db.tx(async (q) => {
      const r = await q.query<ChannelRow>(`DELETE FROM monitor_channels WHERE id = $1 RETURNING ${CHANNEL}`, [id]);
      if (!r.rows[0]) throw channelNotFound();
      await recordObjectChanges(q, actor, [changeOf('notification_channel', id, channelSnapshot(recordOf(r.rows[0])), null)]);
    });
  }

  /** One page of the delivery log (keyset on `page`, one row more than its limit). */
  async deliveries(page: Page, f: { channelId?: string; problemId?: string; state?: string }): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.channelId) where.push(`channel_id = $${params.push(f.channelId)}`);
    if (f.problemId) where.push(`problem_id = $${params.push(f.problemId)}`);
    if (f.state) where.push(`state = $${params.push(f.state)}`);
    const ks = keyset(page, params);
    const r = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY} FROM monitor_deliveries WHERE ${[...where, ks.where].join(' AND ')} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(r.rows);
  }
}
