/**
 * Which server/ folder's SQL touches which table: each table has one owning folder, the only one that
 * writes it (STYLE.md, "Layout"); other folders call the owner. SQL is found in the string and template
 * literals of the folder's .ts files (tests left out), good enough for this code base: its SQL keywords
 * are upper case and its table names are the ones schema/ creates.
 */
import ts from 'typescript';
import type { SourceFile } from './import-boundaries.js';

export interface TableUse {
  table: string;
  /** The folder under server/ (`.` for files at its top), e.g. `cmdb`. */
  folder: string;
  file: string;
  write: boolean;
}

/** Tables schema/ creates. */
export function tablesOf(migrations: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const sql of migrations) for (const m of sql.matchAll(/CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/g)) out.add(m[1]);
  return out;
}

/** The text of every string and template literal (substitutions as `?`). */
export function literalsOf(file: SourceFile): string[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) out.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ? '));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const WRITE = /\b(?:INSERT INTO|UPDATE|DELETE FROM|TRUNCATE(?: TABLE)?)\s+([a-z_][a-z0-9_]*)/g;
const READ = /\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)/g;

export function tableUses(files: readonly SourceFile[], tables: ReadonlySet<string>): TableUse[] {
  const out: TableUse[] = [];
  for (const file of files) {
    const parts = file.path.split('/');
    const folder = parts.length > 2 ? parts[1] : '.';
    for (const text of literalsOf(file)) {
      for (const [re, write] of [
        [WRITE, true],
        [READ, false],
      ] as const) {
        for (const m of text.matchAll(re)) if (tables.has(m[1])) out.push({ table: m[1], folder, file: file.path, write });
      }
    }
  }
  return out;
}

/** Each written table's owner, and the tables more than one folder writes (with those folders). */
export function owners(uses: readonly TableUse[]): { owner: Map<string, string>; contested: Map<string, string[]> } {
  const writers = new Map<string, Set<string>>();
  for (const u of uses) if (u.write) writers.set(u.table, (writers.get(u.table) ?? new Set()).add(u.folder));
  const owner = new Map<string, string>();
  const contested = new Map<string, string[]>();
  for (const [table, folders] of writers) {
    if (folders.size === 1) owner.set(table, [...folders][0]);
    else contested.set(table, [...folders].sort());
  }
  return { owner, contested };
}

/** `table <- folder` for every read of a table by a folder that does not own it. */
export function foreignReads(uses: readonly TableUse[], owner: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const u of uses) {
    const o = owner.get(u.table);
    if (!u.write && o && o !== u.folder) out.add(`${u.table} <- ${u.folder}`);
  }
  return out;
}
