/**
 * Assets as CSV (RFC 4180: comma, double quotes, CRLF or LF). Pure. Export writes every column; import
 * reads a header naming columns in any order, one asset a row: rows with an id change that asset
 * (the columns given), rows without one make a new asset. Tags are ";"-separated, custom is JSON.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Type } from '@sinclair/typebox';
import { camelName } from '../names.js';
import { EDITABLE_FIELDS, fieldKey, type AssetFields } from './asset-fields.js';
import { ASSET_STATES, INITIAL_STATES, type AssetState } from './asset-states.js';
import type { AssetRecord } from './assets.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export const CSV_COLUMNS = ['id', 'tag', 'state', ...EDITABLE_FIELDS] as const;
const KNOWN = new Set<string>(CSV_COLUMNS);
const INTEGER_COLUMNS = new Set(['memory_bytes', 'rack_unit']);

export interface RowError {
  /** 1-based line of the CSV file (the header is line 1) */
  row: number;
  column?: string;
  message: string;
}

export interface ImportRow {
  row: number;
  id: string | null;
  /** given for new assets only: where the lifecycle starts */
  state?: AssetState;
  fields: Partial<AssetFields>;
  /** Columns of this row that did not parse (the row is then only checked, never written). */
  unreadable?: string[];
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM spreadsheet tools add
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell), rows.push(row), (row = []), (cell = '');
    } else cell += ch;
  }
  if (quoted) throw new Error('a quoted cell is not closed');
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Cells a spreadsheet would run as a formula get a leading apostrophe (CSV injection). */
export function cellText(v: string): string {
  const safe = /^[=+@\t\r]/.test(v) || (/^-/.test(v) && !/^-\d/.test(v)) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function assetsToCsv(assets: readonly AssetRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const a of assets) {
    lines.push(
      CSV_COLUMNS.map((c) => {
        const v = a[camelName(c) as keyof AssetRecord];
        if (v === null || v === undefined) return '';
        if (c === 'tags') return cellText((v as string[]).join(';'));
        if (c === 'custom') return Object.keys(v as object).length ? cellText(JSON.stringify(v)) : '';
        return cellText(String(v));
      }).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const Text = (max = 200) => Type.Union([Type.String({ maxLength: max }), Type.Null()]);
const checkRow = ajv.compile(
  Type.Object({
    id: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    type: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    memory_bytes: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    rack_unit: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()])),
    purchase_date: Type.Optional(Type.Union([Type.String({ format: 'date' }), Type.Null()])),
    warranty_until: Type.Optional(Type.Union([Type.String({ format: 'date' }), Type.Null()])),
    host_id: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
    hostname: Type.Optional(Text(253)),
  }),
);

/**
 * Reads an import file into rows and every problem found in it: an unknown column, a value that does
 * not parse, a new asset without type or name. Checks that need the database (types, custom fields,
 * ids) come after, in the store; `partial` holds the rows with problems, reduced to the columns that
 * parsed, so those checks can look at them too.
 */
export function readImport(text: string, maxRows = 50_000): { rows: ImportRow[]; errors: RowError[]; partial: ImportRow[] } {
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (err) {
    return { rows: [], errors: [{ row: 0, message: (err as Error).message }], partial: [] };
  }
  if (!table.length) return { rows: [], errors: [{ row: 1, message: 'the file is empty: a header line is needed' }], partial: [] };
  const header = table[0].map((h) => h.trim().toLowerCase());
  const errors: RowError[] = [];
  header.forEach((h) => {
    if (!KNOWN.has(h)) errors.push({ row: 1, column: h, message: `unknown column "${h}"; known: ${CSV_COLUMNS.join(', ')}` });
  });
  if (new Set(header).size !== header.length) errors.push({ row: 1, message: 'a column is named twice' });
  if (table.length - 1 > maxRows) errors.push({ row: 0, message: `at most ${maxRows} rows in one import` });
  if (errors.length) return { rows: [], errors, partial: [] };

  const rows: ImportRow[] = [];
  const partial: ImportRow[] = [];
  for (let r = 1; r < table.length; r++) {
    const line = r + 1;
    const cells = table[r];
    if (cells.length !== header.length) {
      errors.push({ row: line, message: `${cells.length} cells where the header has ${header.length}` });
      continue;
    }
    const raw: Record<string, unknown> = {};
    const rowErrors: RowError[] = [];
    header.forEach((col, i) => {
      const v = cells[i].trim();
      if (col === 'tag') return; // tags are handed out, never imported
      if (col === 'tags')
        raw.tags = v
          ? v
              .split(';')
              .map((t) => t.trim())
              .filter(Boolean)
          : [];
      else if (col === 'custom') {
        try {
          raw.custom = v ? JSON.parse(v) : {};
          if (typeof raw.custom !== 'object' || raw.custom === null || Array.isArray(raw.custom)) throw new Error();
        } catch {
          rowErrors.push({ row: line, column: col, message: 'custom must be a JSON object' });
        }
      } else if (INTEGER_COLUMNS.has(col)) raw[col] = v === '' ? null : /^\d+$/.test(v) ? Number(v) : v;
      else if (col === 'notes') raw.notes = v;
      else raw[col] = v === '' ? null : v;
    });
    // A blank type or name is "not given": required for a new asset (below), left as is on an update.
    if (raw.type === null) delete raw.type;
    if (raw.name === null) delete raw.name;
    if (!checkRow(raw)) {
      // A nullable column fails both branches of its union: one error a column is enough.
      const seen = new Set<string>();
      for (const e of checkRow.errors ?? []) {
        const column = e.instancePath.slice(1);
        if (e.keyword === 'anyOf' || seen.has(column)) continue;
        seen.add(column);
        rowErrors.push({ row: line, column: column || undefined, message: `${column || 'row'} ${e.message}` });
      }
    }
    const id = (raw.id as string | null | undefined) ?? null;
    const state = raw.state as string | null | undefined;
    if (state && !(ASSET_STATES as readonly string[]).includes(state))
      rowErrors.push({ row: line, column: 'state', message: `state must be one of ${ASSET_STATES.join(', ')}` });
    if (!id) {
      if (!raw.type) rowErrors.push({ row: line, column: 'type', message: 'a new asset needs a type' });
      if (!raw.name) rowErrors.push({ row: line, column: 'name', message: 'a new asset needs a name' });
      if (state && !INITIAL_STATES.includes(state as AssetState))
        rowErrors.push({ row: line, column: 'state', message: `a new asset starts as ${INITIAL_STATES.join(', ')}` });
    }
    const bad = new Set(rowErrors.map((e) => e.column));
    const fields: Record<string, unknown> = {};
    for (const f of EDITABLE_FIELDS) if (f in raw && !bad.has(f)) fields[fieldKey(f)] = raw[f];
    if (rowErrors.length) {
      errors.push(...rowErrors);
      // What did parse still goes to the database checks, so one answer lists every problem of the file.
      partial.push({ row: line, id: bad.has('id') ? null : id, fields: fields as Partial<AssetFields>, unreadable: [...bad].filter((c): c is string => !!c) });
      continue;
    }
    rows.push({ row: line, id, state: !id && state ? (state as AssetState) : undefined, fields: fields as Partial<AssetFields> });
  }
  return { rows, errors, partial };
}
