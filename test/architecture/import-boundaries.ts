/**
 * The one import rule the linter cannot say: dashboard/src takes only types from protocol/ (the wire
 * contract's code would ship msgpack and crypto to the browser). Every other rule between the folders
 * (agent/ and server/ apart, domain modules without http/, http/ without store/, bench/ without test/)
 * is a lint rule: biome.jsonc, "overrides"; README, "Architecture".
 */
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  path: string;
  text: string;
}

export interface Crossing {
  file: string;
  specifier: string;
  rule: string;
}

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

/** Every module a file names: import and export declarations, dynamic import() calls. */
export function importsOf(file: SourceFile): ImportRef[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, file.path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      refs.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      refs.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      refs.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** Imports of protocol/ code (not only its types) from dashboard/src. */
export function crossings(files: SourceFile[]): Crossing[] {
  const found: Crossing[] = [];
  for (const file of files) {
    if (!file.path.startsWith('dashboard/src/')) continue;
    for (const ref of importsOf(file)) {
      if (!ref.specifier.startsWith('.') || ref.typeOnly) continue;
      const target = normalize(join(dirname(file.path), ref.specifier)).replace(/\\/g, '/');
      if (target.startsWith('protocol/')) found.push({ file: file.path, specifier: ref.specifier, rule: 'dashboard/src takes only types from protocol/' });
    }
  }
  return found;
}
