/**
 * Service management screens in real headless Chromium against a real server: a change request made
 * in the form by one user cannot be approved by them (the API's error and request id show) and is
 * approved by another; an incident shows its priority and is escalated; a service shows its
 * availability per day against the SLA line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const localStorage: any;

const SHOTS = process.env.AW_SCREENSHOTS_DIR ? resolve(PROJECT_ROOT, process.env.AW_SCREENSHOTS_DIR) : mkdtempSync(join(tmpdir(), 'aw-shots-'));
const DAY = 86_400_000;

needs('chromium').describe('dashboard: service management', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  let alice: { token: string };
  let bob: { token: string };
  const pageErrors: string[] = [];
  const signIn = async (token: string, path: string) => {
    await page.evaluate((tk: string) => localStorage.setItem('aw.session', tk), token);
    await page.goto(`${t.http}/#${path}`);
    await page.reload();
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startApiServer();
    alice = await t.userSession('admin', 'alice');
    bob = await t.userSession('admin', 'bob');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(t.http);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('a change requested in the form is refused to its requester and approved by another user', { timeout: 90_000 }, async () => {
    await signIn(alice.token, '/itil?tab=changes');
    const form = page.locator('[data-testid=change-form]');
    await form.waitFor({ timeout: 20_000 });
    await form.getByLabel('Title').fill('Rotate the TLS certificates');
    await form.getByLabel('Reason').fill('the certificates expire next week');
    // Checked as the API checks it, before anything is sent: a window that ends before it starts.
    const start = await form.getByLabel('Window start').inputValue();
    await form.getByLabel('Window end').fill(start.replace(/T\d\d/, 'T00'));
    await form.getByLabel('Window start').fill(start.replace(/T\d\d/, 'T01'));
    await form.getByRole('button', { name: 'Request' }).click();
    expect(await page.locator('[data-testid=form-problem]').textContent()).toContain('must end after it starts');
    expect((await t.call('GET', '/api/v1/changes', { headers: t.admin.auth })).body.data).toEqual([]);
    await form.getByLabel('Window end').fill(start.replace(/T\d\d/, 'T23'));
    await form.getByRole('button', { name: 'Request' }).click();
    const card = page.locator('[data-testid=change-card]');
    await card.locator('[data-testid=approve]').waitFor({ timeout: 15_000 });
    const changes = (await t.call('GET', '/api/v1/changes', { headers: t.admin.auth })).body.data;
    expect(changes.map((c: any) => [c.title, c.requested_by, c.state])).toEqual([['Rotate the TLS certificates', 'user:alice', 'requested']]);

    await card.locator('[data-testid=approve]').click();
    const note = card.locator('.state.error');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toContain('APPROVER_IS_REQUESTER');
    expect(await note.locator('.request-id').textContent()).toMatch(/\S{8,}/);

    await signIn(bob.token, `/itil?tab=changes&id=${changes[0].id}`);
    await card.locator('[data-testid=approve]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=change-card-state]')?.textContent === 'approved', undefined, { timeout: 10_000 });
    expect(await card.locator('[data-testid=decisions]').textContent()).toContain('approved by user:bob');
    await page.screenshot({ path: join(SHOTS, 'itil-change-desktop.png'), fullPage: true });
  });

  it('an incident shows its priority and is escalated one step', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'pay-1' } })).body.data;
    const id = randomUUID();
    await t.server.deps.db.query(
      `INSERT INTO monitor_incidents (id, title, host_id, severity, state, impact, urgency, priority) VALUES ($1, 'Payments slow on pay-1', $2, 'average', 'open', 'medium', 'medium', 'P3')`,
      [id, host.id],
    );
    await signIn(alice.token, `/itil?tab=incidents&id=${id}`);
    const card = page.locator('[data-testid=incident-card]');
    await card.locator('[data-testid=priority]').waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-testid=priority]').textContent()).toBe('P3');
    expect(await card.locator('[data-testid=target-time-to-acknowledge]').getAttribute('data-met')).toBe('null');
    await card.locator('[data-testid=escalate]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=incident-card] [data-testid=priority]')?.textContent === 'P2', undefined, { timeout: 10_000 });
    expect(await card.locator('[data-testid=incident-timeline]').textContent()).toContain('escalated from the dashboard');
    const row = page.locator(`[data-testid=itil-incidents] tr[data-id="${id}"] [data-testid=priority]`);
    await page.waitForFunction((i) => (globalThis as any).document.querySelector(`[data-testid=itil-incidents] tr[data-id="${i}"] [data-testid=priority]`)?.textContent === 'P2', id, { timeout: 10_000 });
    expect(await row.getAttribute('data-priority')).toBe('P2');
    await page.screenshot({ path: join(SHOTS, 'itil-incident-desktop.png'), fullPage: true });
  });

  it('a service shows its availability per day against the SLA line', { timeout: 60_000 }, async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'shop-1' } })).body.data;
    const day = Math.floor(Date.now() / DAY) * DAY - DAY;
    const lines: string[] = [];
    for (let ts = day; ts < day + DAY; ts += 60_000) lines.push(`http_shop status=${ts >= day + 36_000_000 && ts < day + 37_800_000 ? 2 : 0} ${ts / 1000}`);
    expect((await t.call('POST', `/api/v1/write?host_id=${host.id}&precision=s`, { headers: t.admin.auth, raw: lines.join('\n') })).status).toBe(204);
    const svc = await t.call('POST', '/api/v1/services', { headers: t.admin.auth, body: { name: 'shop', host_ids: [host.id], check_keys: ['http_shop'], sla_target: 99.5 } });
    await signIn(alice.token, `/itil?tab=services&id=${svc.body.data.id}`);
    const chart = page.locator('[data-testid=availability-chart]');
    await chart.waitFor({ timeout: 15_000 });
    expect(await chart.getAttribute('data-bars')).toBe('30');
    expect(await chart.getAttribute('data-target')).toBe('99.5');
    const values = JSON.parse((await chart.getAttribute('data-values'))!)[0];
    expect(values[28]).toBe((100 * 1410) / 1440); // yesterday: the 30-minute outage
    expect(await page.locator('[data-testid=availability-card] canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'itil-availability-desktop.png'), fullPage: true });
    await page.goto(`${t.http}/#/itil?tab=reports`);
    await page.locator('[data-testid=report-changes]').waitFor({ timeout: 15_000 });
    expect(JSON.parse((await page.locator('[data-testid=report-changes]').getAttribute('data-values'))!)).toEqual([[1]]);
    await page.screenshot({ path: join(SHOTS, 'itil-reports-desktop.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
