/** CSV import (all or nothing, per-row errors) and export of assets. Registered before /assets/:id. */
import { Type } from '@sinclair/typebox';
import { pageOf } from '../keyset.js';
import { route } from '../http/route.js';
import { assetsToCsv } from '../cmdb/asset-csv.js';
import { ASSET_ORDER, type AssetRecord } from '../cmdb/assets.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ApiDeps } from './deps.js';
import { actorOf, AssetState, assetFiltersOf } from './cmdb-schemas.js';
import { Uuid } from './schemas.js';
import { editUnderChange } from './edit-under-change.js';

const EXPORT_MAX = 200_000;

export function assetCsvRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  const { assets } = deps.cmdb;
  return [
    route({
      method: 'GET',
      path: '/api/v1/assets/export',
      summary: 'Assets as CSV (the list filters apply), the same columns import reads',
      tag: 'cmdb',
      scope: 'cmdb:read',
      query: Type.Object({
        type: Type.Optional(Type.String({ maxLength: 40 })),
        state: Type.Optional(AssetState),
        idc: Type.Optional(Type.String({ maxLength: 200 })),
        owner: Type.Optional(Type.String({ maxLength: 200 })),
        business_unit: Type.Optional(Type.String({ maxLength: 200 })),
        host_id: Type.Optional(Uuid),
        tag: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
      }),
      response: Type.String(),
      produces: 'text/csv; charset=utf-8',
      handler: async (ctx) => {
        const all: AssetRecord[] = [];
        const page = pageOf(ASSET_ORDER, { limit: 5000, sort: 'tag' });
        for (;;) {
          const { rows } = await assets.list(page, assetFiltersOf(ctx.query));
          all.push(...rows.slice(0, page.limit));
          if (rows.length <= page.limit || all.length >= EXPORT_MAX) break;
          const last = rows[page.limit - 1];
          page.after = [last.tag, last.id];
        }
        ctx.setHeader('Content-Disposition', 'attachment; filename="assets.csv"');
        return assetsToCsv(all);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/assets/import',
      summary: 'Import assets from CSV: rows without id are created, rows with id changed; any bad row imports nothing (422 with every row error)',
      description:
        'Columns as export writes them, any order; tags ";"-separated, custom a JSON object. ?dry_run=true checks only. ' +
        "X-Change-Id: the approved change request (kind asset) the import is made under; each asset is linked to it in the import's transaction. " +
        'Refused (APPROVED_CHANGE_REQUIRED) without one when a policy requires a change for asset edits.',
      tag: 'cmdb',
      scope: 'cmdb:write',
      bodyType: 'text',
      bodyLimit: 32 * 1024 * 1024,
      query: Type.Object({ dry_run: Type.Optional(Type.Boolean()) }),
      response: Type.Object({ created: Type.Integer(), updated: Type.Integer(), ids: Type.Array(Uuid), dry_run: Type.Boolean() }),
      handler: async (ctx) => {
        // A dry run writes nothing: only the import itself answers to change control.
        const change = ctx.query.dry_run ? undefined : await editUnderChange(deps.itil?.changes, ctx, 'asset');
        const r = await deps.cmdb.importCsv(ctx.body as string, actorOf(ctx), { dryRun: ctx.query.dry_run, step: change?.linkEach('imported from CSV') });
        ctx.audit({ created: r.created, updated: r.updated, dry_run: !!ctx.query.dry_run, change_id: change?.changeId });
        return { ...r, dryRun: !!ctx.query.dry_run };
      },
    }),
  ];
}
