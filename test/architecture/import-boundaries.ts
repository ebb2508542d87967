/**
 * Who may import whom: the agent and the server stand side by side on protocol/, the wire contract, and
 * neither reaches into the other (docs/agent.md; STYLE.md, "Layout"). The agent is bundled alone into one
 * file, so an agent import of server code would ship the server to every host.
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
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      refs.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

const topFolder = (path: string) => path.split('/')[0];

/**
 * The imports that cross a line: relative ones resolved against the file's folder; packages (node_modules,
 * node:) are always allowed.
 */
export function crossings(files: SourceFile[]): Crossing[] {
  const found: Crossing[] = [];
  for (const file of files) {
    const from = file.path.startsWith('dashboard/src/') ? 'dashboard' : topFolder(file.path);
    for (const ref of importsOf(file)) {
      if (!ref.specifier.startsWith('.')) continue;
      const target = normalize(join(dirname(file.path), ref.specifier)).replace(/\\/g, '/');
      const to = topFolder(target);
      // A test beside the code may use the test harness; tests are never bundled.
      if (/\.test\.tsx?$/.test(file.path) && target.startsWith('test/support/')) continue;
      const rule =
        from === 'agent' && to !== 'agent' && to !== 'protocol' ? 'agent/ imports only agent/ and protocol/'
        : from === 'protocol' && to !== 'protocol' ? 'protocol/ imports only protocol/'
        : from === 'server' && to === 'agent' ? 'server/ never imports agent/'
        : from === 'dashboard' && (to === 'server' || to === 'agent' || (to === 'protocol' && !ref.typeOnly)) ? 'dashboard/src imports nothing of server/ or agent/, and only types from protocol/'
        : undefined;
      if (rule) found.push({ file: file.path, specifier: ref.specifier, rule });
    }
  }
  return found;
}
