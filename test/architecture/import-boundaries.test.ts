import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';
import { crossings, type SourceFile } from './import-boundaries.js';

function sources(): SourceFile[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'dashboard/src'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((p) => /\.(ts|tsx|mts)$/.test(p))
    .map((path) => {
      try {
        return { path, text: readFileSync(`${PROJECT_ROOT}/${path}`, 'utf8') };
      } catch {
        return { path, text: '' }; // deleted in the worktree, not yet in the index
      }
    });
}

describe('import boundaries the linter cannot check', () => {
  it('dashboard/src imports only types from protocol/', () => {
    const files = sources();
    expect(files.filter((f) => f.path.startsWith('dashboard/src/')).length).toBeGreaterThan(5);
    expect(crossings(files)).toEqual([]);
  });

  it('finds a value import, multi-line and dynamic ones included, and lets type-only imports pass', () => {
    const found = crossings([
      {
        path: 'dashboard/src/v.tsx',
        text: "import type { HelloMessage } from '../../protocol/messages.js';\nimport { CloseCode } from '../../protocol/close-codes.js';",
      },
      { path: 'dashboard/src/pages/w.tsx', text: "import {\n  a,\n} from '../../../protocol/frame.js';\nconst m = await import('../../../protocol/hmac.js');" },
      { path: 'server/z.ts', text: "import { d } from '../protocol/messages.js';" },
    ]);
    expect(found.map((c) => `${c.file} ${c.specifier}`)).toEqual([
      'dashboard/src/v.tsx ../../protocol/close-codes.js',
      'dashboard/src/pages/w.tsx ../../../protocol/frame.js',
      'dashboard/src/pages/w.tsx ../../../protocol/hmac.js',
    ]);
  });
});
