/**
 * Adding hosts from the dashboard, in real headless Chromium against a real server: the token dialog
 * shows the one-line install with this server's address, and the hosts list shows each agent's version,
 * marking the ones that run another version than the bundle the server serves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAgent } from '../../scripts/build-agent.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { enrollAgent } from '../support/server.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const localStorage: any;

needs('chromium').describe('dashboard: install line and agent versions', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    dir = mkdtempSync(join(tmpdir(), 'aw-bundle-'));
    const bundle = await buildAgent({ outfile: join(dir, 'autowatch-agent.mjs'), version: '2.0.0' });
    t = await startApiServer({ AW_AGENT_BUNDLE: bundle.outfile });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await page.goto(t.http);
    await page.evaluate((token: string) => localStorage.setItem('aw.session', token), t.admin.token);
    await page.reload();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the token dialog shows the one-line install with this server address', async () => {
    await page.goto(`${t.http}/#/settings`);
    await page.getByRole('button', { name: 'Make token' }).click();
    const line = await page.locator('[data-testid=install-command] code').first().textContent({ timeout: 20_000 });
    expect(line).toMatch(new RegExp(`^curl -fsSL ${t.http}/downloads/install\\.sh \\| sudo sh -s -- --token awe_[A-Za-z0-9_-]+$`));
  });

  it('the hosts list shows each agent version and marks the outdated ones', async () => {
    const old = await enrollAgent(t, 'old-agent-host');
    const current = await enrollAgent(t, 'current-agent-host');
    await t.server.deps.db.query('UPDATE agents SET agent_version = $2 WHERE id = $1', [old.agentId, '1.9.0']);
    await t.server.deps.db.query('UPDATE agents SET agent_version = $2 WHERE id = $1', [current.agentId, '2.0.0']);
    await page.goto(`${t.http}/#/hosts`);
    const cell = (host: string) => page.locator('[data-testid=hosts-table] tr', { hasText: host }).locator('[data-testid=agent-version]');
    await cell('old-agent-host').waitFor({ timeout: 20_000 });
    expect((await cell('old-agent-host').textContent())?.trim()).toBe('1.9.0 outdated');
    expect((await cell('current-agent-host').textContent())?.trim()).toBe('2.0.0');
  });
});
