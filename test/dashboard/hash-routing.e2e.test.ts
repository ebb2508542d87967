/**
 * Hash routing in real headless Chromium: a link followed (or a test's page.goto to another #/path) in the
 * moment between the app's first render and its effects must still show that page. Preact runs effects
 * after paint, so the hashchange listener is added up to a frame after the first render; a change in that
 * gap was lost and the page stayed on the overview (CI, 2026-12-07: the settings page never appeared).
 * The gap is made certain here: a MutationObserver installed before the app loads changes the hash as soon
 * as the first render puts content in #app, which is before any effect has run.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const document: any;
declare const location: any;
declare const MutationObserver: any;
declare const localStorage: any;

needs('chromium').describe('dashboard: hash routing', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startApiServer();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await page.goto(t.http);
    await page.evaluate((token: string) => localStorage.setItem('aw.session', token), t.admin.token);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('a hash changed between the first render and its effects shows that page', async () => {
    await page.addInitScript(() => {
      const watch = new MutationObserver(() => {
        if (!document.getElementById('app')?.firstChild) return;
        watch.disconnect();
        location.hash = '#/settings';
      });
      watch.observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.waitForFunction(() => location.hash === '#/settings');
    // The overview would show first if the change were lost, so wait for the settings title, not any title.
    await page.locator('.page-title h1', { hasText: 'Settings' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.page-title h1').allTextContents()).toEqual(['Settings']);
  }, 60_000);
});
