/**
 * Headless Chromium for the dashboard tests (playwright-core drives the system's Chromium, found by
 * test/support/requires.ts), and the dashboard build the server serves: rebuilt when a source
 * file is newer than the built index.html, so a test never runs against a stale build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT, DASHBOARD_DIR } from '../../server/paths.js';
import { CHROMIUM_PATH } from '../support/requires.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

export async function ensureDashboardBuilt(): Promise<void> {
  const src = join(PROJECT_ROOT, 'dashboard');
  const index = join(DASHBOARD_DIR, 'index.html');
  const sources = Math.max(newestMtime(join(src, 'src')), statSync(join(src, 'index.html')).mtimeMs, statSync(join(src, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(src, 'vite.config.ts'), logLevel: 'warn' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };
