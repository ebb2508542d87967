/** docs/api.md lists every error code the server can answer (regenerate with `npx tsx scripts/error-codes.ts`). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { END, START, scanErrorCodes } from '../../scripts/error-codes.js';

describe('error catalogue', () => {
  const codes = scanErrorCodes(process.cwd());

  it('finds the codes of every layer, each with a status', () => {
    const names = codes.map((c) => c.code);
    for (const code of [
      'VALIDATION_FAILED',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NONCE_REUSED',
      'SIGNATURE_PATH_MISMATCH',
      'RATE_LIMITED',
      'INTERNAL',
      'PRECONDITION_FAILED',
    ]) {
      expect(names).toContain(code);
    }
    for (const c of codes) for (const s of c.statuses) expect(s, c.code).toBeGreaterThanOrEqual(400);
  });

  it('docs/api.md lists every code the source throws', () => {
    const doc = readFileSync('docs/api.md', 'utf8');
    const section = doc.slice(doc.indexOf(START), doc.indexOf(END));
    const missing = codes.filter((c) => !section.includes(`| \`${c.code}\` |`)).map((c) => c.code);
    expect(missing, 'run `npx tsx scripts/error-codes.ts` to update docs/api.md').toEqual([]);
  });
});
