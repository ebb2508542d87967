import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';
import { crossings, type SourceFile } from './import-boundaries.js';

function sources(): SourceFile[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'agent', 'server', 'protocol', 'dashboard/src'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return listed.split('\n').filter((p) => /\.(ts|tsx|mts)$/.test(p)).map((path) => {
    try {
      return { path, text: readFileSync(`${PROJECT_ROOT}/${path}`, 'utf8') };
    } catch {
      return { path, text: '' }; // deleted in the worktree, not yet in the index
    }
  });
}

describe('import boundaries', () => {
  it('no import in agent/, server/, protocol/ or dashboard/src crosses its line', () => {
    const files = sources();
    expect(files.filter((f) => f.path.startsWith('protocol/')).length).toBeGreaterThan(5);
    expect(crossings(files)).toEqual([]);
  });

  it('finds each kind of crossing, multi-line and dynamic imports included', () => {
    const found = crossings([
      { path: 'agent/x.ts', text: "import {\n  a,\n} from '../server/paths.js';\nimport { b } from '../protocol/frame.js';\nimport pino from 'pino';" },
      { path: 'agent/tasks/y.ts', text: "const m = await import('../../server/errors.js');" },
      { path: 'agent/tasks/y.test.ts', text: "import { needs } from '../../test/support/requires.js';\nimport { x } from '../../server/app.js';" },
      { path: 'server/z.ts', text: "export { c } from '../agent/link.js';\nimport { d } from '../protocol/messages.js';" },
      { path: 'protocol/w.ts', text: "import type { Db } from '../server/store/db.js';" },
      { path: 'dashboard/src/v.tsx', text: "import type { HelloMessage } from '../../protocol/messages.js';\nimport { CloseCode } from '../../protocol/close-codes.js';" },
    ]);
    expect(found.map((c) => `${c.file} ${c.specifier}`)).toEqual([
      'agent/x.ts ../server/paths.js',
      'agent/tasks/y.ts ../../server/errors.js',
      'agent/tasks/y.test.ts ../../server/app.js',
      'server/z.ts ../agent/link.js',
      'protocol/w.ts ../server/store/db.js',
      'dashboard/src/v.tsx ../../protocol/close-codes.js',
    ]);
  });
});
