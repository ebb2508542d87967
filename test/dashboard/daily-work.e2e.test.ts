/**
 * Daily work in the browser, as a person does it, against a real server in real headless Chromium:
 * a template with a plugin item and a trigger made and linked to a host on its card, the problem
 * shown with the host's name, acknowledged, and recovered; a dynamic host group and its members; an
 * asset's custom field edited and seen in its timeline; Settings after setting a password; the
 * acknowledged badge inside the card on a phone. The plugin's results reach the server as the agent
 * reports them (points named <item key>.status), here through the line-protocol write route.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { DESKTOP, PHONE, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const document: any;
declare const localStorage: any;

needs('chromium').describe('daily work in the dashboard', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const hostIds: Record<string, string> = {};

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startApiServer();
    for (const name of ['shop-01', 'shop-02', 'db-09']) {
      const h = await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } });
      expect(h.status, JSON.stringify(h.body)).toBe(201);
      hostIds[name] = h.body.data.id;
    }
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

  /** The plugin item's result as the agent reports it: 0 OK, 2 CRITICAL. */
  const report = async (hostId: string, status: number) => {
    const w = await t.call('POST', `/api/v1/write?host_id=${hostId}`, {
      headers: { ...t.admin.auth, 'content-type': 'text/plain' },
      raw: `web_check status=${status}`,
    });
    expect(w.status, JSON.stringify(w.body)).toBe(204);
  };

  it('makes a template with a plugin item and a trigger, links it to a host, and walks its problem from open to recovered', async () => {
    await page.goto(`${t.http}/#/monitoring`);
    await page.locator('[data-tab=templates]').click();
    const create = page.locator('[data-testid=template-create]');
    await create.locator('input[aria-label="New template name"]').fill('shop checks');
    await create.locator('select[name=collector]').selectOption('');
    await create.locator('button.primary').click();
    const card = page.locator('[data-template="shop checks"]');
    await card.waitFor();

    await card.locator('summary', { hasText: 'Add an item' }).click();
    const item = card.locator('[data-testid=item-form]');
    await item.locator('select[name=type]').selectOption('plugin');
    // The key is checked as the API checks it: a key starting with a digit does not submit.
    await item.locator('input[name=key]').fill('1bad');
    await item.locator('input[name=command]').fill('check_http');
    await item.locator('button', { hasText: 'Add item' }).click();
    expect(await item.locator('input[name=key]').evaluate((el: any) => el.validity.valid)).toBe(false);
    await item.locator('input[name=key]').fill('web_check');
    await item.locator('input[name=args]').fill('-H localhost -p 8080');
    await item.locator('input[name=interval_s]').fill('30');
    await item.locator('button', { hasText: 'Add item' }).click();
    await card.locator('li[data-item=web_check]', { hasText: 'check_http -H localhost -p 8080' }).waitFor();

    await card.locator('summary', { hasText: 'Add a trigger' }).click();
    const trig = card.locator('[data-testid=trigger-form]');
    await trig.locator('input[name=trigger_key]').fill('web_down');
    await trig.locator('input[name=trigger_name]').fill('Shop web down on {HOST.NAME}');
    await trig.locator('select[name=severity]').selectOption('high');
    // An expression the API cannot parse: its message and request id, nothing stored.
    await trig.locator('input[name=expression]').fill('last(web_check.status >= 2');
    await trig.locator('button', { hasText: 'Add trigger' }).click();
    const err = card.locator('.state.error');
    await err.waitFor();
    expect(await err.textContent()).toContain('VALIDATION_FAILED');
    expect(await err.locator('.request-id').textContent()).toMatch(/\S{6,}/);
    // What was typed stays to be fixed: only the expression changes.
    expect(await trig.locator('select[name=severity]').inputValue()).toBe('high');
    await trig.locator('input[name=expression]').fill('last(web_check.status) >= 2');
    await trig.locator('button', { hasText: 'Add trigger' }).click();
    await card.locator('li[data-trigger=web_down]').waitFor();

    await card.locator('summary', { hasText: 'Linked hosts and groups' }).click();
    await card.locator('input[aria-label="Find a host to link"]').fill('shop-01');
    await card.locator('li[data-candidate=shop-01] button', { hasText: 'Link' }).click();
    await card.locator('[data-testid=linked-hosts] li[data-host=shop-01]').waitFor();
    const stored = ((await t.call('GET', '/api/v1/templates?limit=100', { headers: t.admin.auth })).body.data as any[]).find((x) => x.name === 'shop checks');
    expect(stored.items).toEqual([
      { key: 'web_check', type: 'plugin', interval_s: 30, command: 'check_http', args: ['-H', 'localhost', '-p', '8080'], output: 'auto' },
    ]);
    expect(stored.triggers).toEqual([{ key: 'web_down', name: 'Shop web down on {HOST.NAME}', severity: 'high', expression: 'last(web_check.status) >= 2' }]);
    expect(stored.host_ids).toEqual([hostIds['shop-01']]);

    // CRITICAL: the problem names the host, in its name and in the Host column.
    await report(hostIds['shop-01'], 2);
    await page.locator('[data-tab=problems]').click();
    const row = page.locator('[data-testid=problems-table] tr', { hasText: 'Shop web down on shop-01' });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('[data-testid=problem-host]').textContent()).toBe('shop-01');
    await row.locator('button', { hasText: 'Ack' }).click();
    await row.locator('input[aria-label=Comment]').fill('restarting the shop');
    await row.locator('button', { hasText: 'Acknowledge' }).click();
    await row.locator('[data-testid=acked]').waitFor();

    // On a phone the badge stays inside the card.
    await page.setViewportSize(PHONE);
    const fits = await page.evaluate(() => {
      const badge = document.querySelector('[data-testid=acked]').getBoundingClientRect();
      const card = document.querySelector('[data-testid=problems-table]').closest('.card').getBoundingClientRect();
      return badge.right <= card.right + 0.5 && badge.width > 0;
    });
    expect(fits).toBe(true);
    await page.setViewportSize(DESKTOP);

    // The incident moves on with a comment.
    await page.locator('[data-tab=incidents]').click();
    const incident = page.locator('[data-testid=incidents-list] li', { hasText: 'Shop web down on shop-01' });
    await incident.waitFor();
    expect(await incident.getAttribute('data-state')).toBe('acknowledged');

    // OK again: the problem recovers and leaves the open list; the host page lists it as recovered.
    await report(hostIds['shop-01'], 0);
    await page.locator('[data-tab=problems]').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid=problems-table]')?.textContent?.includes('Shop web down'), undefined, {
      timeout: 20_000,
    });
    await page.goto(`${t.http}/#/hosts/${hostIds['shop-01']}`);
    await page.locator('[data-testid=host-problems] li', { hasText: 'recovered' }).waitFor({ timeout: 15_000 });
    await page.goto(`${t.http}/#/monitoring`);
    await page.locator('[data-tab=incidents]').click();
    const resolved = page.locator('[data-testid=incidents-list] li[data-state=resolved]', { hasText: 'Shop web down on shop-01' });
    await resolved.waitFor({ timeout: 15_000 });
    await resolved.locator('input[aria-label="Incident comment"]').fill('fixed by a restart');
    await resolved.locator('button[data-move=closed]').click();
    await page.locator('[data-testid=incidents-list] li[data-state=closed]', { hasText: 'Shop web down on shop-01' }).waitFor();
  }, 120_000);

  it('makes a dynamic host group and shows its members', async () => {
    await page.goto(`${t.http}/#/hosts?view=groups`);
    const form = page.locator('[data-testid=group-create]');
    await form.locator('input[name=group_name]').fill('shop hosts');
    await form.locator('input[aria-label="Rule field"]').fill('hostname');
    await form.locator('select[aria-label="Rule operator"]').selectOption('prefix');
    await form.locator('input[aria-label="Rule value"]').fill('shop-');
    // Before saving, the form says whom the rules would hold.
    await page.waitForFunction(() => document.querySelector('[data-testid=group-create] [data-testid=group-preview]')?.textContent?.includes('shop-02'));
    expect(await form.locator('[data-testid=group-preview]').textContent()).toBe('Would hold 2 hosts: shop-01, shop-02');
    await form.locator('button', { hasText: 'Create group' }).click();
    const card = page.locator('[data-group="shop hosts"]');
    await card.locator('[data-testid=group-members] li[data-member=shop-02]').waitFor();
    expect(await card.locator('[data-testid=group-members] li').evaluateAll((els: any[]) => els.map((e) => e.getAttribute('data-member')))).toEqual([
      'shop-01',
      'shop-02',
    ]);
    expect(await card.locator('[data-testid=group-rules]').textContent()).toContain('hostname prefix shop-');
  });

  it("edits an asset's custom field and shows it in the timeline", async () => {
    const type = await t.call('POST', '/api/v1/asset-types', {
      headers: t.admin.auth,
      body: {
        name: 'rackmount',
        label: 'Rack server',
        fields_schema: { type: 'object', properties: { cost_centre: { type: 'string', title: 'cost centre' } } },
      },
    });
    expect(type.status, JSON.stringify(type.body)).toBe(201);
    const asset = await t.call('POST', '/api/v1/assets', { headers: t.admin.auth, body: { name: 'shop rack 1', type: 'rackmount' } });
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    await page.goto(`${t.http}/#/cmdb/${asset.body.data.id}`);
    await page.locator('button', { hasText: 'Edit' }).click();
    const form = page.locator('[data-testid=asset-edit]');
    await form.locator('input[name="custom.cost_centre"]').fill('CC-42');
    await form.locator('input[name=warranty_until]').fill('2027-03-31');
    await form.locator('input[name=rack_unit]').fill('12');
    await form.locator('input[name=tags]').fill('shop, prod');
    await form.locator('button', { hasText: 'Save' }).click();
    await page.waitForFunction(() => document.querySelector('[data-field="custom.cost_centre"]')?.textContent === 'CC-42');
    const entry = page.locator('[data-testid=asset-timeline] li', { hasText: 'CC-42' });
    await entry.waitFor();
    const stored = (await t.call('GET', `/api/v1/assets/${asset.body.data.id}`, { headers: t.admin.auth })).body.data;
    expect(stored).toMatchObject({ custom: { cost_centre: 'CC-42' }, warranty_until: '2027-03-31', rack_unit: 12, tags: ['prod', 'shop'] });
  });

  it('stops saying "no password" once a password is set', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    try {
      const p = await ctx.newPage();
      const me = await t.userSession('admin', 'fresh-admin');
      await p.goto(t.http);
      await p.evaluate((token: string) => localStorage.setItem('aw.session', token), me.token);
      await p.goto(`${t.http}/#/settings`);
      await p.reload();
      await p.locator('text=You came in with a one-time link').waitFor({ timeout: 8000 });
      const row = p.locator('tr', { hasText: 'fresh-admin' });
      await row.locator('[data-testid=no-password]').waitFor({ timeout: 8000 });
      await p.fill('input[autocomplete=new-password]', 'a long enough password');
      await p.locator('button', { hasText: 'Save password' }).click();
      await p.locator('text=Password saved.').waitFor({ timeout: 8000 });
      expect(await p.locator('text=You came in with a one-time link').count()).toBe(0);
      await p.waitForFunction(
        () => ![...document.querySelectorAll('tr')].some((r: any) => r.textContent.includes('fresh-admin') && r.querySelector('[data-testid=no-password]')),
        undefined,
        { timeout: 8000 },
      );
    } finally {
      await ctx.close();
    }
  });
});
