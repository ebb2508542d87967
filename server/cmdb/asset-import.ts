/**
 * CSV import, all or nothing: every row is checked first (the file's syntax, then types, custom fields,
 * ids and hosts against the database); any problem answers the full list of row errors and writes
 * nothing. Then every row is written in one transaction, each with its change records (source import).
 */
import { AppError, isServerFault } from '../errors.js';
import type { Db, TxStep } from '../store/db.js';
import type { Actor } from './asset-fields.js';
import { readImport, type ImportRow, type RowError } from './asset-csv.js';
import type { AssetTypeRegistry } from './asset-types.js';
import type { AssetStore } from './assets.js';

export interface ImportResult {
  created: number;
  updated: number;
  /** asset ids in file order */
  ids: string[];
}

export async function importAssetsCsv(
  db: Db,
  assets: AssetStore,
  types: AssetTypeRegistry,
  text: string,
  actor: Actor,
  opts: { dryRun?: boolean; step?: TxStep<ImportResult> } = {},
): Promise<ImportResult> {
  const { rows, errors, partial } = readImport(text);
  const fail = (errs: RowError[]) =>
    new AppError('IMPORT_REJECTED', 'unprocessable', `nothing was imported: ${errs.length} problem(s), first on line ${errs[0].row}: ${errs[0].message}`, {
      errors: errs.slice(0, 1000),
    });
  // A file-level problem (syntax, header): there are no rows to check further.
  if (errors.length && !rows.length && !partial.length) throw fail(errors);
  const dbErrors = await checkAgainstDatabase(
    db,
    types,
    [...rows, ...partial].sort((a, b) => a.row - b.row),
  );
  const all = [...errors, ...dbErrors].sort((a, b) => a.row - b.row);
  if (all.length) throw fail(all);
  if (opts.dryRun) return { created: rows.filter((r) => !r.id).length, updated: rows.filter((r) => r.id).length, ids: [] };

  const importer: Actor = { ...actor, source: 'import' };
  let current = 0;
  try {
    return await db.tx(async (q) => {
      const fresh = rows.filter((r) => !r.id);
      const newIds = await assets.createMany(
        q,
        fresh.map((r) => ({ fields: { ...r.fields, type: r.fields.type!, name: r.fields.name! }, state: r.state })),
        importer,
      );
      const idOf = new Map(fresh.map((r, i) => [r, newIds[i]]));
      for (const r of rows) {
        if (!r.id) continue;
        current = r.row;
        await assets.applyPatch(q, r.id, null, r.fields, importer, false);
      }
      const result = { created: fresh.length, updated: rows.length - fresh.length, ids: rows.map((r) => r.id ?? idOf.get(r)!) };
      // The caller's step (linking the import to its change request) in the import's own transaction.
      await opts.step?.(q, result);
      return result;
    });
  } catch (err) {
    // What only the write could find (two rows linking one host): the line when known, and still nothing written.
    if (err instanceof AppError && !isServerFault(err)) throw fail([{ row: current, message: err.message }]);
    throw err;
  }
}

/** Ids, hosts, types and custom fields of the rows (in file order) against what the database holds. */
async function checkAgainstDatabase(db: Db, types: AssetTypeRegistry, rows: ImportRow[]): Promise<RowError[]> {
  const ids = rows.map((r) => r.id).filter((x): x is string => !!x);
  const live = new Map(
    (
      await db.query<{ id: string; type: string; custom: Record<string, unknown>; deleted: boolean }>(
        'SELECT id, type, custom, deleted_at IS NOT NULL AS deleted FROM assets WHERE id = ANY($1::uuid[])',
        [ids],
      )
    ).rows.map((r) => [r.id, r]),
  );
  const hostIds = [...new Set(rows.map((r) => r.fields.hostId).filter((x): x is string => !!x))];
  const hosts = new Set((await db.query<{ id: string }>('SELECT id FROM hosts WHERE id = ANY($1::uuid[])', [hostIds])).rows.map((r) => r.id));
  const linked = new Map(
    (
      await db.query<{ host_id: string; id: string }>('SELECT host_id, id FROM assets WHERE host_id = ANY($1::uuid[]) AND deleted_at IS NULL', [hostIds])
    ).rows.map((r) => [r.host_id, r.id]),
  );
  const hostRow = new Map<string, number>();
  const checkCustom = await types.customChecker();
  const seenIds = new Set<string>();
  const dbErrors: RowError[] = [];
  for (const r of rows) {
    if (r.id) {
      const a = live.get(r.id);
      if (!a) dbErrors.push({ row: r.row, column: 'id', message: 'no asset has this id' });
      else if (a.deleted) dbErrors.push({ row: r.row, column: 'id', message: 'this asset was deleted' });
      if (seenIds.has(r.id)) dbErrors.push({ row: r.row, column: 'id', message: 'the same asset is on an earlier line' });
      seenIds.add(r.id);
    }
    const host = r.fields.hostId;
    if (host && !hosts.has(host)) dbErrors.push({ row: r.row, column: 'host_id', message: 'no host has this id' });
    else if (host && linked.has(host) && linked.get(host) !== r.id)
      dbErrors.push({ row: r.row, column: 'host_id', message: `the host belongs to asset ${linked.get(host)}` });
    else if (host && hostRow.has(host)) dbErrors.push({ row: r.row, column: 'host_id', message: `line ${hostRow.get(host)} links the same host` });
    if (host) hostRow.set(host, r.row);
    const existing = r.id ? live.get(r.id) : undefined;
    const type = r.fields.type ?? existing?.type;
    // Custom fields cannot be judged when the row's custom, type or id did not parse: that error is already listed.
    const judgeable = !r.unreadable?.some((c) => c === 'custom' || c === 'type' || c === 'id');
    if (type && judgeable && (r.fields.custom !== undefined || r.fields.type !== undefined || !r.id)) {
      try {
        checkCustom(type, r.fields.custom ?? existing?.custom ?? {});
      } catch (err) {
        dbErrors.push({ row: r.row, column: (err as AppError).code === 'ASSET_TYPE_UNKNOWN' ? 'type' : 'custom', message: (err as Error).message });
      }
    }
  }
  return dbErrors;
}
