/**
 * The error catalogue of docs/api.md, made from the source: every stable `code` the server can
 * answer, its HTTP status (its kind as server/http/error-answer.ts maps it) and the message it is thrown with. `npx tsx scripts/error-codes.ts`
 * rewrites the table between the error-codes markers in docs/api.md; test/api/error-catalogue.test.ts
 * fails when a code in the source is missing from the document.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorKind } from '../server/errors.js';
import { STATUS_OF } from '../server/http/error-answer.js';

export interface ErrorCode {
  code: string;
  statuses: number[];
  message: string;
  files: string[];
}

/** Codes built at run time (a template literal or an object literal), listed by hand. */
const DYNAMIC: Array<[string, number, string, string]> = [
  ['SIGNATURE_METHOD_MISMATCH', 401, "the request's method is not the one that was signed", 'server/auth/signing.ts'],
  ['SIGNATURE_PATH_MISMATCH', 401, "the request's path is not the one that was signed", 'server/auth/signing.ts'],
  ['SIGNATURE_QUERY_MISMATCH', 401, "the request's query is not the one that was signed", 'server/auth/signing.ts'],
  ['INTERNAL', 500, 'internal error; quote request id … when reporting it', 'server/http/router.ts'],
  ['DATABASE_UNAVAILABLE', 503, 'the database is unreachable; retry shortly', 'server/http/router.ts'],
];

/** What the generic codes mean, said once rather than by whichever message the scan met first. */
const MEANING: Record<string, string> = {
  VALIDATION_FAILED: "the request does not fit the route's schema: details.field names the field (body.x, query.y, path.z), details.reason the rule",
  FORBIDDEN: 'the caller is known but lacks the scope: details.needed_scope',
  PRECONDITION_FAILED: 'If-Match no longer matches: someone changed the resource since you read it; details.current_etag',
  NOT_FOUND: 'the resource does not exist',
  USER_DISABLED: 'this user is disabled',
  CREDENTIALS_MALFORMED: 'the Authorization header or signature headers are not in a form the server takes (see the message)',
  PROMQL_BAD_DATA:
    "the PromQL query or a parameter is malformed or outside the supported subset (docs/prometheus.md); answered in Prometheus' shape, errorType bad_data",
};

const CODE = `'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'`;
const MESSAGE = '\\s*(?:\'([^\']*)\'|`([^`]*)`|"([^"]*)")?';
/** [pattern, fixed status or null when the pattern captures the kind]: the ways the source throws a coded error. */
const PATTERNS: Array<[RegExp, number | null]> = [
  [new RegExp(`new AppError\\(\\s*${CODE},\\s*'([a-z_]+)',${MESSAGE}`, 'g'), null],
  [new RegExp(`unauthenticated\\(\\s*${CODE},${MESSAGE}`, 'g'), 401],
  [new RegExp(`tooManyRequests\\([^,]+,\\s*${CODE},${MESSAGE}`, 'g'), 429],
  [new RegExp(`conflict\\(\\s*${CODE},${MESSAGE}`, 'g'), 409],
  [new RegExp(`notFound\\(\\s*(?:'([^']*)'|[^,)]+),\\s*${CODE}\\s*\\)`, 'g'), 404],
  [new RegExp(`badRequest\\(${MESSAGE},[^;]*?,\\s*${CODE}\\s*\\)`, 'g'), 400],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

export function scanErrorCodes(root: string): ErrorCode[] {
  const found = new Map<string, ErrorCode>();
  const add = (code: string, status: number, message: string, file: string) => {
    const e = found.get(code) ?? { code, statuses: [], message: '', files: [] };
    if (!e.statuses.includes(status)) e.statuses.push(status);
    if (!e.message && message)
      e.message = message
        .replace(/\$\{[^}]*\}/g, '…')
        .replace(/\s+/g, ' ')
        .trim();
    if (!e.files.includes(file)) e.files.push(file);
    found.set(code, e);
  };
  for (const file of sourceFiles(join(root, 'server'))) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const [pattern, fixed] of PATTERNS) {
      for (const m of text.matchAll(pattern)) {
        const groups = m.slice(1);
        if (pattern.source.startsWith('notFound')) {
          add(groups[1], 404, groups[0] ? `${groups[0]} not found` : 'not found', rel);
        } else if (pattern.source.startsWith('badRequest')) {
          add(groups[3], 400, groups[0] ?? groups[1] ?? groups[2] ?? '', rel);
        } else if (fixed === null) {
          add(groups[0], STATUS_OF[groups[1] as ErrorKind], groups[2] ?? groups[3] ?? groups[4] ?? '', rel);
        } else {
          add(groups[0], fixed, groups[1] ?? groups[2] ?? groups[3] ?? '', rel);
        }
      }
    }
    // notFound('thing') without a code answers NOT_FOUND.
    if (/notFound\(\s*'[^']*'\s*\)/.test(text)) add('NOT_FOUND', 404, '… not found', rel);
  }
  for (const [code, status, message, file] of DYNAMIC) add(code, status, message, file);
  for (const e of found.values()) if (MEANING[e.code]) e.message = MEANING[e.code];
  return [...found.values()].sort((a, b) => a.statuses[0] - b.statuses[0] || a.code.localeCompare(b.code));
}

export function renderCatalogue(codes: ErrorCode[]): string {
  const rows = codes.map(
    (c) =>
      `| \`${c.code}\` | ${c.statuses.sort().join(', ')} | ${c.message.replace(/\|/g, '\\|')} | ${c.files.map((f) => f.replace(/^server\//, '')).join(', ')} |`,
  );
  return ['| code | status | message (as thrown; … is filled in) | where |', '|---|---|---|---|', ...rows].join('\n');
}

export const START = '<!-- error-codes:start (npx tsx scripts/error-codes.ts) -->';
export const END = '<!-- error-codes:end -->';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(fileURLToPath(import.meta.url), '..', '..');
  const docPath = join(root, 'docs', 'api.md');
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/api.md has no ${START} … ${END} section`);
  const codes = scanErrorCodes(root);
  writeFileSync(docPath, doc.slice(0, start + START.length) + '\n' + renderCatalogue(codes) + '\n' + doc.slice(end));
  process.stdout.write(`docs/api.md: ${codes.length} error codes\n`);
}
