/** Where the project's files are, whether running from TypeScript sources or from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const SCHEMA_DIR = join(PROJECT_ROOT, 'schema');
export const DASHBOARD_DIR = join(PROJECT_ROOT, 'dashboard', 'dist');
/** Served at /downloads/install.sh with the server's address written in. */
export const INSTALL_SCRIPT = join(PROJECT_ROOT, 'scripts', 'install.sh');
