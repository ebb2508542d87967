/**
 * The dashboard says what happened, in real headless Chromium against a real server: the problems
 * table names the host (macros expanded) and links to it, task history shows a task's outcome as a
 * coloured badge, and an asset's creation is one timeline entry listing its fields.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

// These run inside the page; the server's tsconfig has no DOM types.
declare const document: any;
declare const localStorage: any;

describe('dashboard: host names, task outcomes, grouped timeline', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startApiServer();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(t.http);
    await page.evaluate((token: string) => localStorage.setItem('aw.session', token), t.admin.token);
    await page.reload();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('the problems table shows the host by name, linking to it, and the expanded problem name', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'edge-proxy-3' } })).body.data;
    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: {
        name: 'edge ports',
        items: [],
        triggers: [{ key: 'down', name: 'Port {ITEM.KEY} is down on {HOST.NAME}', severity: 'high', expression: 'last(edge_port.status) >= 2' }],
      },
    });
    await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${host.id}`, { headers: t.admin.auth });
    const w = await t.call('POST', `/api/v1/write?host_id=${host.id}&precision=ms`, {
      headers: { ...t.admin.auth, 'content-type': 'text/plain' },
      raw: `edge_port status=2 ${Date.now()}\n`,
    });
    expect(w.status).toBe(204);
    await page.goto(`${t.http}/#/monitoring`);
    const row = page.locator('[data-testid=problems-table] tr', { hasText: 'Port edge_port.status is down on edge-proxy-3' });
    await row.waitFor({ timeout: 20_000 });
    const link = row.locator('[data-testid=problem-host]');
    expect(await link.textContent()).toBe('edge-proxy-3');
    expect(await link.getAttribute('href')).toBe(`#/hosts/${host.id}`);
  });

  it('task history shows the outcome, not just "done"', async () => {
    // A host without an agent cannot run anything: the task is done at once, and failed.
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'no-agent-1' } })).body.data;
    const task = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [host.id] } },
    });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    await page.goto(`${t.http}/#/tasks`);
    const badge = page.locator(`li:has(a[href="#/tasks?task=${task.body.data.id}"]) [data-testid=task-outcome]`);
    await page.waitForFunction(
      (id) => document.querySelector(`li:has(a[href="#/tasks?task=${id}"]) [data-testid=task-outcome]`)?.getAttribute('data-outcome') === 'failed',
      task.body.data.id,
      { timeout: 20_000 },
    );
    expect(await badge.textContent()).toBe('failed');
    expect(await badge.getAttribute('class')).toContain('bad');
    expect(await badge.getAttribute('title')).toBe('1 unreachable');
  });

  it('an asset created with several fields is one "created" entry naming them', async () => {
    const a = (await t.call('POST', '/api/v1/assets', { headers: t.admin.auth, body: { type: 'server', name: 'db-17', serial: 'SN-42', idc: 'bj1' } })).body
      .data;
    await page.goto(`${t.http}/#/cmdb/${a.id}`);
    await page.locator('[data-testid=asset-timeline] li').first().waitFor({ timeout: 15_000 });
    const entries = page.locator('[data-testid=asset-timeline] li');
    expect(await entries.count()).toBe(1);
    const text = (await entries.first().textContent()) ?? '';
    for (const part of ['created', 'name db-17', 'serial SN-42', 'idc bj1', 'type server']) expect(text).toContain(part);
    expect(pageErrors).toEqual([]);
  });
});
