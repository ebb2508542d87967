/**
 * The OpenAPI page (/api/v1/docs) in a real browser: its script runs under the page's strict CSP,
 * renders one entry for every registered route, and its "try it" form calls the API with a token.
 * Needs Chromium (apt-get install chromium); skipped, with the reason, when it is not installed.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_PATH, needs } from '../support/requires.js';
import { startApiServer, type ApiServer } from './api-client.js';

needs('chromium').describe('the OpenAPI page', () => {
  let t: ApiServer;
  let browser: Browser;
  // Starting a server (migrations) can take over a minute on a loaded 2-core machine.
  beforeAll(async () => {
    t = await startApiServer();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders every route with its scope, under its CSP, and tries one with a token', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${t.http}/api/v1/docs`);
    await page.waitForSelector('details');
    const count = await page.locator('details').count();
    expect(count).toBe(t.server.router.routes.length);
    expect(await page.locator('h1#title').textContent()).toMatch(/^AutoWatch API \d+\.\d+\.\d+/);
    const text = await page.locator('#ops').textContent();
    expect(text).toContain('/api/v1/audit');
    expect(text).toContain('audit:read');

    // Try GET /api/v1/me with the admin's session token.
    await page.fill('#token', t.admin.token);
    await page.dispatchEvent('#token', 'change');
    const me = page.locator('details#get_me');
    await me.locator('summary').click();
    await me.locator('button', { hasText: 'Send' }).click();
    await expect.poll(() => me.locator('pre.out').textContent()).toContain('200');
    expect(await me.locator('pre.out').textContent()).toContain('"kind": "user"');
    expect(problems).toEqual([]);
  });
});
