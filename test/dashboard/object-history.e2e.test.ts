/**
 * An object's change history on its page, in real headless Chromium against a real server: a host's
 * tags changed over the API show on the host page as the fields they changed and who changed them;
 * a host group's, a channel's and an asset type's history show on their cards, a template item's and
 * a trigger's on their rows, a maintenance window's and a task policy's (made, never changed) too.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const localStorage: any;

needs('chromium').describe('object history in the dashboard', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.call(method, path, { body, headers: { ...t.admin.auth, ...headers } });

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

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("shows a host's changes on its page, newest first", async () => {
    const made = await as('POST', '/api/v1/hosts', { hostname: 'edge-01', tags: ['edge'] });
    const changed = await as(
      'PATCH',
      `/api/v1/hosts/${made.body.data.id}`,
      { tags: ['edge', 'canary'], description: 'lab' },
      { 'if-match': made.headers.get('etag')! },
    );
    expect(changed.status).toBe(200);
    await page.goto(`${t.http}/#/hosts/${made.body.data.id}`);
    const history = page.locator('[data-testid=object-history]');
    await history.locator('summary').click();
    const rows = history.locator('li');
    await rows.nth(1).waitFor();
    expect(await rows.evaluateAll((els: any[]) => els.map((e) => e.dataset.action))).toEqual(['update', 'create']);
    const update = (await rows.nth(0).innerText()).replace(/\s+/g, ' ');
    expect(update).toContain('tags ["edge"] → ["canary","edge"]');
    expect(update).toContain('description → lab');
    expect(update).toContain('user');
  });

  it("shows a host group's and a channel's history on their cards", async () => {
    const group = await as('POST', '/api/v1/host-groups', { name: 'edges' });
    await as('PATCH', `/api/v1/host-groups/${group.body.data.id}`, { description: 'edge boxes' }, { 'if-match': group.headers.get('etag')! });
    await page.goto(`${t.http}/#/hosts?view=groups`);
    const card = page.locator('[data-group=edges]');
    await card.locator('[data-testid=object-history] summary').click();
    await card.locator('[data-testid=object-history] li[data-action=update]').waitFor();
    expect(await card.locator('[data-testid=object-history] li[data-action=update]').innerText()).toContain('edge boxes');

    const channel = await as('POST', '/api/v1/notification-channels', { name: 'ops', kind: 'webhook', settings: { url: 'https://hooks.example.com/ops' } });
    await as('PATCH', `/api/v1/notification-channels/${channel.body.data.channel.id}`, { enabled: false }, { 'if-match': channel.headers.get('etag')! });
    await page.goto(`${t.http}/#/monitoring`);
    await page.locator('[data-tab=channels]').click();
    const row = page.locator('[data-channel=ops]');
    await row.locator('[data-testid=object-history] summary').click();
    await row.locator('[data-testid=object-history] li[data-action=update]').waitFor();
    expect((await row.locator('[data-testid=object-history] li[data-action=update]').innerText()).replace(/\s+/g, ' ')).toContain('enabled true → false');
  });

  /** The History under `within`, opened, once it lists a change with this action. */
  const historyOf = async (within: Locator, action: string) => {
    const history = within.locator('[data-testid=object-history]');
    await history.locator('summary').click();
    await history.locator(`li[data-action=${action}]`).waitFor();
    return history;
  };
  const textOf = async (rows: Locator) => (await rows.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());

  it("shows an asset type's changes on the CMDB's asset types tab", async () => {
    const made = await as('POST', '/api/v1/asset-types', { name: 'tor_switch', label: 'Rack switch' });
    expect(made.status, JSON.stringify(made.body.error)).toBe(201);
    const changed = await as('PATCH', '/api/v1/asset-types/tor_switch', { label: 'Top-of-rack switch' }, { 'if-match': made.headers.get('etag')! });
    expect(changed.status, JSON.stringify(changed.body.error)).toBe(200);
    await page.goto(`${t.http}/#/cmdb`);
    await page.locator('[role=tab]', { hasText: 'Asset types' }).click();
    const history = await historyOf(page.locator('[data-asset-type=tor_switch]'), 'update');
    const rows = await textOf(history.locator('li'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('label Rack switch → Top-of-rack switch');
    expect(rows[1]).toContain('create');
  });

  it("shows a template item's and a trigger's own changes on their rows", async () => {
    const body = {
      name: 'web',
      items: [{ key: 'web_port', type: 'tcp', params: { host: '127.0.0.1', port: 80 }, interval_s: 60 }],
      triggers: [{ key: 'web_down', name: 'Web down', severity: 'average', expression: 'last(web_port.status) >= 2' }],
    };
    const made = await as('POST', '/api/v1/templates', body);
    expect(made.status, JSON.stringify(made.body.error)).toBe(201);
    const changed = await as(
      'PUT',
      `/api/v1/templates/${made.body.data.id}`,
      { ...body, items: [{ ...body.items[0], interval_s: 30 }], triggers: [{ ...body.triggers[0], severity: 'high' }] },
      { 'if-match': made.headers.get('etag')! },
    );
    expect(changed.status, JSON.stringify(changed.body.error)).toBe(200);
    await page.goto(`${t.http}/#/monitoring`);
    await page.locator('[data-tab=templates]').click();
    const card = page.locator('[data-template=web]');

    const item = await historyOf(card.locator('[data-item=web_port]'), 'update');
    const itemRows = await textOf(item.locator('li'));
    expect(itemRows).toHaveLength(2);
    expect(itemRows[0]).toContain('interval_s 60 → 30');
    expect(itemRows[0]).not.toContain('severity');

    const trigger = await historyOf(card.locator('[data-trigger=web_down]'), 'update');
    const triggerRows = await textOf(trigger.locator('li'));
    expect(triggerRows).toHaveLength(2);
    expect(triggerRows[0]).toContain('severity average → high');
    expect(triggerRows[0]).not.toContain('interval_s');
  });

  // Windows and policies have no update: made and removed only, so their History shows who made them.
  it("shows a maintenance window's history on its row", async () => {
    const host = await as('POST', '/api/v1/hosts', { hostname: 'db-01' });
    const now = Date.now();
    const window = { host_id: host.body.data.id, starts_at: new Date(now).toISOString(), ends_at: new Date(now + 3_600_000).toISOString() };
    for (const name of ['db patching', 'db reboot']) expect((await as('POST', '/api/v1/maintenance-windows', { name, ...window })).status).toBe(201);
    await page.goto(`${t.http}/#/monitoring`);
    await page.locator('[data-tab=maintenance]').click();
    const history = await historyOf(page.locator('[data-window="db patching"]'), 'create');
    expect(await textOf(history.locator('li'))).toEqual([expect.stringMatching(/create · user$/)]);
  });

  it("shows a task policy's history on the tasks page", async () => {
    const host = await as('POST', '/api/v1/hosts', { hostname: 'pay-01' });
    const made = await as('POST', '/api/v1/task-policies', { name: 'payments', host_ids: [host.body.data.id] });
    expect(made.status, JSON.stringify(made.body.error)).toBe(201);
    await page.goto(`${t.http}/#/tasks`);
    const row = page.locator('[data-policy=payments]');
    expect(await row.innerText()).toContain('covers 1 host(s)');
    const history = await historyOf(row, 'create');
    expect(await textOf(history.locator('li'))).toEqual([expect.stringMatching(/create · user$/)]);
  });
});
