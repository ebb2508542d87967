/** Service management reports, JSON or CSV (Accept: text/csv or ?format=csv). */
import { Type, type TSchema } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { route, type RequestContext } from '../http/route.js';
import type { Itil } from '../itil/itil.js';
import { reportToCsv, type Report, type Reports } from '../itil/reports.js';
import { Nullable, Timestamp } from './schemas.js';

const Query = Type.Object(
  {
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);
const Int = Type.Integer();
const Num = Nullable(Type.Number());
const REPORTS: Array<{ name: string; summary: string; row: TSchema; run: (r: Reports, from: Date, to: Date) => Promise<Report> }> = [
  {
    name: 'mtta-mttr',
    summary: 'Mean time to acknowledge and to resolve (seconds) per month of opening and priority',
    row: Type.Object({ month: Type.String(), priority: Type.String(), incidents: Int, acknowledged: Int, mtta_s: Num, resolved: Int, mttr_s: Num }),
    run: (r, from, to) => r.mttaMttr(from, to),
  },
  {
    name: 'incidents-per-service',
    summary: "Incidents opened on each service's hosts, by priority",
    row: Type.Object({ service_id: Type.String(), service: Type.String(), incidents: Int, p1: Int, p2: Int, p3: Int, p4: Int }),
    run: (r, from, to) => r.incidentsPerService(from, to),
  },
  {
    name: 'changes-by-outcome',
    summary: 'Change requests per month by review outcome (or state, not reviewed yet)',
    row: Type.Object({ month: Type.String(), outcome: Type.String(), changes: Int }),
    run: (r, from, to) => r.changesByOutcome(from, to),
  },
  {
    name: 'release-success',
    summary: 'Finished release rollouts per month: succeeded, stopped, failed, rolled back, success percent',
    row: Type.Object({ month: Type.String(), rollouts: Int, succeeded: Int, stopped: Int, failed: Int, rolled_back: Int, success_pct: Num }),
    run: (r, from, to) => r.releaseSuccess(from, to),
  },
];

/** [from, to): given, or the 12 months up to now (from the start of the month 11 months back). */
function range(q: { from?: string; to?: string }): [Date, Date] {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 11, 1));
  if (to <= from) throw new AppError('VALIDATION_FAILED', 'invalid', 'query.to must be after query.from', { field: 'query.to' });
  if (to.getTime() - from.getTime() > 10 * 366 * 86_400_000)
    throw new AppError('VALIDATION_FAILED', 'invalid', 'a report spans at most 10 years', { field: 'query.from' });
  return [from, to];
}

const wantsCsv = (ctx: RequestContext<unknown, { format?: string }>) =>
  ctx.query.format ? ctx.query.format === 'csv' : /\btext\/csv\b/i.test(ctx.headers.accept ?? '');

export function itilReportRoutes(deps: { itil: Itil }) {
  return REPORTS.map((rep) =>
    route({
      method: 'GET',
      path: `/api/v1/itil/reports/${rep.name}`,
      summary: rep.summary,
      description: 'from/to default to the 12 months up to now (months in UTC). CSV with Accept: text/csv or ?format=csv (format wins).',
      tag: 'itil',
      scope: 'monitor:read',
      query: Query,
      response: Type.Array(rep.row),
      handler: async (ctx) => {
        const [from, to] = range(ctx.query);
        const report = await rep.run(deps.itil.reports, from, to);
        if (!wantsCsv(ctx)) return report.rows;
        ctx.answerRaw('text/csv; charset=utf-8');
        ctx.setHeader('Content-Disposition', `attachment; filename="${rep.name}.csv"`);
        return reportToCsv(report) as never;
      },
    }),
  );
}
