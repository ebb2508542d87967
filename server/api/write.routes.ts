/**
 * POST /api/v1/write: InfluxDB line protocol intake, so Telegraf (outputs.influxdb with
 * urls = ["http://SERVER/api/v1"], or outputs.http with data_format = "influx") feeds the same
 * ingest pipeline as agents. Each point belongs to the host named by `?host_id=` or by its `host`
 * tag (matched to a known hostname). All or nothing: one bad line or unknown host writes nothing.
 * Answers 204 once the points are durably stored, as InfluxDB does.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { route } from '../http/route.js';
import { LineProtocolError, parseLineProtocol, type LinePoint, type Precision } from '../ingest/line-protocol.js';
import type { Labels, MetricPoint } from '../../protocol/messages.js';
import { MAX_LABELS } from '../../protocol/validate.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ApiDeps } from './deps.js';
import { Uuid } from './schemas.js';

const MAX_BODY = 8 * 1024 * 1024;
const MAX_INFLATED = 64 * 1024 * 1024;

/** A stable uuid per caller: the ingest idempotency key's "agent" for pushed points. */
const sourceId = (principal: string): string => {
  const h = createHash('sha256').update(`line-protocol:${principal}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

let lastBatch = 0;
const nextBatch = () => (lastBatch = Math.max(lastBatch + 1, Date.now() * 1000));

export function writeRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  return [
    route({
      method: 'POST',
      path: '/api/v1/write',
      summary: 'Push metrics in InfluxDB line protocol (Telegraf); 204 when stored',
      description:
        'Each field becomes a metric <measurement>.<field> labelled with the tags. The host is ?host_id= or the `host` tag. ' +
        'precision=ns|us|ms|s (default ns). Content-Encoding: gzip is accepted. Authenticate with an API key holding metrics:write ' +
        '(Telegraf: http_headers = {"Authorization" = "Bearer awk_…"}).',
      tag: 'metrics',
      scope: 'metrics:write',
      status: 204,
      bodyType: 'raw',
      bodyLimit: MAX_BODY,
      query: Type.Object(
        {
          host_id: Type.Optional(Uuid),
          precision: Type.Optional(Type.Union([Type.Literal('ns'), Type.Literal('us'), Type.Literal('ms'), Type.Literal('s')])),
          db: Type.Optional(Type.String({ maxLength: 200, description: 'ignored (InfluxDB v1 clients send it)' })),
          rp: Type.Optional(Type.String({ maxLength: 200, description: 'ignored' })),
        },
        { additionalProperties: false },
      ),
      response: Type.Null(),
      handler: async (ctx) => {
        let raw = ctx.rawBody;
        if ((ctx.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
          try {
            raw = gunzipSync(raw, { maxOutputLength: MAX_INFLATED });
          } catch {
            throw new AppError('VALIDATION_FAILED', 'invalid', `body is not gzip, or inflates past ${MAX_INFLATED} bytes`, { field: 'body' });
          }
        }
        let points: LinePoint[];
        try {
          points = parseLineProtocol(raw.toString('utf8'), Date.now(), (ctx.query.precision ?? 'ns') as Precision);
        } catch (err) {
          if (err instanceof LineProtocolError)
            throw new AppError('VALIDATION_FAILED', 'invalid', `body ${err.message}; nothing was written`, { field: 'body', line: err.line });
          throw err;
        }
        // Points by host: ?host_id= for all, else each point's host tag.
        const byHost = new Map<string, MetricPoint[]>();
        const hostnames = new Set<string>();
        if (!ctx.query.host_id) for (const labels of new Set(points.map((p) => p.labels))) if (labels.host) hostnames.add(labels.host);
        let known = new Map<string, string>();
        if (ctx.query.host_id) {
          if (!(await deps.cmdb.hosts.exists(ctx.query.host_id)))
            throw new AppError('HOST_NOT_FOUND', 'not_found', 'host not found', { field: 'query.host_id' });
        } else if (hostnames.size) {
          known = await deps.cmdb.hosts.idsByHostname([...hostnames]);
        }
        // Points of one series share a labels object (parseLineProtocol): its host and other labels are sorted out once.
        const split = new Map<Labels, { host: string | undefined; labels: Labels | undefined; tooMany: boolean }>();
        for (let i = 0; i < points.length; i++) {
          const p = points[i];
          let sl = split.get(p.labels);
          if (!sl) {
            const { host, ...labels } = p.labels;
            const n = Object.keys(labels).length;
            split.set(p.labels, (sl = { host, labels: n ? labels : undefined, tooMany: n > MAX_LABELS }));
          }
          const host = sl.host;
          const hostId = ctx.query.host_id ?? (host !== undefined ? known.get(host) : undefined);
          if (!hostId) {
            throw new AppError(
              'HOST_NOT_FOUND',
              'invalid',
              host === undefined
                ? `point ${i + 1} (${p.name}) has no host tag and no ?host_id= was given; nothing was written`
                : `no host is named ${host}; nothing was written`,
              { field: 'body', host: host ?? null },
            );
          }
          if (sl.tooMany)
            throw new AppError('VALIDATION_FAILED', 'invalid', `point ${i + 1} (${p.name}) has more than ${MAX_LABELS} tags besides host`, { field: 'body' });
          let list = byHost.get(hostId);
          if (!list) byHost.set(hostId, (list = []));
          // The parser's point is handed on (one object a point, not two), its labels now without the host
          // (split is keyed by the labels object, read above; `points` is only counted after this loop).
          const point: MetricPoint = p;
          point.labels = sl.labels;
          list.push(point);
        }
        const agentId = sourceId(`${ctx.principal!.kind}:${ctx.principal!.id}`);
        await Promise.all(
          [...byHost].map(
            ([hostId, hostPoints]) =>
              new Promise<void>((resolve, reject) => {
                const refused = (retryAfterMs: number) => {
                  ctx.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
                  reject(new AppError('INGEST_BUSY', 'unavailable', 'the metric store did not take the points; send them again later'));
                };
                const invalid = (reason: string) =>
                  reject(
                    new AppError('VALIDATION_FAILED', 'invalid', `the metric store refused the points of one host as invalid: ${reason}`, {
                      field: 'body',
                      reason: 'store_refused',
                    }),
                  );
                const accepted = deps.ingest.offer({ agentId, hostId, batch: nextBatch(), points: hostPoints, committed: resolve, refused, invalid });
                if (!accepted) refused(1000);
              }),
          ),
        );
        ctx.audit({ points: points.length, hosts: byHost.size });
        return null;
      },
    }),
  ];
}
